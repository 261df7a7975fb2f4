// The inspector page's service worker (registered by js/inspect.js, scope /inspect): the page
// opens on a phone with no connection once it has been opened with one, so that a finding can be
// filed into the outbox (js/outbox.js) and sent later.
//
// - The page itself, its styles, scripts and MapLibre are fetched when the worker installs.
// - They, the map tiles seen, and the few answers the page needs to start (who is signed in,
//   the categories, communities and filing settings) are taken from the network first and
//   kept; without an answer within TIMEOUT_MS the kept copy is used, so that a slow connection
//   does not hold the page.
// - Nothing else is kept: cases and photos are personal and change. Signing out drops the kept
//   answers, so that the next user of the phone does not start as the last one.
// - Changes (POST) are never answered here: they fail offline and the page keeps them.

const VERSION = 'wangge-inspect-1';

/** The page and everything it loads. tests/browser/sw.test.mjs checks it against the imports. */
export const SHELL = [
  '/inspect.html',
  '/css/app.css',
  '/css/cases.css',
  '/css/inspect.css',
  '/vendor/maplibre-gl/maplibre-gl.css',
  '/vendor/maplibre-gl/maplibre-gl.js',
  '/js/api.js',
  '/js/case-items.js',
  '/js/cases-model.js',
  '/js/geometry.js',
  '/js/i18n.js',
  '/js/inspect-model.js',
  '/js/inspect.js',
  '/js/map.js',
  '/js/outbox.js',
  '/js/page.js',
  '/js/photos.js',
  '/js/session.js',
  '/js/units-model.js',
];

/** The answers the page starts from. */
export const STARTUP_API = ['/api/v1/session', '/api/v1/categories', '/api/v1/communities', '/api/v1/cases/settings'];

const TIMEOUT_MS = 4000;
/** Tiles kept at most; the oldest go first (about 20 MB of vector tiles). */
const MAX_TILES = 2000;
const TILES = `${VERSION}-tiles`;

/** Which cache keeps a GET of this path, if any. */
function cacheFor(pathname) {
  if (SHELL.includes(pathname) || STARTUP_API.includes(pathname)) return VERSION;
  if (pathname.startsWith('/tiles/')) return TILES;
  return null;
}

// A module worker has no `self.addEventListener` at import in tests: guard for node.
if (typeof ServiceWorkerGlobalScope !== 'undefined' && self instanceof ServiceWorkerGlobalScope) {
  self.addEventListener('install', (event) => {
    event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
  });

  self.addEventListener('activate', (event) => {
    event.waitUntil((async () => {
      const keep = new Set([VERSION, TILES]);
      await Promise.all((await caches.keys()).filter((key) => !keep.has(key)).map((key) => caches.delete(key)));
      await self.clients.claim();
    })());
  });

  self.addEventListener('fetch', (event) => {
    const { request } = event;
    const url = new URL(request.url);
    if (url.origin !== self.location.origin) return;
    if (request.method === 'DELETE' && url.pathname === '/api/v1/session') {
      event.respondWith(signOut(request));
      return;
    }
    const cache = request.method === 'GET' ? cacheFor(url.pathname) : null;
    if (cache) event.respondWith(networkFirst(request, cache, event));
  });
}

async function signOut(request) {
  const response = await fetch(request);
  const cache = await caches.open(VERSION);
  await Promise.all(STARTUP_API.map((path) => cache.delete(path)));
  return response;
}

/**
 * The network's answer (kept when it is a success), or the kept copy when the network fails or
 * is slower than TIMEOUT_MS; the network's answer still updates the copy later.
 */
async function networkFirst(request, cacheName, event) {
  const cache = await caches.open(cacheName);
  // The page is kept without its query (`?lang=en`); API answers with theirs.
  const kept = () => cache.match(request, { ignoreSearch: request.mode === 'navigate' });
  const network = fetch(request).then(async (response) => {
    if (response.ok) {
      await cache.put(request.mode === 'navigate' ? new URL(request.url).pathname : request, response.clone());
      if (cacheName === TILES) await trim(cache);
    }
    return response;
  });
  event.waitUntil(network.catch(() => undefined));
  const timeout = new Promise((resolve) => { setTimeout(resolve, TIMEOUT_MS); });
  const first = await Promise.race([network.catch(() => null), timeout.then(() => null)]);
  if (first) return first;
  const copy = await kept();
  return copy ?? network;
}

async function trim(cache) {
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_TILES)).map((key) => cache.delete(key)));
}
