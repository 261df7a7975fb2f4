// Signing in for browser tests: through the API (a bearer token, for the test's own checks)
// and through the pages' sign-in form (as a user would).

import assert from 'node:assert/strict';

import { TIMEZONE } from './browser.mjs';

/** Signs in through the API; resolves to `{ token, user }`. */
export async function apiSignIn(server, { username, password }) {
  const response = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await response.text();
  assert.equal(response.status, 200, `signing in as ${username} answered ${response.status}: ${body}`);
  return JSON.parse(body);
}

/** Calls the API with a bearer token; resolves to `{ status, body }` (body parsed when JSON). */
export async function apiCall(server, token, pathname, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(`${server.url}${pathname}`, init);
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}

/** GET with a bearer token, asserting 200; resolves to the parsed body. */
export async function apiGet(server, token, pathname) {
  const { status, body } = await apiCall(server, token, pathname);
  assert.equal(status, 200, `GET ${pathname} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Waits for the sign-in form of a page (session.js) and returns its parts as locators. */
export async function signInForm(page) {
  await page.waitForSelector('body[data-session="signed-out"]', { timeout: 30_000 });
  const form = page.locator('#sign-in-form');
  await form.waitFor({ state: 'visible', timeout: 10_000 });
  return {
    form,
    username: form.getByLabel('用户名', { exact: true }),
    password: form.getByLabel('密码', { exact: true }),
    submit: form.getByRole('button', { name: '登录' }),
    error: page.locator('#sign-in-error'),
  };
}

/** Fills the sign-in form and submits it (does not wait for the outcome). */
export async function submitSignIn(page, { username, password }) {
  const f = await signInForm(page);
  await f.username.fill(username);
  await f.password.fill(password);
  await f.submit.click();
  return f;
}

/** Waits for the sign-in form's error and returns its text. */
export async function signInError(page) {
  const error = page.locator('#sign-in-error');
  await error.waitFor({ state: 'visible', timeout: 15_000 });
  return (await error.textContent()).trim();
}

/** "HH:MM" of an ISO time in the pages' time zone. */
export function clockInTestZone(iso) {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: TIMEZONE })
    .format(new Date(iso));
}
