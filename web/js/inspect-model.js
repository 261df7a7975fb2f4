// What the inspector's page (inspect.js) computes, as pure functions: the GPS accuracy and its
// circle, the pin in words, the body of a filing and of the nearby search, which failures keep a
// filing for later, and the filings kept in the outbox (their photos uploaded or not yet). No
// DOM, no MapLibre, no requests (the fast tests import this module in node).
//
// The API is described in docs/CASES.md; photos in the photos contract (POST /api/v1/photos).

import { formatCount, t } from './i18n.js';

/** Roles that file findings from the map (administrators type in hotline calls). */
export const INSPECT_ROLES = Object.freeze(['inspector', 'admin']);

/** The zoom the map takes on the first GPS position: buildings and their entrances are told apart. */
export const POSITION_ZOOM = 17;

/** Ids of the page's own map sources and layers. */
export const INSPECT_LAYERS = Object.freeze({
  accuracySource: 'gps-accuracy',
  accuracyFill: 'gps-accuracy-fill',
  accuracyLine: 'gps-accuracy-line',
  trackSource: 'patrol-track',
  trackLine: 'patrol-track-line',
});

/** Metres between two `[lon, lat]` points (haversine). */
export function distanceM([lon1, lat1], [lon2, lat2]) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A patrol's track takes a GPS fix only once the walker has moved this far (m): standing still adds nothing. */
export const TRACK_STEP_M = 3;

/** The track with `point` added, unless it is within TRACK_STEP_M of the last position. */
export function extendTrack(track, point) {
  const last = track[track.length - 1];
  return last && distanceM(last, point) < TRACK_STEP_M ? track : [...track, point];
}

/** The length of a track, metres. */
export function trackLength(track) {
  return track.reduce((sum, point, i) => (i === 0 ? 0 : sum + distanceM(track[i - 1], point)), 0);
}

/** The community whose bbox holds `point` (the first when bboxes overlap), else null. */
export function communityAt(communities, [lon, lat]) {
  return (communities ?? []).find(({ bbox: b }) => b && lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3]) ?? null;
}

/** The body of POST /api/v1/patrols for a walked track (WGS84, as the GPS gives it). */
export function patrolBody({ community, startedAt, endedAt, track }) {
  return { community, started_at: new Date(startedAt).toISOString(), ended_at: new Date(endedAt).toISOString(), track };
}

export function canInspect(user) {
  return Boolean(user && INSPECT_ROLES.includes(user.role));
}

/** A GPS fix in whole metres, and whether it is worse than the service's limit. */
export function accuracyState(accuracy, limit) {
  const n = Math.round(Number(accuracy));
  if (!Number.isFinite(n)) return { text: '', warn: false };
  const warn = Number.isFinite(limit) && n > limit;
  return {
    warn,
    text: warn ? t('gps_low_accuracy', { n: formatCount(n), limit: formatCount(limit) }) : t('gps_accuracy', { n: formatCount(n) }),
  };
}

/** The pin in words: none yet, from GPS (with its accuracy) or tapped on the map. */
export function pinText(pin) {
  if (!pin) return t('pin_none');
  if (Number.isFinite(pin.accuracy)) return t('pin_gps', { n: formatCount(Math.round(pin.accuracy)) });
  return t('pin_manual');
}

const EARTH_RADIUS_M = 6_371_008.8;

/**
 * A circle of `radius` metres around [lon, lat] as a GeoJSON Polygon (the GPS accuracy on the
 * map), its vertices `steps` bearings apart on the sphere.
 */
export function circlePolygon([lon, lat], radius, steps = 64) {
  const d = radius / EARTH_RADIUS_M;
  const φ1 = (lat * Math.PI) / 180;
  const λ1 = (lon * Math.PI) / 180;
  const ring = [];
  for (let i = 0; i <= steps; i += 1) {
    const θ = (2 * Math.PI * (i % steps)) / steps;
    const φ2 = Math.asin(Math.sin(φ1) * Math.cos(d) + Math.cos(φ1) * Math.sin(d) * Math.cos(θ));
    const λ2 = λ1 + Math.atan2(Math.sin(θ) * Math.sin(d) * Math.cos(φ1), Math.cos(d) - Math.sin(φ1) * Math.sin(φ2));
    ring.push([(λ2 * 180) / Math.PI, (φ2 * 180) / Math.PI]);
  }
  return { type: 'Polygon', coordinates: [ring] };
}

/**
 * The body of POST /api/v1/cases. The map is WGS84, so the pin is sent as such; `accuracy_m`
 * only when the position came from GPS (a pin tapped on the map has none: the service snaps it
 * within its own default).
 */
export function filingBody({ pin, category, note = '', photos = [] }) {
  const body = { lon: round7(pin.lon), lat: round7(pin.lat), crs: 'wgs84', category, description: note.trim(), photos: [...photos] };
  if (Number.isFinite(pin.accuracy)) body.accuracy_m = Math.round(pin.accuracy * 10) / 10;
  return body;
}

// Seven decimals are about a centimetre: more only makes the idempotent body longer.
function round7(x) {
  return Math.round(x * 1e7) / 1e7;
}

/** GET /api/v1/cases/nearby for the pin and category. */
export function nearbyPath(pin, category) {
  const params = new URLSearchParams({ lon: String(round7(pin.lon)), lat: String(round7(pin.lat)), crs: 'wgs84', category });
  return `/api/v1/cases/nearby?${params}`;
}

// ---------------------------------------------------------------------------------------------
// The outbox: filings kept in IndexedDB until they are sent

/**
 * A filing to keep: its Idempotency-Key, whose it is (a phone may be shared: a filing is only
 * ever sent by the user who made it), what was filed (`{pin, category, note}`, from which
 * filingBody builds the same body every time, as the key requires) and its photos as `{id}`
 * (uploaded) or `{blob}` (not yet).
 */
export function outboxEntry({ key, username, filing, photos, now = Date.now() }) {
  const { pin, category, note } = filing;
  return {
    key, username, filing: { pin, category, note }, created_at: now, error: null,
    photos: photos.map((p) => (p.id ? { id: p.id } : { blob: p.blob })),
  };
}

/** The entry with one more of its photos uploaded (the blob at `index` replaced by its id). */
export function withUploadedPhoto(entry, index, id) {
  return { ...entry, photos: entry.photos.map((p, i) => (i === index ? { id } : p)) };
}

/** The body to send for an entry whose photos are all uploaded. */
export function outboxBody(entry) {
  if (entry.photos.some((p) => !p.id)) throw new Error('photos are still to be uploaded');
  return filingBody({ ...entry.filing, photos: entry.photos.map((p) => p.id) });
}

/** The user's entries, oldest first. */
export function userEntries(entries, username) {
  return (entries ?? []).filter((e) => e.username === username).sort((a, b) => a.created_at - b.created_at);
}
