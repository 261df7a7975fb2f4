// The one client for the service's JSON API.
//
// The service answers errors as {"error": {"code", "message", "details"}}; every failure
// here (that body, a non-JSON error page, a dropped connection) becomes a thrown ApiError
// whose `message` is fit to show to the user.
//
// Every request carries the session cookie (same origin). A 401 `unauthenticated` answer (the
// session expired or was ended elsewhere) is also announced to the `onUnauthenticated`
// listeners — session.js puts the sign-in form back — unless the call passes
// `{ expectUnauthenticated: true }` (the session check itself).

import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(message, { status = 0, code = null, details = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const unauthenticatedListeners = new Set();

/** Calls `listener(error)` whenever an API call is answered 401 `unauthenticated`; returns an unsubscribe function. */
export function onUnauthenticated(listener) {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

/** Tells the listeners the session is gone (also used for tile requests answered 401). */
export function announceUnauthenticated(error) {
  for (const listener of [...unauthenticatedListeners]) listener(error);
}

/**
 * Calls the API. `path` is absolute ("/api/v1/..."); `body`, when given, is sent as JSON, or
 * as it is with its own type when it is a Blob (a photo). Resolves to the parsed JSON body (or
 * null for 204), rejects with an ApiError.
 */
export async function api(path, { method = 'GET', body, signal, headers = {}, expectUnauthenticated = false } = {}) {
  const init = { method, signal, credentials: 'same-origin', headers: { Accept: 'application/json', ...headers } };
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    init.body = body;
    init.headers['Content-Type'] = body.type || 'application/octet-stream';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(t('network_error'), { code: 'network_error', details: String(err) });
  }

  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }

  if (!response.ok) {
    const error = json && typeof json === 'object' ? json.error : null;
    const message = error?.message || `HTTP ${response.status} ${response.statusText}`.trim();
    const failure = new ApiError(message, {
      status: response.status,
      code: error?.code ?? null,
      details: error?.details ?? null,
    });
    if (response.status === 401 && failure.code === 'unauthenticated' && !expectUnauthenticated) {
      announceUnauthenticated(failure);
    }
    throw failure;
  }
  if (json === null && text) {
    throw new ApiError(`HTTP ${response.status}: not JSON`, { status: response.status });
  }
  return json;
}

/**
 * Whether a failed call may have failed for the connection rather than for what it sent, so
 * that sending it again later is right: no answer at all, or a gateway that could not reach
 * the service.
 */
export function isConnectionFailure(err) {
  return err?.code === 'network_error' || [502, 503, 504].includes(err?.status);
}

export const getJson = (path, options = {}) => api(path, { ...options, method: 'GET' });
export const postJson = (path, body, options = {}) => api(path, { ...options, method: 'POST', body });
