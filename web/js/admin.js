// The administration page (admin.html), for administrators only (others see 无权访问): the
// users with their roles, areas and state, each with 禁用/启用 and (when locked) 解锁; a form
// creating a user (the service's field errors
// shown next to their fields); and the audit log, filtered and newest first.
//
// Sets `document.body.dataset.adminReady = "true"` once the users and the log are in (the
// browser test waits for it), and `data-audit-loaded` / `data-users-loaded` counters that go
// up each time the log or the user list is redrawn.

import { api, getJson, postJson } from './api.js';
import { applyI18n, otherLanguageHref, t } from './i18n.js';
import {
  actionLabel, actorLabel, areaChoices, auditQuery, districtIds, objectLabel, placeNames, summaryText, userActions,
  userStatus,
} from './admin-model.js';
import { bump, showStatus } from './page.js';
import {
  ROLES, clearFieldErrors, el, formatDateTime, passwordRuleMessage, rateLimitedMessage, roleLabel, setFieldError,
  startSignedIn,
} from './session.js';
import { organisationKindLabel } from './units-model.js';

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('admin_title')}`;

const userRows = document.getElementById('user-rows');
const userCount = document.getElementById('user-count');
const usersStatus = document.getElementById('users-status');
const createForm = document.getElementById('create-user-form');
const roleSelect = document.getElementById('new-role');
const organisationField = document.getElementById('organisation-field');
const organisationSelect = document.getElementById('new-organisation');
const passwordInput = document.getElementById('new-password');
const areaBox = document.getElementById('area-choices');
const createError = document.getElementById('create-error');
const createNotice = document.getElementById('create-notice');
const createSubmit = document.getElementById('create-submit');
const auditForm = document.getElementById('audit-filter');
const auditRows = document.getElementById('audit-rows');
const auditCount = document.getElementById('audit-count');
const auditStatus = document.getElementById('audit-status');

const state = { me: null, users: [], communities: [], organisations: [], names: new Map() };

// ---- users -------------------------------------------------------------------------------

function renderUsers() {
  const now = Date.now();
  userRows.replaceChildren(...state.users.map((u) => {
    const status = userStatus(u, now);
    const areas = el('td', { class: 'areas' }, ...(u.areas ?? []).map((a) => el('span', {
      class: 'area-chip', dataset: { kind: a.kind }, title: t(a.kind === 'district' ? 'district' : 'community'), text: a.name,
    })));
    if ((u.areas ?? []).length === 0) areas.textContent = t('missing');
    if (u.organisation) areas.append(el('span', { class: 'organisation-chip', title: t('user_organisation'), text: u.organisation }));
    return el('tr', { dataset: { username: u.username, userId: u.id } },
      el('td', { class: 'username', text: u.username }),
      el('td', { class: 'role', dataset: { role: u.role }, text: roleLabel(u.role) }),
      areas,
      el('td', { class: 'status', dataset: { status: status.key }, text: status.text }),
      el('td', { class: 'time', text: formatDateTime(u.created_at) }),
      el('td', { class: 'actions' }, ...userActions(u, state.me, now).map((action) => {
        const button = el('button', { type: 'button', dataset: { action: action.action }, text: action.label });
        button.addEventListener('click', () => runUserAction(u, action));
        return button;
      })));
  }));
  userCount.textContent = t('user_count', { n: state.users.length });
}

async function loadUsers() {
  try {
    const data = await getJson('/api/v1/users');
    state.users = Array.isArray(data?.users) ? data.users : [];
    state.names = placeNames(state.users, state.communities);
    showStatus(usersStatus, '');
    renderUsers();
  } catch (err) {
    showStatus(usersStatus, t('load_failed', { message: err.message }), 'error');
  }
  bump('usersLoaded');
}

/** Sends a row button's request, then shows the users and the log as they now are. */
async function runUserAction(user, action) {
  for (const button of userRows.querySelectorAll('td.actions button')) button.disabled = true;
  try {
    await api(action.path, { method: action.method, body: action.body });
    await loadUsers();
    showStatus(usersStatus, t(action.notice, { name: user.username }), 'info');
    await loadAudit();
  } catch (err) {
    if (err.status === 401) return; // the sign-in form is back
    await loadUsers(); // the buttons again, for the state the account is in
    const message = err.code === 'rate_limited' ? rateLimitedMessage(err) : t('save_failed', { message: err.message });
    showStatus(usersStatus, message, 'error');
  }
}

// ---- create a user -----------------------------------------------------------------------

function renderRoleOptions() {
  roleSelect.replaceChildren(
    el('option', { value: '', text: t('choose_role') }),
    ...ROLES.map((role) => el('option', { value: role, text: roleLabel(role) })),
  );
}

/** A handler acts for an organisation: the field shows for that role only. */
function renderOrganisationField() {
  const handler = roleSelect.value === 'handler';
  organisationField.hidden = !handler;
  organisationSelect.disabled = !handler;
}

function renderOrganisationOptions() {
  organisationSelect.replaceChildren(
    el('option', { value: '', text: t('choose_organisation') }),
    ...state.organisations.map((o) => el('option', { value: String(o.id), text: `${o.name}（${organisationKindLabel(o.kind)}）` })),
  );
}

roleSelect.addEventListener('change', renderOrganisationField);

function renderAreaChoices(admin) {
  const choices = areaChoices(admin, state.communities);
  areaBox.replaceChildren(...choices.map((c) => {
    const input = el('input', { type: 'checkbox', name: 'areas', value: c.value, dataset: { kind: c.kind, name: c.name } });
    const suffix = c.kind === 'district' ? t('district') : (c.district ?? '');
    return el('label', { class: `area-choice area-choice-${c.kind}` }, input, el('span', { text: c.name }),
      suffix ? el('span', { class: 'area-kind', text: suffix }) : null);
  }));
}

/** The message for a field error the service answered, in the page's language. */
function fieldMessage(err) {
  const fieldName = err.details?.field;
  if (err.code === 'username_taken') return t('username_taken');
  if (fieldName === 'username') return t('username_invalid');
  if (fieldName === 'password') return passwordRuleMessage(err.message);
  if (fieldName === 'areas') return err.code === 'forbidden' ? t('area_outside') : t('area_invalid', { message: err.message });
  return err.message;
}

createForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearFieldErrors(createForm);
  createError.hidden = true;
  createNotice.hidden = true;

  const form = new FormData(createForm);
  const body = {
    username: String(form.get('username') ?? '').trim(),
    role: String(form.get('role') ?? ''),
    password: String(form.get('password') ?? ''),
    areas: form.getAll('areas').map(String),
  };
  let ok = true;
  if (body.role === 'handler') {
    const organisation = String(form.get('organisation') ?? '');
    if (!organisation) ok = !setFieldError(createForm, 'organisation', t('required'));
    body.organisation = Number(organisation);
  }
  if (!body.username) ok = !setFieldError(createForm, 'username', t('required'));
  if (!body.role) ok = !setFieldError(createForm, 'role', t('required'));
  if (!body.password) ok = !setFieldError(createForm, 'password', t('required'));
  if (!ok) return;

  createSubmit.disabled = true;
  try {
    const created = await postJson('/api/v1/users', body);
    createForm.reset();
    renderOrganisationField();
    passwordInput.type = 'password';
    createNotice.textContent = t('user_created', { name: created?.user?.username ?? body.username });
    createNotice.hidden = false;
    await loadUsers();
    await loadAudit(); // after the users: the log names the new user
  } catch (err) {
    const fieldName = err.details?.field;
    if (fieldName && setFieldError(createForm, fieldName, fieldMessage(err))) {
      createForm.querySelector(`[name="${fieldName}"]`)?.focus();
    } else if (err.status !== 401) {
      createError.textContent = t('save_failed', { message: err.message });
      createError.hidden = false;
    }
  } finally {
    createSubmit.disabled = false;
  }
});

document.getElementById('show-new-password').addEventListener('change', (event) => {
  passwordInput.type = event.target.checked ? 'text' : 'password';
});

// ---- audit log ---------------------------------------------------------------------------

function renderAudit(entries) {
  const usersById = new Map(state.users.map((u) => [String(u.id), u.username]));
  auditRows.replaceChildren(...entries.map((e) => el('tr', { dataset: { action: e.action, entryId: e.id } },
    el('td', { class: 'time', text: formatDateTime(e.at) }),
    el('td', { class: 'actor', text: actorLabel(e) }),
    el('td', { class: 'action' }, el('span', { class: 'action-label', text: actionLabel(e.action) }),
      el('code', { class: 'action-code', text: e.action })),
    el('td', { class: 'object', text: objectLabel(e, usersById) }),
    el('td', { class: 'summary-cell', text: summaryText(e.summary, state.names) }),
    el('td', { class: 'client', text: e.client || t('missing') }))));
  auditCount.textContent = t('audit_count', { n: entries.length });
  showStatus(auditStatus, entries.length === 0 ? t('audit_empty') : '', 'empty');
}

async function loadAudit() {
  let query;
  try {
    query = auditQuery(Object.fromEntries(new FormData(auditForm)));
  } catch (err) {
    showStatus(auditStatus, err.message, 'error');
    bump('auditLoaded');
    return;
  }
  try {
    const data = await getJson(`/api/v1/audit?${query}`);
    renderAudit(Array.isArray(data?.entries) ? data.entries : []);
  } catch (err) {
    showStatus(auditStatus, t('load_failed', { message: err.message }), 'error');
  }
  bump('auditLoaded');
}

auditForm.addEventListener('submit', (event) => {
  event.preventDefault();
  loadAudit();
});
document.getElementById('audit-action').addEventListener('change', () => loadAudit());

// ---- start -------------------------------------------------------------------------------

async function start(admin) {
  state.me = admin;
  renderRoleOptions();
  try {
    const data = await getJson('/api/v1/communities');
    state.communities = Array.isArray(data?.communities) ? data.communities : [];
  } catch (err) {
    state.communities = [];
    showStatus(usersStatus, t('load_failed', { message: err.message }), 'error');
  }
  renderAreaChoices(admin);
  try {
    const lists = await Promise.all(districtIds(state.communities).map((id) => getJson(`/api/v1/organisations?district=${id}`)));
    state.organisations = lists.flatMap((list) => list.organisations ?? []);
  } catch (err) {
    state.organisations = [];
    showStatus(usersStatus, t('load_failed', { message: err.message }), 'error');
  }
  renderOrganisationOptions();
  renderOrganisationField();
  await loadUsers();
  await loadAudit();
  document.body.dataset.adminReady = 'true';
}

startSignedIn({
  content: document.getElementById('admin-page'),
  allow: (user) => user.role === 'admin',
  onReady: start,
});
