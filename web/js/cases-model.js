// What the case pages (cases.js, and inspect.js for its list) compute, as pure functions: the
// labels of statuses, steps and timeline events, deadlines relative to now in China time, the
// list query of each role, what each workflow step asks for and the body it sends, and the
// API's refusals in the page's language. No DOM, no MapLibre, no requests (the fast tests
// import this module in node).
//
// The API is described in docs/CASES.md.

import { lang, t, tOr } from './i18n.js';
import { failureText } from './page.js';
import { percent } from './units-model.js';

/** Roles that open the case pages. */
export const CASE_ROLES = Object.freeze(['handler', 'admin', 'leader', 'inspector']);

/** Case states, in workflow order. */
export const STATUSES = Object.freeze([
  'reported', 'registered', 'dispatched', 'in_progress', 'backlog', 'handled', 'verified', 'closed', 'cancelled',
]);

/** States in which the deadline runs (the unit still has to act). */
export const OPEN_STATUSES = Object.freeze(['dispatched', 'in_progress', 'backlog']);

/** Workflow steps, in the order their buttons are shown. */
export const ACTIONS = Object.freeze([
  'register', 'dispatch', 'start', 'resume', 'report', 'verify', 'close', 'feedback', 'reject', 'backlog', 'return',
  'duplicate', 'cancel',
]);

// Steps whose note is their point: the reason, the report, what the resident was told.
const NOTE_REQUIRED = new Set(['cancel', 'return', 'backlog', 'report', 'reject', 'feedback']);

/** May `user` open the case pages? */
export function canOpenCases(user) {
  return Boolean(user && CASE_ROLES.includes(user.role));
}

export function statusLabel(status) {
  return STATUSES.includes(status) ? t(`case_status_${status}`) : String(status ?? '');
}

export function actionLabel(action) {
  return ACTIONS.includes(action) ? t(`case_action_${action}`) : String(action ?? '');
}

/** A timeline event's label: the filing is a `report` with no status before it. */
export function eventLabel(event) {
  if (event.action === 'report' && !event.from_status) return t('case_event_filed');
  return tOr(`case_event_${event.action}`, actionLabel(event.action));
}

/** A category's name in the page's language (`{name, name_en}` of GET /api/v1/categories). */
export function categoryName(category) {
  return lang === 'en' && category?.name_en ? category.name_en : (category?.name ?? '');
}

/**
 * Groups and their sub-categories from GET /api/v1/categories, in the service's order:
 * `[{code, name, private, children: [category…]}]`. Groups without a sub-category are left out.
 */
export function categoryTree(categories) {
  const list = Array.isArray(categories) ? categories : [];
  return list.filter((c) => !c.parent)
    .map((g) => ({ ...g, children: list.filter((c) => c.parent === g.code) }))
    .filter((g) => g.children.length > 0);
}

// ---------------------------------------------------------------------------------------------
// Times, in China Standard Time

// China keeps UTC+8 all year (no daylight saving), so a fixed shift gives its wall clock
// whatever the device's own time zone is.
const CHINA_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
const pad = (n) => String(n).padStart(2, '0');

/** The China wall clock of an instant (ms or ISO): `{year, month, day, hour, minute, dayNumber}`. */
export function chinaClock(instant) {
  const ms = typeof instant === 'number' ? instant : Date.parse(instant);
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms + CHINA_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    dayNumber: Math.floor((ms + CHINA_OFFSET_MS) / DAY_MS),
  };
}

/** "3月5日 17:30" (China time); "" when it is not a time. */
export function chinaDateTime(instant) {
  const c = chinaClock(instant);
  return c ? `${t('month_day', { m: c.month, d: c.day })} ${pad(c.hour)}:${pad(c.minute)}` : '';
}

/** "YYYY-MM-DD" of today in China (the earliest date a backlog may name). */
export function chinaToday(now = Date.now()) {
  const c = chinaClock(now);
  return `${c.year}-${pad(c.month)}-${pad(c.day)}`;
}

/** "2 小时", "15 分钟", "3 天": a lapse rounded down to its largest sensible unit. */
export function durationText(ms) {
  const minutes = Math.max(1, Math.floor(ms / 60_000));
  if (minutes < 60) return t('duration_minutes', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t('duration_hours', { n: hours });
  return t('duration_days', { n: Math.floor(hours / 24) });
}

/**
 * A case's deadline relative to `now`, in China time: `{kind, text}` with kind `overdue`
 * ("逾期 2 小时"), `today` ("今天 17:30 到期"), `tomorrow`, `later` ("3月5日 17:30 到期"),
 * `done` (a finished case: "期限 …") or `none` (no deadline).
 */
export function deadlineInfo(c, now = Date.now()) {
  const due = Date.parse(c?.deadline ?? '');
  if (!Number.isFinite(due)) return { kind: 'none', text: '' };
  const at = chinaClock(due);
  const time = `${pad(at.hour)}:${pad(at.minute)}`;
  const date = t('month_day', { m: at.month, d: at.day });
  if (!OPEN_STATUSES.includes(c.status)) return { kind: 'done', text: t('deadline_was', { date, time }) };
  if (due <= now) return { kind: 'overdue', text: t('deadline_overdue', { duration: durationText(now - due) }) };
  const days = at.dayNumber - chinaClock(now).dayNumber;
  if (days === 0) return { kind: 'today', text: t('deadline_today', { time }) };
  if (days === 1) return { kind: 'tomorrow', text: t('deadline_tomorrow', { time }) };
  return { kind: 'later', text: t('deadline_later', { date, time }) };
}

// ---------------------------------------------------------------------------------------------
// Lists

/** Which list a role sees: a handler their queue, an inspector their own cases, others their area. */
export function listKind(user) {
  if (user?.role === 'handler') return 'queue';
  if (user?.role === 'inspector') return 'mine';
  return 'area';
}

/**
 * The query of GET /api/v1/cases for `user` and the filters (`status`, `group`, `overdue`,
 * `dueToday`); sorted by deadline (overdue first), the service's default.
 */
export function listQuery(user, { status = '', group = '', overdue = false, dueToday = false } = {}) {
  const params = new URLSearchParams();
  if (listKind(user) === 'queue') params.set('queue', 'true');
  if (status) params.set('status', status);
  if (group) params.set('category', group);
  if (overdue) params.set('overdue', 'true');
  if (dueToday) params.set('due_today', 'true');
  params.set('limit', '500');
  return `/api/v1/cases?${params}`;
}

/**
 * The inspector page's 我的上报 from GET /api/v1/cases?sort=-created: an inspector sees only the
 * cases they filed or added to; an administrator sees the whole area, of which their own filings.
 */
export function myCases(cases, user) {
  const list = Array.isArray(cases) ? cases : [];
  return user?.role === 'inspector' ? list : list.filter((c) => c.reporter_id === user?.id);
}

/** The page of a case. */
export function caseHref(id) {
  return `/cases.html#case=${encodeURIComponent(id)}`;
}

/** The case id a cases.html address names (`#case=ID` or `?case=ID`), else null. */
export function caseIdFrom(url) {
  const u = new URL(url, 'http://localhost');
  const raw = new URLSearchParams(u.hash.slice(1)).get('case') ?? u.searchParams.get('case');
  return raw && /^\d+$/.test(raw) ? Number(raw) : null;
}

// ---------------------------------------------------------------------------------------------
// One case

/** "社区 · 网格 code · 楼栋" without the parts the case does not have. */
export function placeText(c) {
  const parts = [c?.community, c?.grid_code ? `${t('grid')} ${c.grid_code}` : null, c?.building];
  return parts.filter(Boolean).join(' · ');
}

/** What a timeline event adds besides its note: where it was sent, the backlog date, the duplicate. */
export function eventDetailText(event) {
  const d = event?.details ?? {};
  if ((event.action === 'dispatch' || event.action === 'return') && d.organisation?.name) {
    const who = d.person?.name ? `${d.organisation.name}（${d.person.name}）` : d.organisation.name;
    return t('case_routed_event', { organisation: who });
  }
  if (event.action === 'backlog' && d.until) return t('case_until_event', { date: d.until });
  if (event.action === 'duplicate_linked' && d.number) return t('case_duplicate_event', { number: d.number });
  return '';
}

/** Photo links by id, from the `photos` of GET /api/v1/cases/{id}. */
export function photoLinks(photos) {
  return new Map((Array.isArray(photos) ? photos : []).map((p) => [Number(p.id), p]));
}

/** What the form of a step asks for: the note (required or optional), photos, a date, the original. */
export function actionForm(action) {
  return {
    note: NOTE_REQUIRED.has(action) ? 'required' : 'optional',
    noteLabel: tOr(`action_note_${action}`, t('action_note')),
    photos: action === 'report',
    until: action === 'backlog',
    duplicateOf: action === 'duplicate',
  };
}

/**
 * The case a 重复 form names: a case number ("20261122-000123", looked up among `candidates`)
 * or an id ("#17" or "17"). Null when it names none of them; undefined when the field is empty.
 */
export function resolveCaseRef(text, candidates = []) {
  const value = String(text ?? '').trim();
  if (!value) return undefined;
  const byNumber = candidates.find((c) => c.number === value);
  if (byNumber) return byNumber.id;
  const id = /^#?(\d{1,15})$/.exec(value);
  return id ? Number(id[1]) : null;
}

/** The body of POST /api/v1/cases/{id}/actions; the service checks what is missing. */
export function actionBody(action, { note = '', photos = [], until = '', duplicateOf } = {}) {
  const body = { action };
  if (note.trim()) body.note = note.trim();
  if (photos.length) body.photos = [...photos];
  if (until) body.until = until;
  if (duplicateOf !== undefined && duplicateOf !== null) body.duplicate_of = duplicateOf;
  return body;
}

/**
 * An API refusal (docs/CASES.md) in the page's language, by its code (a missing field by its
 * name); "" when there is nothing to say (an aborted request, or a 401: the sign-in form is back).
 */
export function refusalText(err) {
  if (err?.code === 'required') return tOr(`case_required_${err.details?.field}`, t('case_refused_required'));
  return failureText(err, { prefix: 'case_refused_' }) ?? '';
}

// ---------------------------------------------------------------------------------------------
// Places with a history: hygiene dead spots and the month's patrol blind spots

/** Roles that read a community's patrol coverage (handlers walk no patrols). */
export const COVERAGE_ROLES = Object.freeze(['admin', 'leader', 'inspector']);

export function canReadCoverage(user) {
  return Boolean(user && COVERAGE_ROLES.includes(user.role));
}

/** "YYYY-MM" of this month in China (the month of GET /api/v1/patrols/coverage). */
export function chinaMonth(now = Date.now()) {
  return chinaToday(now).slice(0, 7);
}

/** A dead spot of GET /api/v1/dead-spots in words: how often, since when, whether it has cleared. */
export function deadSpotText(spot) {
  const day = (instant) => {
    const c = chinaClock(instant);
    return c ? t('month_day', { m: c.month, d: c.day }) : t('missing');
  };
  const seen = t('dead_spot_text', { n: spot.case_count, first: day(spot.first_seen), last: day(spot.last_seen) });
  return spot.cleared_at ? `${seen} · ${t('dead_spot_cleared', { date: day(spot.cleared_at) })}` : seen;
}

/** The month's coverage of GET /api/v1/patrols/coverage in words. */
export function coverageText(coverage) {
  return t('coverage_text', { share: percent(coverage.coverage), checked: coverage.checked, buildings: coverage.buildings });
}

/** A blind spot (a building nobody checked this month) in words. */
export function blindSpotText(building) {
  const name = building.name || t('building_number', { id: building.id });
  return t('blind_spot_text', { name, grid: building.grid_code ?? t('missing'), households: building.households });
}
