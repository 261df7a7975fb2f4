// The inspector's page (inspect.html), made for a phone in the field: a map that follows the
// GPS position (with its accuracy circle, and a warning when it is worse than the service's
// limit) where a tap places or moves the pin, and a bottom sheet to file the finding — the
// category (groups › sub-categories), a note and photos (uploaded as they are chosen) — or,
// when open cases of that category lie within 50 m, to add to one of them instead.
//
// A filing carries an Idempotency-Key made once per filing, so that sending it again never makes
// a second case. When the phone is offline or the connection drops, the filing goes to the
// outbox (outbox.js, IndexedDB) with the photos uploaded so far (ids) and the others (Blobs), and
// is sent with the same key at the next page load, `online` event or retry. 我的上报 lists the
// user's cases, each opening the case page. 巡查 records a patrol: the GPS track walked between
// its start and finish, sent to POST /api/v1/patrols.
//
// For the browser test the page sets `window.inspectMap` and on the body `data-inspect-ready`,
// `data-busy`, `data-outbox` (the user's waiting filings), `data-pin` ("gps" or "manual"),
// `data-filed-id`, `data-patrol-points` and the counters `data-filed`, `data-outbox-sent`,
// `data-mine-loaded` and `data-patrols-recorded`.

import { getJson, isConnectionFailure, postJson } from './api.js';
import { caseItem, fact, statusBadge } from './case-items.js';
import { caseHref, categoryName, categoryTree, chinaDateTime, deadlineInfo, myCases, refusalText } from './cases-model.js';
import { applyI18n, formatCount, otherLanguageHref, t } from './i18n.js';
import { LAYER_IDS, createMap, featureId, fitToBboxes, highlightBuilding } from './map.js';
import {
  INSPECT_LAYERS, POSITION_ZOOM, accuracyState, canInspect, circlePolygon, communityAt, extendTrack, filingBody,
  nearbyPath, outboxBody, outboxEntry, patrolBody, pinText, trackLength, userEntries, withUploadedPhoto,
} from './inspect-model.js';
import { allEntries, deleteEntry, putEntry } from './outbox.js';
import { bump, createBusy, show, showStatus } from './page.js';
import { PhotoPicker, uploadPhoto } from './photos.js';
import { clearFieldErrors, el, setFieldError, startSignedIn, withLang } from './session.js';

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('inspect_page')}`;

const $ = (id) => document.getElementById(id);
const ui = {
  gpsStatus: $('gps-status'),
  locate: $('locate'),
  mapMessage: $('map-message'),
  sheet: $('sheet'),
  sheetToggle: $('sheet-toggle'),
  tabFile: $('tab-file'),
  tabMine: $('tab-mine'),
  tabPatrol: $('tab-patrol'),
  filePanel: $('file-panel'),
  minePanel: $('mine-panel'),
  patrolPanel: $('patrol-panel'),
  patrolStatus: $('patrol-status'),
  patrolError: $('patrol-error'),
  patrolStart: $('patrol-start'),
  patrolFinish: $('patrol-finish'),
  queueCount: $('queue-count'),
  notice: $('filing-notice'),
  form: $('filing-form'),
  pinStatus: $('pin-status'),
  groups: $('group-choices'),
  categories: $('category-choices'),
  note: $('note'),
  photoInput: $('photo-input'),
  photoList: $('photo-list'),
  nearby: $('nearby'),
  nearbyTitle: $('nearby-title'),
  nearbyList: $('nearby-list'),
  fileAnyway: $('file-anyway'),
  error: $('filing-error'),
  submit: $('submit-filing'),
  filed: $('filed'),
  filedTitle: $('filed-title'),
  filedFacts: $('filed-facts'),
  filedWarning: $('filed-warning'),
  filedLink: $('filed-link'),
  newFiling: $('new-filing'),
  outbox: $('outbox'),
  outboxList: $('outbox-list'),
  sendNow: $('send-now'),
  mineStatus: $('mine-status'),
  myCases: $('my-cases'),
};

// Until the service says otherwise (GET /api/v1/cases/settings).
const DEFAULT_SETTINGS = { accuracy_limit_m: 50, duplicate_radius_m: 50, max_photos: 9, max_description_chars: 2000 };
// A flaky connection may come back without an `online` event: the outbox is retried this often.
const OUTBOX_RETRY_MS = 30_000;

const state = {
  user: null,
  settings: DEFAULT_SETTINGS,
  tree: [],
  group: null,
  category: null,
  gps: null,          // the last GPS fix: { lon, lat, accuracy }
  pin: null,          // { lon, lat, accuracy } from GPS, { lon, lat } when tapped or dragged
  key: null,          // this filing's Idempotency-Key
  sending: false,     // the outbox is being sent
  communities: [],    // the user's, with their bboxes
  patrol: null,       // the patrol under way: { startedAt, track: [[lon, lat], …] }
};

let map = null;
let pinMarker = null;
let gpsMarker = null;
let centredOnGps = false;

const photos = new PhotoPicker({ input: ui.photoInput, list: ui.photoList, onChange: () => setFieldError(ui.form, 'photos', '') });

const showNotice = (message) => showStatus(ui.notice, message ?? '');
const showError = (message) => showStatus(ui.error, message ?? '', 'error');

// One filing or addition at a time; a refusal is shown by showRefusal.
const busy = createBusy({ onChange: renderBusy, onError: (err) => showRefusal(err) });

function renderBusy() {
  ui.submit.disabled = busy.active;
  ui.fileAnyway.disabled = busy.active;
  ui.submit.textContent = t(busy.active ? 'submitting' : 'submit_filing');
  for (const button of ui.nearbyList.querySelectorAll('button')) button.disabled = busy.active;
}

// ---- the map: GPS, accuracy circle, the pin ------------------------------------------------

function renderPin() {
  ui.pinStatus.textContent = pinText(state.pin);
  ui.pinStatus.dataset.kind = state.pin ? 'set' : 'none';
  document.body.dataset.pin = !state.pin ? '' : Number.isFinite(state.pin.accuracy) ? 'gps' : 'manual';
  if (!map) return;
  if (!state.pin) {
    pinMarker.remove();
    highlightBuilding(map, null);
    return;
  }
  pinMarker.setLngLat([state.pin.lon, state.pin.lat]).addTo(map);
  // The building under the pin, outlined: the one the service will most likely snap it to.
  const [building] = map.queryRenderedFeatures(map.project([state.pin.lon, state.pin.lat]), { layers: [LAYER_IDS.buildingFill] });
  highlightBuilding(map, building ? featureId(building) : null);
}

/**
 * Places the pin; `accuracy` only for a GPS position (a tapped pin has none to send). A pin put
 * somewhere else by hand asks for the nearby cases again; the GPS drifting a little does not.
 */
function setPin({ lng, lat }, accuracy = null) {
  state.pin = accuracy === null ? { lon: lng, lat } : { lon: lng, lat, accuracy };
  if (accuracy === null) show(ui.nearby, false);
  renderPin();
}

function renderGps() {
  const fix = state.gps;
  if (!fix) return;
  const accuracy = accuracyState(fix.accuracy, state.settings.accuracy_limit_m);
  showStatus(ui.gpsStatus, accuracy.text, accuracy.warn ? 'warn' : 'info');
  if (!map) return;
  map.getSource(INSPECT_LAYERS.accuracySource)?.setData({
    type: 'Feature', properties: {}, geometry: circlePolygon([fix.lon, fix.lat], Math.max(fix.accuracy, 1)),
  });
  gpsMarker.setLngLat([fix.lon, fix.lat]).addTo(map);
}

function onFix(position) {
  const { longitude: lon, latitude: lat, accuracy } = position.coords;
  state.gps = { lon, lat, accuracy };
  renderGps();
  if (state.patrol) {
    state.patrol.track = extendTrack(state.patrol.track, [lon, lat]);
    renderPatrol();
  }
  // The pin follows the GPS until the inspector places it by hand.
  if (!state.pin || Number.isFinite(state.pin.accuracy)) setPin({ lng: lon, lat }, accuracy);
  if (map && !centredOnGps) {
    centredOnGps = true;
    map.jumpTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), POSITION_ZOOM) });
    renderPin();
  }
}

function onGpsError(error) {
  if (state.gps) return; // a later fix failed: the last one is still shown
  showStatus(ui.gpsStatus, t(error?.code === 1 ? 'gps_denied' : 'gps_unavailable'), 'warn');
}

function watchGps() {
  if (!('geolocation' in navigator)) {
    onGpsError(null);
    return;
  }
  showStatus(ui.gpsStatus, t('gps_locating'));
  navigator.geolocation.watchPosition(onFix, onGpsError, { enableHighAccuracy: true, maximumAge: 10_000, timeout: 30_000 });
}

ui.locate.addEventListener('click', () => {
  if (!state.gps) return;
  setPin({ lng: state.gps.lon, lat: state.gps.lat }, state.gps.accuracy);
  map.easeTo({ center: [state.gps.lon, state.gps.lat], zoom: Math.max(map.getZoom(), POSITION_ZOOM) });
});

async function createInspectMap() {
  const m = createMap('inspect-map');
  await new Promise((resolve) => m.once('load', resolve));
  m.addSource(INSPECT_LAYERS.accuracySource, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  m.addLayer({ id: INSPECT_LAYERS.accuracyFill, type: 'fill', source: INSPECT_LAYERS.accuracySource, paint: { 'fill-color': '#2a7de1', 'fill-opacity': 0.12 } });
  m.addLayer({ id: INSPECT_LAYERS.accuracyLine, type: 'line', source: INSPECT_LAYERS.accuracySource, paint: { 'line-color': '#2a7de1', 'line-width': 1.5 } });
  pinMarker = new maplibregl.Marker({ color: '#c0271d', draggable: true });
  pinMarker.on('dragend', () => setPin(pinMarker.getLngLat()));
  m.addSource(INSPECT_LAYERS.trackSource, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  m.addLayer({ id: INSPECT_LAYERS.trackLine, type: 'line', source: INSPECT_LAYERS.trackSource, paint: { 'line-color': '#1a8a4a', 'line-width': 4 } });
  gpsMarker = new maplibregl.Marker({ element: el('div', { class: 'gps-dot' }) });
  m.on('click', (e) => setPin(e.lngLat));
  return m;
}

// ---- the sheet -----------------------------------------------------------------------------

function selectTab(tab) {
  for (const [name, button, panel] of [['file', ui.tabFile, ui.filePanel], ['mine', ui.tabMine, ui.minePanel], ['patrol', ui.tabPatrol, ui.patrolPanel]]) {
    button.setAttribute('aria-selected', String(tab === name));
    show(panel, tab === name);
  }
  setSheetExpanded(true);
  if (tab === 'mine') loadMine();
}

function setSheetExpanded(expanded) {
  ui.sheet.dataset.expanded = String(expanded);
  ui.sheetToggle.setAttribute('aria-expanded', String(expanded));
  ui.sheetToggle.setAttribute('aria-label', t(expanded ? 'sheet_collapse' : 'sheet_expand'));
  ui.sheetToggle.textContent = expanded ? '▾' : '▴';
}

ui.tabFile.addEventListener('click', () => selectTab('file'));
ui.tabMine.addEventListener('click', () => selectTab('mine'));
ui.tabPatrol.addEventListener('click', () => selectTab('patrol'));
ui.queueCount.addEventListener('click', () => selectTab('mine'));
ui.sheetToggle.addEventListener('click', () => setSheetExpanded(ui.sheet.dataset.expanded !== 'true'));

function chip(name, value, label, checked, extra = null) {
  const input = el('input', { type: 'radio', name, value, checked });
  return { input, label: el('label', { class: 'chip' }, input, el('span', { text: label }), extra) };
}

function renderCategories() {
  ui.groups.replaceChildren(...state.tree.map((g) => {
    const { input, label } = chip('group', g.code, categoryName(g), g.code === state.group);
    input.addEventListener('change', () => {
      state.group = g.code;
      state.category = null;
      renderCategories();
    });
    return label;
  }));
  const group = state.tree.find((g) => g.code === state.group);
  ui.categories.replaceChildren(...(group?.children ?? []).map((c) => {
    const privateTag = c.private ? el('span', { class: 'private-tag', text: t('category_private') }) : null;
    const { input, label } = chip('category', c.code, categoryName(c), c.code === state.category, privateTag);
    input.addEventListener('change', () => {
      state.category = c.code;
      setFieldError(ui.form, 'category', '');
      show(ui.nearby, false);
    });
    return label;
  }));
  show(ui.categories, Boolean(group));
}

/** A fresh filing: a new Idempotency-Key, no category, note or photos; the pin back on the GPS. */
function resetFiling() {
  state.key = crypto.randomUUID();
  state.group = null;
  state.category = null;
  ui.note.value = '';
  photos.clear();
  clearFieldErrors(ui.form);
  showError('');
  show(ui.nearby, false);
  renderCategories();
  if (state.gps) setPin({ lng: state.gps.lon, lat: state.gps.lat }, state.gps.accuracy);
  else {
    state.pin = null;
    renderPin();
  }
}

/** A refusal next to the field it names (category, note, photos), else above the button; null clears. */
function showRefusal(err) {
  if (err?.status === 401 && err.code === 'unauthenticated') return; // the sign-in form is back
  const field = { category: 'category', description: 'description', note: 'description', photos: 'photos' }[err?.details?.field];
  if (field) setFieldError(ui.form, field, refusalText(err));
  else showError(refusalText(err));
}

// ---- filing --------------------------------------------------------------------------------

function currentFiling() {
  return { pin: state.pin, category: state.category, note: ui.note.value };
}

/** Checks what the page can check itself: a pin and a category. */
function readyToFile() {
  clearFieldErrors(ui.form);
  showError('');
  if (!state.pin) showError(t('case_required_lon'));
  if (!state.category) setFieldError(ui.form, 'category', t('case_required_category'));
  return Boolean(state.pin && state.category);
}

async function submit({ askNearby }) {
  if (busy.active || !readyToFile()) return;
  const filing = currentFiling();
  await busy.run(async () => {
    try {
      if (navigator.onLine) {
        await photos.retryWaiting();
        if (askNearby && !photos.hasWaiting()) {
          const nearby = await getJson(nearbyPath(filing.pin, filing.category));
          if (nearby.cases?.length) {
            showNearby(nearby);
            return;
          }
        }
      }
      if (!navigator.onLine || photos.hasWaiting()) {
        await keep(filing);
        return;
      }
      const body = filingBody({ ...filing, photos: photos.ids() });
      const filed = await postJson('/api/v1/cases', body, { headers: { 'Idempotency-Key': state.key } });
      showFiled(filed, 'filed_title');
    } catch (err) {
      // Whether the service got it or not, the outbox sends it again with the same key.
      if (isConnectionFailure(err)) await keep(filing);
      else throw err;
    }
  });
}

/** Keeps the filing in the outbox (same key) and starts a fresh one. */
async function keep(filing) {
  await photos.settled();
  await putEntry(outboxEntry({ key: state.key, username: state.user.username, filing, photos: photos.kept() }));
  resetFiling();
  showNotice(t('queued_title'));
  await renderOutbox();
}

function showNearby(nearby) {
  ui.nearbyTitle.textContent = t('nearby_title', { radius: formatCount(nearby.radius_m ?? state.settings.duplicate_radius_m) });
  ui.nearbyList.replaceChildren(...nearby.cases.map((c) => {
    const add = el('button', { type: 'button', class: 'primary', dataset: { caseId: c.id }, text: t('add_to_case') });
    add.addEventListener('click', () => addTo(c.id));
    return el('li', { class: 'nearby-case', dataset: { caseId: c.id } },
      el('div', { class: 'nearby-head' },
        el('span', { class: 'case-number', text: c.number }),
        statusBadge(c.status),
        el('span', { class: 'distance', text: t('distance_m', { n: formatCount(Math.round(c.distance_m)) }) })),
      c.description ? el('p', { class: 'nearby-description', text: c.description }) : null,
      add);
  }));
  show(ui.nearby, true);
  ui.nearby.scrollIntoView({ block: 'nearest' });
}

/** Adds the note and photos to an open case near the pin instead of filing a new one. */
function addTo(caseId) {
  clearFieldErrors(ui.form);
  return busy.run(async () => {
    await photos.retryWaiting();
    if (photos.hasWaiting()) {
      setFieldError(ui.form, 'photos', t('photos_not_uploaded'));
      return;
    }
    const body = { note: ui.note.value, photos: photos.ids() };
    const updated = await postJson(`/api/v1/cases/${encodeURIComponent(caseId)}/additions`, body);
    showFiled(updated, 'added_title');
  });
}

/** The answer: the case number, who it went to and by when. */
function showFiled(c, title) {
  const routed = c.organisation ? [c.organisation, c.person].filter(Boolean).join(' · ') : t('not_routed');
  const deadline = deadlineInfo(c);
  ui.filedTitle.textContent = t(title);
  ui.filedFacts.replaceChildren(
    ...fact(t('case_number'), c.number, 'number'),
    ...fact(t('case_category'), c.category_name, 'category'),
    ...fact(t('routed_to'), routed, 'organisation'),
    ...fact(t('case_deadline'), deadline.text ? `${deadline.text}（${chinaDateTime(c.deadline)}）` : '', 'deadline'),
  );
  const lowAccuracy = (c.warnings ?? []).includes('low_accuracy');
  ui.filedWarning.textContent = lowAccuracy ? t('low_accuracy_filed') : '';
  show(ui.filedWarning, lowAccuracy);
  ui.filedLink.href = withLang(caseHref(c.id));
  show(ui.form, false);
  show(ui.filed, true);
  document.body.dataset.filedId = String(c.id);
  bump('filed');
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit({ askNearby: true });
});
ui.fileAnyway.addEventListener('click', () => submit({ askNearby: false }));
ui.newFiling.addEventListener('click', () => {
  resetFiling();
  showNotice('');
  show(ui.filed, false);
  show(ui.form, true);
});

// ---- the outbox ----------------------------------------------------------------------------

async function renderOutbox() {
  const entries = userEntries(await allEntries(), state.user.username);
  document.body.dataset.outbox = String(entries.length);
  ui.queueCount.textContent = t('queue_count', { n: entries.length });
  show(ui.queueCount, entries.length > 0);
  show(ui.outbox, entries.length > 0);
  ui.sendNow.disabled = state.sending;
  const names = new Map(state.tree.flatMap((g) => g.children).map((c) => [c.code, categoryName(c)]));
  ui.outboxList.replaceChildren(...entries.map((entry) => {
    const discard = el('button', { type: 'button', class: 'small-button', text: t('queue_discard') });
    discard.addEventListener('click', async () => {
      await deleteEntry(entry.key);
      await renderOutbox();
    });
    return el('li', { class: 'outbox-entry', dataset: { key: entry.key, state: entry.error ? 'refused' : 'waiting' } },
      el('span', { class: 'case-category', text: names.get(entry.filing.category) ?? entry.filing.category }),
      el('span', { class: 'case-time', text: chinaDateTime(entry.created_at) }),
      entry.photos.length ? el('span', { class: 'hint', text: t('queue_photos', { n: entry.photos.length }) }) : null,
      el('span', { class: 'outbox-state', text: entry.error ? t('queue_refused', { message: entry.error }) : t('queue_waiting') }),
      entry.error ? discard : null);
  }));
}

/** Sends the user's kept filings, oldest first, each with its own key; stops when the connection fails. */
async function sendOutbox() {
  if (state.sending || !state.user || !navigator.onLine) return;
  state.sending = true;
  const sent = [];
  try {
    for (const entry of userEntries(await allEntries(), state.user.username)) {
      if (entry.error) continue; // refused: it waits for the inspector to discard it
      let current = entry;
      try {
        for (const [i, photo] of entry.photos.entries()) {
          if (photo.id) continue;
          current = withUploadedPhoto(current, i, (await uploadPhoto(photo.blob)).id);
          await putEntry(current);
        }
        const filed = await postJson('/api/v1/cases', outboxBody(current), { headers: { 'Idempotency-Key': current.key } });
        await deleteEntry(current.key);
        sent.push(filed.number);
      } catch (err) {
        if (isConnectionFailure(err) || err?.status === 401) break;
        await putEntry({ ...current, error: refusalText(err) });
      }
    }
  } finally {
    state.sending = false;
    await renderOutbox();
  }
  if (sent.length) {
    showNotice(sent.map((number) => t('queue_sent', { number })).join('；'));
    bump('outboxSent');
    if (!ui.minePanel.hidden) await loadMine();
  }
}

ui.sendNow.addEventListener('click', sendOutbox);
window.addEventListener('online', sendOutbox);

// ---- 我的上报 --------------------------------------------------------------------------------

async function loadMine() {
  showStatus(ui.mineStatus, t('loading'));
  try {
    const data = await getJson('/api/v1/cases?sort=-created&limit=100');
    const cases = myCases(data.cases, state.user);
    ui.myCases.replaceChildren(...cases.map((c) => caseItem(c, { href: withLang(caseHref(c.id)), when: true })));
    showStatus(ui.mineStatus, cases.length ? '' : t('my_cases_empty'));
    bump('mineLoaded');
  } catch (err) {
    showStatus(ui.mineStatus, t('load_failed', { message: refusalText(err) }), 'error');
  }
}

// ---- patrols --------------------------------------------------------------------------------
// A patrol is the GPS track walked between 开始巡查 and 结束并提交; the service counts the
// buildings within 15 m of it as checked this month (blind spots are the others).

function renderPatrol() {
  const patrol = state.patrol;
  show(ui.patrolStart, !patrol);
  show(ui.patrolFinish, Boolean(patrol));
  if (patrol) {
    showStatus(ui.patrolStatus, t('patrol_walking', { points: formatCount(patrol.track.length), metres: formatCount(Math.round(trackLength(patrol.track))) }));
  }
  const line = patrol && patrol.track.length > 1 ? [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: patrol.track } }] : [];
  map?.getSource(INSPECT_LAYERS.trackSource)?.setData({ type: 'FeatureCollection', features: line });
  document.body.dataset.patrolPoints = String(patrol?.track.length ?? 0);
}

ui.patrolStart.addEventListener('click', () => {
  showStatus(ui.patrolError, '');
  if (!state.gps) {
    showStatus(ui.patrolError, t('patrol_no_gps'), 'error');
    return;
  }
  state.patrol = { startedAt: Date.now(), track: [[state.gps.lon, state.gps.lat]] };
  renderPatrol();
});

ui.patrolFinish.addEventListener('click', async () => {
  const patrol = state.patrol;
  showStatus(ui.patrolError, '');
  if (patrol.track.length < 2) {
    showStatus(ui.patrolError, t('patrol_too_short'), 'error');
    return;
  }
  const community = communityAt(state.communities, patrol.track[0]);
  if (!community) {
    showStatus(ui.patrolError, t('patrol_no_community'), 'error');
    return;
  }
  ui.patrolFinish.disabled = true;
  try {
    const body = patrolBody({ community: community.id, startedAt: patrol.startedAt, endedAt: Date.now(), track: patrol.track });
    const recorded = await postJson('/api/v1/patrols', body);
    state.patrol = null;
    renderPatrol();
    showStatus(ui.patrolStatus, t('patrol_recorded', { count: formatCount(recorded.buildings_checked) }));
    bump('patrolsRecorded');
  } catch (err) {
    showStatus(ui.patrolError, refusalText(err), 'error');
  } finally {
    ui.patrolFinish.disabled = false;
  }
});

// ---- start ---------------------------------------------------------------------------------

async function start(user) {
  state.user = user;
  resetFiling();
  watchGps();
  let categories;
  let communities;
  try {
    [map, categories, communities, state.settings] = await Promise.all([
      createInspectMap(),
      getJson('/api/v1/categories'),
      getJson('/api/v1/communities'),
      getJson('/api/v1/cases/settings'),
    ]);
  } catch (err) {
    showStatus(ui.mapMessage, t('load_failed', { message: refusalText(err) }), 'error');
    document.body.dataset.inspectError = err.message;
    return;
  }
  window.inspectMap = map;
  state.communities = communities.communities ?? [];
  photos.max = state.settings.max_photos;
  ui.note.maxLength = state.settings.max_description_chars;
  state.tree = categoryTree(categories.categories);
  renderCategories();
  if (state.gps) {
    centredOnGps = true;
    map.jumpTo({ center: [state.gps.lon, state.gps.lat], zoom: POSITION_ZOOM });
    renderGps();
  } else {
    fitToBboxes(map, (communities.communities ?? []).map((c) => c.bbox));
  }
  renderPin();
  await renderOutbox();
  document.body.dataset.inspectReady = 'true';
  await sendOutbox();
  setInterval(sendOutbox, OUTBOX_RETRY_MS);
}

setSheetExpanded(true);
// Keeps the page on the phone so that it opens with no connection (web/sw.js). Without it the
// page still works online; a browser that refuses workers says why in its console.
navigator.serviceWorker?.register('/sw.js', { type: 'module', scope: '/inspect' })
  .catch((err) => console.warn('the page will not open offline:', err.message));
startSignedIn({ content: document.getElementById('inspect-page'), allow: canInspect, forbidden: t('forbidden_inspect'), onReady: start });
