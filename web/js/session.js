// Sign-in for every page: the session check, the sign-in form, the signed-in user in the
// header (name, role, 修改密码, 退出), the change-password dialog, and the return to the form
// when the session ends (any API call or tile answered 401 `unauthenticated`).
//
//   import { startSignedIn } from './session.js';
//   startSignedIn({
//     content: document.getElementById('page'),   // shown only to a signed-in user
//     allow: (user) => user.role === 'admin',      // optional: others see 无权访问 …
//     forbidden: t('forbidden_planner'),           // … and why (default: administrators only)
//     onReady: async (user) => { ... },            // runs once, after sign-in
//   });
//
// The page's header holds an empty `<div id="user-box" hidden>` that is filled here, and may
// hold links marked `data-requires-role="admin"` (shown to that role only). The body carries
// `data-session="checking|signed-out|signed-in|forbidden"` (the browser tests wait for it).
//
// The session itself is an HttpOnly cookie the page never reads: it asks GET /api/v1/session.

import { ApiError, api, onUnauthenticated } from './api.js';
import { lang, t } from './i18n.js';

/** The roles, in the order forms list them. */
export const ROLES = Object.freeze(['admin', 'planner', 'leader', 'inspector', 'handler']);

/** The label of a role ("管理员"); an unknown role is shown as it is. */
export function roleLabel(role) {
  return ROLES.includes(role) ? t(`role_${role}`) : String(role ?? '');
}

const pad = (n) => String(n).padStart(2, '0');

/** "HH:MM" in the browser's time zone, from an ISO time; "" when it is not a time. */
export function formatClock(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "YYYY-MM-DD HH:MM:SS" in the browser's time zone; "" when it is not a time. */
export function formatDateTime(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `
    + `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** What to tell the user when a sign-in failed. */
export function signInErrorMessage(err) {
  if (err?.code === 'invalid_credentials') return t('invalid_credentials');
  if (err?.code === 'account_locked') {
    const time = formatClock(err.details?.until);
    return t('account_locked', { time: time || t('missing') });
  }
  if (err?.code === 'account_disabled') return t('account_disabled');
  if (err?.code === 'rate_limited') return rateLimitedMessage(err);
  if (err?.code === 'network_error') return err.message;
  return t('sign_in_failed', { message: err?.message ?? String(err) });
}

/** A request refused by a rate limit (429 `rate_limited`): when to try again. */
export function rateLimitedMessage(err) {
  const seconds = Number(err?.details?.retry_after);
  return t('rate_limited', { n: Number.isFinite(seconds) && seconds > 0 ? seconds : 1 });
}

/**
 * A password refused by the server's rule, in the page's language. The service explains the
 * rule in English ("a password needs at least 10 characters"); known rules are translated,
 * anything else is shown as the service said it.
 */
export function passwordRuleMessage(message) {
  const text = String(message ?? '');
  let m = /at least (\d+) characters/i.exec(text);
  if (m) return t('password_too_short', { n: m[1] });
  m = /at most (\d+) characters/i.exec(text);
  if (m) return t('password_too_long', { n: m[1] });
  if (/user ?name/i.test(text)) return t('password_contains_username');
  return text;
}

/** The href with `lang=en` kept when the page is in English. */
export function withLang(href) {
  if (lang !== 'en') return href;
  const url = new URL(href, location.href);
  url.searchParams.set('lang', 'en');
  return url.pathname + url.search + url.hash;
}

/** The signed-in user, or null when there is no (valid) session. */
export async function fetchSession() {
  try {
    const body = await api('/api/v1/session', { expectUnauthenticated: true });
    return body?.user ?? null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** Signs in; resolves to the user, rejects with an ApiError (see signInErrorMessage). */
export async function signIn(username, password) {
  const body = await api('/api/v1/session', { method: 'POST', body: { username, password } });
  return body.user;
}

/** Ends the session (the service clears the cookie). */
export async function signOut() {
  try {
    await api('/api/v1/session', { method: 'DELETE', expectUnauthenticated: true });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  }
}

/** Changes the signed-in user's password. */
export function changePassword(currentPassword, newPassword) {
  return api('/api/v1/session/password', {
    method: 'POST',
    body: { current_password: currentPassword, new_password: newPassword },
  });
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

/** An element with attributes (`class`, `text`, `dataset` and anything else as attributes) and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

/** A labelled input with a place for its error below it (`[data-field-error=name]`). */
export function field(name, label, input) {
  input.id ||= `field-${name}`;
  input.name ||= name;
  const error = el('p', { class: 'field-error', id: `${input.id}-error`, dataset: { fieldError: name }, hidden: true });
  input.setAttribute('aria-describedby', error.id);
  return el('div', { class: 'field', dataset: { field: name } }, el('label', { for: input.id, text: label }), input, error);
}

/** Shows `message` as the error of field `name` under `form` (an empty message clears it). */
export function setFieldError(form, name, message) {
  const error = form.querySelector(`[data-field-error="${name}"]`);
  const input = form.querySelector(`[name="${name}"]`);
  if (error) {
    error.textContent = message || '';
    error.hidden = !message;
  }
  if (input) {
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  return Boolean(error);
}

/** Clears every field error under `form`. */
export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll('[data-field-error]')) setFieldError(form, error.dataset.fieldError, '');
}

// ---------------------------------------------------------------------------------------------
// The sign-in form

function buildSignInForm() {
  const username = el('input', { id: 'sign-in-username', type: 'text', autocomplete: 'username', autocapitalize: 'off', spellcheck: 'false', required: true });
  const password = el('input', { id: 'sign-in-password', type: 'password', autocomplete: 'current-password', required: true });
  const error = el('p', { class: 'form-error', id: 'sign-in-error', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', class: 'primary', text: t('sign_in') });
  const form = el('form', { class: 'sign-in-form card', id: 'sign-in-form', novalidate: true },
    el('h2', { text: t('sign_in_title') }),
    el('p', { class: 'hint', text: t('sign_in_hint') }),
    field('username', t('username'), username),
    field('password', t('password'), password),
    error,
    submit);
  const section = el('main', { class: 'sign-in-page', id: 'sign-in', hidden: true }, form);
  return { section, form, username, password, error, submit };
}

// ---------------------------------------------------------------------------------------------
// The change-password dialog

function buildPasswordDialog(user) {
  const current = el('input', { id: 'password-current', type: 'password', autocomplete: 'current-password' });
  const next = el('input', { id: 'password-new', type: 'password', autocomplete: 'new-password' });
  const confirm = el('input', { id: 'password-confirm', type: 'password', autocomplete: 'new-password' });
  const error = el('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = el('button', { type: 'submit', class: 'primary', text: t('save') });
  const cancel = el('button', { type: 'button', text: t('cancel') });
  const form = el('form', { class: 'password-form', method: 'dialog', novalidate: true },
    el('h2', { text: t('change_password') }),
    el('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, hidden: true, readonly: true }),
    field('current_password', t('current_password'), current),
    field('new_password', t('new_password'), next),
    el('p', { class: 'hint', text: t('password_rule') }),
    field('confirm_password', t('confirm_password'), confirm),
    error,
    el('div', { class: 'buttons' }, cancel, save));
  const dialog = el('dialog', { class: 'password-dialog', id: 'password-dialog' }, form);

  const reset = () => {
    form.reset();
    clearFieldErrors(form);
    error.hidden = true;
  };
  cancel.addEventListener('click', () => dialog.close('cancel'));
  dialog.addEventListener('close', reset);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    error.hidden = true;
    let ok = true;
    if (!current.value) ok = !setFieldError(form, 'current_password', t('required'));
    if (!next.value) ok = !setFieldError(form, 'new_password', t('required'));
    else if (next.value !== confirm.value) ok = !setFieldError(form, 'confirm_password', t('passwords_differ'));
    if (!ok) return;

    save.disabled = true;
    try {
      await changePassword(current.value, next.value);
      dialog.close('changed');
      dialog.dispatchEvent(new CustomEvent('password-changed'));
    } catch (err) {
      const fieldName = err?.details?.field;
      if (err?.code === 'invalid_credentials' && fieldName === 'current_password') {
        setFieldError(form, 'current_password', t('wrong_current_password'));
      } else if (fieldName === 'new_password') {
        setFieldError(form, 'new_password', passwordRuleMessage(err.message));
      } else if (err?.status !== 401) {
        error.textContent = t('save_failed', { message: err?.message ?? String(err) });
        error.hidden = false;
      }
    } finally {
      save.disabled = false;
    }
  });
  return dialog;
}

// ---------------------------------------------------------------------------------------------
// The guard

function renderUserBox(box, user, { onSignOut, onChangePassword }) {
  const name = el('span', { class: 'user-name', id: 'user-name', text: user.username });
  const role = el('span', { class: 'user-role', id: 'user-role', dataset: { role: user.role }, text: roleLabel(user.role) });
  const password = el('button', { type: 'button', class: 'header-button', id: 'change-password', text: t('change_password') });
  const out = el('button', { type: 'button', class: 'header-button', id: 'sign-out', text: t('sign_out') });
  const notice = el('span', { class: 'user-notice', id: 'user-notice', role: 'status' });
  password.addEventListener('click', onChangePassword);
  out.addEventListener('click', onSignOut);
  box.replaceChildren(el('span', { class: 'user', title: t('signed_in_as') }, name, role), notice, password, out);
  box.hidden = false;
}

function showRoleLinks(user) {
  for (const link of document.querySelectorAll('[data-requires-role]')) {
    const roles = link.dataset.requiresRole.split(/[\s,]+/);
    link.hidden = !(user && roles.includes(user.role));
    if (link.tagName === 'A' && link.getAttribute('href')) link.href = withLang(link.getAttribute('href'));
  }
}

/**
 * Shows the sign-in form until someone signs in, then `content` (or 无权访问 and `forbidden`
 * when `allow` says no) and the user in the header, and runs `onReady(user)` once. Resolves to
 * the user.
 */
export async function startSignedIn({ content, allow = () => true, forbidden: forbiddenText = t('forbidden_admin'), onReady = () => {} }) {
  const body = document.body;
  const header = document.querySelector('.app-header');
  const userBox = document.getElementById('user-box');
  const ui = buildSignInForm();
  (header ?? body.firstChild)?.after(ui.section);
  content.hidden = true;
  body.dataset.session = 'checking';
  for (const link of document.querySelectorAll('.header-nav a[href]')) link.href = withLang(link.getAttribute('href'));

  const forbidden = el('main', { class: 'forbidden-page', id: 'forbidden', hidden: true },
    el('div', { class: 'card' },
      el('h2', { text: t('forbidden_page') }),
      el('p', { text: forbiddenText }),
      el('a', { href: withLang('/'), text: t('map_page') })));
  ui.section.after(forbidden);

  let current = null;     // the signed-in user
  let started = false;    // onReady has run: a later sign-in reloads the page for fresh data
  let waiting = null;     // resolves the pending sign-in

  function showForm(message = '') {
    current = null;
    content.hidden = true;
    forbidden.hidden = true;
    if (userBox) {
      userBox.hidden = true;
      userBox.replaceChildren();
    }
    showRoleLinks(null);
    ui.section.hidden = false;
    ui.error.textContent = message;
    ui.error.hidden = !message;
    ui.password.value = '';
    body.dataset.session = 'signed-out';
    (ui.username.value ? ui.password : ui.username).focus();
  }

  function nextSignIn() {
    return new Promise((resolve) => { waiting = resolve; });
  }

  ui.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = ui.username.value.trim();
    const password = ui.password.value;
    if (!username || !password) {
      ui.error.textContent = t('missing_credentials');
      ui.error.hidden = false;
      return;
    }
    ui.submit.disabled = true;
    ui.submit.textContent = t('signing_in');
    ui.error.hidden = true;
    try {
      const user = await signIn(username, password);
      waiting?.(user);
    } catch (err) {
      ui.error.textContent = signInErrorMessage(err);
      ui.error.hidden = false;
      ui.password.value = '';
      ui.password.focus();
    } finally {
      ui.submit.disabled = false;
      ui.submit.textContent = t('sign_in');
    }
  });

  const passwordDialog = () => {
    let dialog = document.getElementById('password-dialog');
    if (!dialog) {
      dialog = buildPasswordDialog(current);
      dialog.addEventListener('password-changed', () => {
        const notice = document.getElementById('user-notice');
        if (notice) {
          notice.textContent = t('password_changed');
          setTimeout(() => { if (notice.textContent === t('password_changed')) notice.textContent = ''; }, 5000);
        }
      });
      body.append(dialog);
    }
    return dialog;
  };

  async function enter(user) {
    current = user;
    ui.section.hidden = true;
    ui.error.hidden = true;
    if (userBox) {
      renderUserBox(userBox, user, {
        onChangePassword: () => passwordDialog().showModal(),
        onSignOut: async () => {
          try {
            await signOut();
          } finally {
            // A fresh page: nothing of this user's data stays behind the form.
            location.reload();
          }
        },
      });
    }
    showRoleLinks(user);
    body.dataset.user = user.username;
    body.dataset.role = user.role;
    if (!allow(user)) {
      forbidden.hidden = false;
      body.dataset.session = 'forbidden';
      return;
    }
    content.hidden = false;
    body.dataset.session = 'signed-in';
    if (!started) {
      started = true;
      await onReady(user);
    }
  }

  onUnauthenticated(() => {
    if (!current) return;
    document.getElementById('password-dialog')?.close();
    ui.username.value = current.username;
    showForm(t('session_expired'));
    nextSignIn().then(() => location.reload());
  });

  let user;
  try {
    user = await fetchSession();
  } catch (err) {
    showForm(signInErrorMessage(err));
    user = null;
  }
  if (!user) {
    if (ui.section.hidden) showForm();
    user = await nextSignIn();
  }
  await enter(user);
  return user;
}
