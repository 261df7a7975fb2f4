// Cases (cases.html): the list on the left — a handler's queue, an inspector's own cases, the
// whole area for administrators and leaders — filtered by status, category group, overdue and
// due today, overdue first with each deadline relative to now in China time; and one case on
// the right (`#case=ID`): its pin on a small map, its details, the buttons of exactly the steps
// the service allows this user now, each opening a small form with what the step needs, and
// the timeline of its events with their notes and photos (click to enlarge). Under the list, a
// community's hygiene dead spots (each with the cases that made it) and the month's patrol blind
// spots, loaded when that section is opened.
//
// Steps are POST /api/v1/cases/{id}/actions; a refusal is shown in the page's language by its
// code, next to the field it names. The pure parts are in cases-model.js. For the browser test
// the page sets `window.caseMap` and on the body `data-cases-ready`, `data-busy`, `data-case-id`,
// `data-case-status` and the counters `data-list-loaded`, `data-case-loaded` and `data-places-loaded`.

import { getJson, postJson } from './api.js';
import { caseItem, fact } from './case-items.js';
import {
  ACTIONS, STATUSES, actionBody, actionForm, actionLabel, blindSpotText, canOpenCases, canReadCoverage, caseIdFrom,
  categoryName, categoryTree, chinaDateTime, chinaMonth, chinaToday, coverageText, deadSpotText, deadlineInfo,
  eventDetailText, eventLabel, listKind, listQuery, photoLinks, placeText, refusalText, resolveCaseRef, statusLabel,
} from './cases-model.js';
import { applyI18n, otherLanguageHref, t } from './i18n.js';
import { createMap, highlightBuilding } from './map.js';
import { bump, createBusy, fillCommunityPicker, show, showStatus } from './page.js';
import { PhotoPicker, photoThumbnails } from './photos.js';
import { clearFieldErrors, el, setFieldError, startSignedIn } from './session.js';

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('cases_title')}`;

const $ = (id) => document.getElementById(id);
const ui = {
  page: $('cases-page'),
  listTitle: $('list-title'),
  count: $('case-count'),
  filters: $('case-filters'),
  status: $('filter-status'),
  group: $('filter-group'),
  overdue: $('filter-overdue'),
  dueToday: $('filter-due-today'),
  refresh: $('refresh-list'),
  listStatus: $('list-status'),
  list: $('case-list'),
  caseStatus: $('case-status'),
  detail: $('case-detail'),
  back: $('back-to-list'),
  number: $('case-number'),
  badge: $('case-status-badge'),
  deadline: $('case-deadline'),
  notice: $('action-notice'),
  error: $('action-error'),
  actions: $('action-buttons'),
  coarse: $('case-coarse'),
  facts: $('case-facts'),
  timeline: $('timeline'),
  dialog: $('action-dialog'),
  form: $('action-form'),
  formTitle: $('action-title'),
  noteLabel: $('action-note-label'),
  note: $('action-note'),
  photoField: $('action-photos'),
  untilField: $('action-until-field'),
  until: $('action-until'),
  duplicateField: $('action-duplicate-field'),
  duplicate: $('action-duplicate'),
  candidates: $('duplicate-candidates'),
  formError: $('action-form-error'),
  formCancel: $('action-cancel'),
  formConfirm: $('action-confirm'),
};

// Deadlines are shown relative to now: the list is redrawn this often.
const CLOCK_MS = 60_000;

const state = {
  user: null,
  cases: [],
  open: null,           // GET /api/v1/cases/{id} of the open case: { case, events, photos, allowed }
  action: null,         // the step whose form is open
  duplicates: [],       // candidates of the 重复 form: cases of the same category and community
  listSeq: 0,
  placesSeq: 0,
  caseSeq: 0,
};

let map = null;
let mapLoaded = false;   // layer filters can be set only once the style has loaded
let marker = null;

const photos = new PhotoPicker({
  input: $('action-photo-input'), list: $('action-photo-list'), onChange: () => setFieldError(ui.form, 'photos', ''),
});

const setText = (node, message) => showStatus(node, message ?? '');

// One step at a time; a refusal is shown by showStepRefusal.
const busy = createBusy({
  onChange: () => {
    ui.formConfirm.disabled = busy.active;
    for (const button of ui.actions.querySelectorAll('button')) button.disabled = busy.active;
  },
  onError: (err) => showStepRefusal(err),
});

// ---- the list ------------------------------------------------------------------------------

function filters() {
  return { status: ui.status.value, group: ui.group.value, overdue: ui.overdue.checked, dueToday: ui.dueToday.checked };
}

function renderList() {
  const now = Date.now();
  const openId = state.open?.case.id;
  ui.list.replaceChildren(...state.cases.map((c) => caseItem(c, { href: `#case=${c.id}`, selected: c.id === openId, now })));
  ui.count.textContent = t('cases_count', { n: state.cases.length });
  setText(ui.listStatus, state.cases.length ? '' : t('cases_empty'));
}

async function loadList() {
  const seq = ++state.listSeq;
  try {
    const data = await getJson(listQuery(state.user, filters()));
    if (seq !== state.listSeq) return;
    state.cases = data.cases ?? [];
    renderList();
    bump('listLoaded');
  } catch (err) {
    if (seq === state.listSeq) setText(ui.listStatus, t('load_failed', { message: refusalText(err) }));
  }
}

ui.filters.addEventListener('change', loadList);
ui.refresh.addEventListener('click', loadList);

// ---- one case ------------------------------------------------------------------------------

function renderFacts(c) {
  const deadline = deadlineInfo(c);
  const person = c.person ? [c.person, c.person_phone].filter(Boolean).join(' ') : '';
  const duplicateOf = c.duplicate_of ? el('a', { href: `#case=${c.duplicate_of}`, text: `#${c.duplicate_of}` }) : null;
  ui.facts.replaceChildren(
    ...fact(t('case_category'), c.category_name, 'category'),
    ...fact(t('case_place'), placeText(c), 'place'),
    ...fact(t('case_responsible'), c.organisation, 'organisation'),
    ...fact(t('case_person'), person, 'person'),
    // How far off it is, while the unit still has to act (a finished case's deadline is history).
    ...fact(t('case_deadline'), c.deadline ? `${chinaDateTime(c.deadline)}${deadline.kind === 'done' ? '' : `（${deadline.text}）`}` : '', 'deadline'),
    ...fact(t('case_reporter'), c.reporter_name, 'reporter'),
    ...fact(t('case_created'), chinaDateTime(c.created_at), 'created'),
    ...fact(t('case_counts'), t('case_counts_text', { rework: c.rework_count, backlog: c.backlog_count, returned: c.returned_count }), 'counts'),
    ...(c.description ? fact(t('case_description'), c.description, 'description') : []),
    ...(duplicateOf ? fact(t('case_duplicate_of'), '', 'duplicate-of', duplicateOf) : []),
  );
}

function renderTimeline({ events, photos: links }) {
  const byId = photoLinks(links);
  ui.timeline.replaceChildren(...(events ?? []).map((e) => {
    // The status it moved the case to; additions and 回访 leave it where it was.
    const change = e.from_status && e.from_status !== e.to_status ? `${statusLabel(e.from_status)} → ${statusLabel(e.to_status)}` : '';
    const detail = eventDetailText(e);
    return el('li', { class: 'event', dataset: { action: e.action, eventId: e.id } },
      el('div', { class: 'event-head' },
        el('span', { class: 'event-action', text: eventLabel(e) }),
        change ? el('span', { class: 'event-status', text: change }) : null,
        el('time', { datetime: e.at, text: chinaDateTime(e.at) }),
        el('span', { class: 'event-actor', text: e.actor_name })),
      detail ? el('p', { class: 'event-detail', text: detail }) : null,
      e.note ? el('p', { class: 'event-note', text: e.note }) : null,
      photoThumbnails(e.photos ?? [], byId));
  }));
}

function renderActions(allowed) {
  const steps = ACTIONS.filter((a) => allowed.includes(a));
  ui.actions.replaceChildren(...steps.map((action) => {
    const button = el('button', { type: 'button', class: action === steps[0] ? 'primary' : null, dataset: { action }, text: actionLabel(action) });
    button.addEventListener('click', () => openForm(action));
    return button;
  }));
  if (steps.length === 0) ui.actions.append(el('p', { class: 'hint', text: t('case_no_actions') }));
}

function placeOnMap(c) {
  map ??= createCaseMap();
  const center = [c.lon, c.lat];
  marker ??= new maplibregl.Marker({ color: '#c0271d' });
  marker.setLngLat(center).addTo(map);
  map.jumpTo({ center, zoom: c.coarse ? 15 : 17 });
  if (mapLoaded) highlightBuilding(map, c.building_id ?? null);
}

function createCaseMap() {
  const m = createMap('case-map');
  window.caseMap = m;
  m.once('load', () => {
    mapLoaded = true;
    highlightBuilding(m, state.open?.case.building_id ?? null);
  });
  return m;
}

function renderCase() {
  const { case: c, allowed } = state.open;
  const deadline = deadlineInfo(c);
  ui.number.textContent = c.number;
  ui.badge.textContent = statusLabel(c.status);
  ui.badge.dataset.status = c.status;
  ui.deadline.textContent = deadline.text;
  ui.deadline.dataset.kind = deadline.kind;
  show(ui.coarse, c.coarse);
  renderFacts(c);
  renderActions(allowed ?? []);
  renderTimeline(state.open);
  document.body.dataset.caseId = String(c.id);
  document.body.dataset.caseStatus = c.status;
  ui.page.classList.add('showing-case');
  show(ui.caseStatus, false);
  show(ui.detail, true);
  placeOnMap(c);
  renderList();
  bump('caseLoaded');
}

function closeCase(message = t('choose_case')) {
  state.open = null;
  ui.page.classList.remove('showing-case');
  show(ui.detail, false);
  setText(ui.caseStatus, message);
  delete document.body.dataset.caseId;
  delete document.body.dataset.caseStatus;
  renderList();
}

async function openCase(id) {
  const seq = ++state.caseSeq;
  if (id === null) {
    closeCase();
    return;
  }
  if (state.open?.case.id !== id) {
    setText(ui.notice, '');
    setText(ui.error, '');
  }
  let data;
  try {
    data = await getJson(`/api/v1/cases/${encodeURIComponent(id)}`);
  } catch (err) {
    if (seq === state.caseSeq) closeCase(err.status === 404 ? t('case_not_found') : t('load_failed', { message: refusalText(err) }));
    return;
  }
  if (seq !== state.caseSeq) return;
  state.open = data;
  renderCase();
}

window.addEventListener('hashchange', () => openCase(caseIdFrom(location.href)));
ui.back.addEventListener('click', (event) => {
  event.preventDefault();
  history.replaceState(null, '', location.pathname + location.search);
  closeCase();
});

// ---- steps ---------------------------------------------------------------------------------

async function loadDuplicateCandidates(c) {
  const params = new URLSearchParams({ category: c.category, community: String(c.community_id), sort: '-created', limit: '500' });
  const data = await getJson(`/api/v1/cases?${params}`);
  state.duplicates = (data.cases ?? []).filter((d) => d.id !== c.id && d.status !== 'cancelled');
  ui.candidates.replaceChildren(...state.duplicates.map((d) => el('option', {
    value: d.number, text: `${statusLabel(d.status)} · ${chinaDateTime(d.created_at)}`,
  })));
}

function openForm(action) {
  if (busy.active || !state.open) return;
  const needs = actionForm(action);
  state.action = action;
  ui.form.reset();
  clearFieldErrors(ui.form);
  setText(ui.formError, '');
  photos.clear();
  ui.formTitle.textContent = actionLabel(action);
  ui.noteLabel.textContent = needs.noteLabel;
  ui.note.required = needs.note === 'required';
  show(ui.photoField, needs.photos);
  show(ui.untilField, needs.until);
  ui.until.min = chinaToday();
  show(ui.duplicateField, needs.duplicateOf);
  ui.dialog.dataset.action = action;
  ui.dialog.showModal();
  if (needs.duplicateOf) loadDuplicateCandidates(state.open.case).catch((err) => setText(ui.formError, refusalText(err)));
}

ui.formCancel.addEventListener('click', () => ui.dialog.close('cancel'));

/**
 * A refusal next to the field it names, else in the form; a step the case has moved past reloads
 * it; null clears.
 */
async function showStepRefusal(err) {
  if (err?.status === 401 && err.code === 'unauthenticated') return;
  if (err?.code === 'illegal_transition') {
    ui.dialog.close('refused');
    setText(ui.error, refusalText(err));
    await openCase(state.open.case.id);
    return;
  }
  const field = err?.details?.field;
  if (!(field && setFieldError(ui.form, field, refusalText(err)))) setText(ui.formError, refusalText(err));
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (busy.active || !state.open) return;
  const action = state.action;
  const id = state.open.case.id;
  clearFieldErrors(ui.form);
  setText(ui.formError, '');
  const duplicateOf = resolveCaseRef(ui.duplicate.value, state.duplicates);
  if (actionForm(action).duplicateOf && duplicateOf === null) {
    setFieldError(ui.form, 'duplicate_of', t('case_refused_unknown_case'));
    return;
  }
  busy.run(async () => {
    await photos.retryWaiting();
    if (photos.hasWaiting()) {
      setFieldError(ui.form, 'photos', t('photos_not_uploaded'));
      return;
    }
    const body = actionBody(action, { note: ui.note.value, photos: photos.ids(), until: ui.until.value, duplicateOf });
    const answer = await postJson(`/api/v1/cases/${encodeURIComponent(id)}/actions`, body);
    ui.dialog.close('done');
    setText(ui.error, '');
    if (answer.visible === false) {
      history.replaceState(null, '', location.pathname + location.search);
      closeCase(t('action_left_queue'));
    } else {
      await openCase(id);
      setText(ui.notice, t('action_done', { action: actionLabel(action) }));
    }
    await loadList();
  });
});

// ---- places with a history: hygiene dead spots and the month's patrol blind spots ----------

const places = {
  details: $('places'),
  community: $('places-community'),
  monthField: $('places-month-field'),
  month: $('places-month'),
  status: $('places-status'),
  deadSpots: $('dead-spots'),
  blindSection: $('blind-spots-section'),
  coverage: $('coverage-summary'),
  blindSpots: $('blind-spots'),
};

// A community may have hundreds of unpatrolled buildings early in a month: the list shows this
// many and says how many more there are.
const BLIND_SPOTS_SHOWN = 50;

/** A dead spot, with a button that lists the cases that made it (each opening its case). */
function deadSpotItem(spot) {
  const more = el('button', { type: 'button', class: 'small-button', text: t('dead_spot_cases') });
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const { cases } = await getJson(`/api/v1/dead-spots/${encodeURIComponent(spot.id)}`);
      more.replaceWith(el('ol', { class: 'place-cases' }, ...cases.map((c) => el('li', {},
        el('a', { href: `#case=${c.id}`, text: `${c.number} · ${statusLabel(c.status)}` })))));
    } catch (err) {
      more.disabled = false;
      setText(places.status, t('load_failed', { message: refusalText(err) }));
    }
  });
  return el('li', { dataset: { deadSpotId: spot.id, status: spot.status } }, el('span', { text: deadSpotText(spot) }), ' ', more);
}

function renderBlindSpots(coverage) {
  places.coverage.textContent = coverageText(coverage);
  const spots = coverage.blind_spots ?? [];
  const shown = spots.slice(0, BLIND_SPOTS_SHOWN);
  places.blindSpots.replaceChildren(...shown.map((b) => el('li', { dataset: { buildingId: b.id }, text: blindSpotText(b) })));
  if (spots.length > shown.length) places.blindSpots.append(el('li', { class: 'hint', text: t('more_count', { n: spots.length - shown.length }) }));
  if (spots.length === 0) places.blindSpots.append(el('li', { class: 'hint', text: t('blind_spots_empty') }));
}

/** Loads the chosen community's dead spots (and, for those who may read it, the month's coverage) while the section is open. */
async function loadPlaces() {
  const community = places.community.value;
  if (!places.details.open || !community) return;
  const seq = ++state.placesSeq;
  setText(places.status, t('loading'));
  try {
    const query = new URLSearchParams({ community });
    if (places.month.value) query.set('month', places.month.value);
    const [{ dead_spots: spots }, coverage] = await Promise.all([
      getJson(`/api/v1/dead-spots?community=${encodeURIComponent(community)}`),
      canReadCoverage(state.user) ? getJson(`/api/v1/patrols/coverage?${query}`) : null,
    ]);
    if (seq !== state.placesSeq) return;
    places.deadSpots.replaceChildren(...spots.map(deadSpotItem));
    if (spots.length === 0) places.deadSpots.append(el('li', { class: 'hint', text: t('dead_spots_empty') }));
    if (coverage) renderBlindSpots(coverage);
    setText(places.status, '');
    bump('placesLoaded');
  } catch (err) {
    if (seq === state.placesSeq) setText(places.status, t('load_failed', { message: refusalText(err) }));
  }
}

places.details.addEventListener('toggle', loadPlaces);
places.community.addEventListener('change', loadPlaces);
places.month.addEventListener('change', loadPlaces);

// ---- start ---------------------------------------------------------------------------------

async function start(user) {
  state.user = user;
  ui.listTitle.textContent = t({ queue: 'cases_queue', mine: 'cases_mine', area: 'cases_area' }[listKind(user)]);
  ui.status.append(...STATUSES.map((s) => el('option', { value: s, text: statusLabel(s) })));
  const coverage = canReadCoverage(user);
  show(places.monthField, coverage);
  show(places.blindSection, coverage);
  places.month.value = chinaMonth();
  try {
    const [{ categories }, { communities }] = await Promise.all([getJson('/api/v1/categories'), getJson('/api/v1/communities')]);
    ui.group.append(...categoryTree(categories).map((g) => el('option', { value: g.code, text: categoryName(g) })));
    fillCommunityPicker(places.community, communities);
    if (communities.length === 1) places.community.value = String(communities[0].id);
  } catch (err) {
    setText(ui.listStatus, t('load_failed', { message: refusalText(err) }));
  }
  await Promise.all([loadList(), openCase(caseIdFrom(location.href))]);
  setInterval(renderList, CLOCK_MS);
  document.body.dataset.casesReady = 'true';
}

startSignedIn({ content: ui.page, allow: canOpenCases, forbidden: t('forbidden_cases'), onReady: start });
