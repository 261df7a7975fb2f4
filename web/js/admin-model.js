// What the administration page (admin.js) shows, as pure functions: the audit query, the area
// choices of the create-user form, how users and audit entries read, and what each user's row
// lets an administrator do. No DOM, no requests
// (the fast tests import this module in node).

import { t } from './i18n.js';
import { formatClock, formatDateTime, roleLabel } from './session.js';

/** The actions the audit filter offers: every `session.*` or every `user.*` action. */
export const AUDIT_ACTION_GROUPS = Object.freeze(['session', 'user']);

/** Most audit entries one query shows. */
export const AUDIT_LIMIT = 200;

/** The start of a local calendar day ("2026-11-22") as an ISO time; null when it is not a date. */
export function localDayStart(date, addDays = 0) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(date ?? '').trim());
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + addDays);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * The query string of GET /api/v1/audit for the filter form's values: `to` is inclusive (the
 * whole end day), newest first. Throws an Error with a message to show when from > to.
 */
export function auditQuery({ action = '', actor = '', from = '', to = '' } = {}, limit = AUDIT_LIMIT) {
  const params = new URLSearchParams();
  if (action) params.set('action', action);
  if (actor.trim()) params.set('actor', actor.trim());
  const fromIso = localDayStart(from);
  const toIso = localDayStart(to, 1);
  if (fromIso && toIso && fromIso >= toIso) throw new Error(t('audit_dates_reversed'));
  if (fromIso) params.set('from', fromIso);
  if (toIso) params.set('to', toIso);
  params.set('sort', '-at');
  params.set('limit', String(limit));
  return params.toString();
}

/**
 * The areas a new user may be given by `admin`: the admin's own sub-districts, then the
 * communities the service lists for the admin (already limited to the admin's areas).
 * Each is `{ value: "district:ID" | "community:ID", kind, id, name, district }`.
 */
export function areaChoices(admin, communities) {
  const choices = [];
  const seen = new Set();
  const add = (kind, id, name, district = null) => {
    const value = `${kind}:${id}`;
    if (seen.has(value)) return;
    seen.add(value);
    choices.push({ value, kind, id, name, district });
  };
  for (const a of admin?.areas ?? []) if (a.kind === 'district') add('district', a.id, a.name);
  for (const c of communities ?? []) add('community', c.id, c.name, c.district?.name ?? null);
  return choices;
}

/** The sub-districts of the communities an administrator manages: where a handler's organisation may be. */
export function districtIds(communities) {
  return [...new Set((communities ?? []).map((c) => c.district?.id).filter((id) => id != null))];
}

/** A lookup of place names by "kind:id", from users' areas and the community list. */
export function placeNames(users = [], communities = []) {
  const names = new Map();
  for (const c of communities) {
    names.set(`community:${c.id}`, c.name);
    if (c.district) names.set(`district:${c.district.id}`, c.district.name);
  }
  for (const u of users) for (const a of u.areas ?? []) names.set(`${a.kind}:${a.id}`, a.name);
  return names;
}

/** A user's state: `{ key: 'active'|'locked'|'disabled', text }`. */
export function userStatus(user, now = Date.now()) {
  if (user.disabled) return { key: 'disabled', text: t('status_disabled') };
  const until = user.locked_until ? new Date(user.locked_until).getTime() : NaN;
  if (Number.isFinite(until) && until > now) return { key: 'locked', text: t('status_locked', { time: formatClock(user.locked_until) }) };
  return { key: 'active', text: t('status_active') };
}

/** Whether a user's account is locked now (too many failed sign-ins), whatever else it is. */
export function isLocked(user, now = Date.now()) {
  const until = user?.locked_until ? new Date(user.locked_until).getTime() : NaN;
  return Number.isFinite(until) && until > now;
}

/**
 * The buttons of a user's row for the signed-in administrator `me`: 禁用 or 启用 (never on the
 * administrator's own row: the service refuses to disable oneself), and 解锁 while the account
 * is locked. Each is `{ action, label, method, path, body, notice }`: the request to send and
 * the message key of the notice once it is done.
 */
export function userActions(user, me, now = Date.now()) {
  const actions = [];
  const path = `/api/v1/users/${encodeURIComponent(user.id)}`;
  if (String(user.id) !== String(me?.id)) {
    const action = user.disabled ? 'enable' : 'disable';
    actions.push({
      action, label: t(`${action}_user`), method: 'PATCH', path, body: { disabled: !user.disabled }, notice: `user_${action}d`,
    });
  }
  if (isLocked(user, now)) {
    actions.push({ action: 'unlock', label: t('unlock_user'), method: 'POST', path: `${path}/unlock`, body: undefined, notice: 'user_unlocked' });
  }
  return actions;
}

/** The label of an audit action ("创建用户"); an unknown action is shown as it is. */
export function actionLabel(action) {
  const key = `action_${action}`;
  const label = t(key);
  return label === key ? String(action) : label;
}

/** Who did it: the actor's name, or 系统 for entries without one. */
export function actorLabel(entry) {
  return entry.actor_name || (entry.actor_id === null || entry.actor_id === undefined ? t('system_actor') : `#${entry.actor_id}`);
}

/** The object of an audit entry ("用户 zhang_wei"); `usersById` names users. */
export function objectLabel(entry, usersById = new Map()) {
  if (!entry.object_type) return t('missing');
  if (entry.object_type === 'user') {
    const name = usersById.get(String(entry.object_id));
    return `${t('object_user')} ${name ?? (entry.object_id ? `#${entry.object_id}` : '')}`.trim();
  }
  return `${entry.object_type}${entry.object_id ? ` #${entry.object_id}` : ''}`;
}

function summaryValue(key, value, names) {
  if (value === null || value === undefined) return t('missing');
  if (key === 'role') return roleLabel(value);
  if (key === 'until') return formatDateTime(value) || String(value);
  if (key === 'reason') {
    const label = t(`reason_${value}`);
    return label === `reason_${value}` ? String(value) : label;
  }
  if (key === 'areas' && Array.isArray(value)) {
    if (value.length === 0) return t('missing');
    return value.map((a) => names.get(`${a.kind}:${a.id}`) ?? `${a.kind}:${a.name ?? a.id}`).join('、');
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** An audit entry's summary as one line ("用户名 zhang_wei；角色 巡查员；区域 杨庭社区"); "—" when empty. */
export function summaryText(summary, names = new Map()) {
  if (summary === null || summary === undefined) return t('missing');
  if (typeof summary !== 'object') return String(summary);
  const order = ['username', 'role', 'areas', 'reason', 'until', 'failed_logins', 'sessions_ended'];
  const rank = (key) => (order.includes(key) ? order.indexOf(key) : order.length);
  const entries = Object.entries(summary).sort(([a], [b]) => rank(a) - rank(b));
  const parts = entries.map(([key, value]) => {
    const label = t(`summary_${key}`);
    return `${label === `summary_${key}` ? key : label} ${summaryValue(key, value, names)}`;
  });
  return parts.length ? parts.join('；') : t('missing');
}
