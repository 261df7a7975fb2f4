// The grid planner (planner.html): a community's plans (方案) and their grids (网格) on the map,
// for planners and administrators to edit and publish and for leaders to read.
//
// A community is picked, then one of its plans (or a new one generated). The plan's grids are
// drawn in distinct colours with their household tallies as labels (marked under / within /
// over the bounds), its buildings in the colour of their grid. Buildings are selected by click
// or lasso (the 套索 button, or shift-drag), then moved to another grid, split off into a new
// grid; grids are merged and locked; every edit is one POST /api/v1/plans/{id}/edits whose
// answer (the Plan) updates the tallies and the violations at once, then the map data reload.
// 撤销 / 重做 (Ctrl+Z, Ctrl+Shift+Z) ask the service. A draft is published after a confirmation
// (and, when the service lists violations, a second one); a published plan is copied to a new
// draft to be changed. Another plan of the community can be compared: the buildings whose grid
// differs are outlined, and the other plan's grids are shown on a second map beside the first.
//
// The pure parts (colours, labels, lasso, request bodies) are in planner-model.js. For the
// browser test the page sets `window.plannerMap` (and `window.plannerCompareMap`) and on the
// body `data-planner-ready`, `data-busy`, `data-plan-id`, `data-plan-status`, and the counters
// `data-plan-rendered` and `data-map-data-loaded` that go up each time the panel or the map
// data are redrawn.

import { getJson, postJson } from './api.js';
import { normId } from './geometry.js';
import { applyI18n, formatCount, otherLanguageHref, t } from './i18n.js';
import { LAYER_IDS, createMap, fitToBboxes, fitToFeatures, idIn } from './map.js';
import { bump, createBusy, failureText, fillCommunityPicker, show, showErrorLine, showStatus } from './page.js';
import {
  EditError, MARK_SYMBOLS, PLANNER_COLORS, PLAN_LAYERS, addToSelection, canEdit, canRead,
  comparablePlans, decorateBuildings, decorateGrids, defaultPlan, detachedGrids, diffBuildingIds, diffChangeText,
  diffSummaryText, exportLinks, gridColor, gridLabelPoints, gridTitle, historyState, indexBuildings, isEditable,
  lassoSelect, lockAllEdit, lockEdit, markLabel, mergeEdit, moveEdit, planBounds, planOptionLabel,
  planStatusLabel, pruneSelection, publishViolations, selectionSummary, selectionText, shortDateTime,
  shortcutAction, splitEdit, tallyLabel, toggleSelection, violationText, violationsByGrid,
} from './planner-model.js';
import { el, startSignedIn } from './session.js';

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('planner_title')}`;

const $ = (id) => document.getElementById(id);
const ui = {
  communitySelect: $('community-select'),
  planRow: $('plan-row'),
  planSelect: $('plan-select'),
  status: $('planner-status'),
  error: $('planner-error'),
  notice: $('planner-notice'),
  planInfo: $('plan-info'),
  planStatus: $('plan-status'),
  planSummary: $('plan-summary'),
  planMeta: $('plan-meta'),
  planExplanation: $('plan-explanation'),
  planReadOnly: $('plan-read-only'),
  generate: $('generate-plan'),
  generateOptions: $('generate-options'),
  copy: $('copy-plan'),
  publish: $('publish-plan'),
  exportLinks: $('export-links'),
  exportCsv: $('export-csv'),
  exportGeojson: $('export-geojson'),
  editSection: $('edit-section'),
  editHeading: $('edit-heading'),
  undo: $('undo'),
  redo: $('redo'),
  lassoTool: $('lasso-tool'),
  clearSelection: $('clear-selection'),
  selectionInfo: $('selection-info'),
  moveTarget: $('move-target'),
  move: $('move-selection'),
  split: $('split-selection'),
  mergeInto: $('merge-into'),
  mergeFrom: $('merge-from'),
  merge: $('merge-grids'),
  lockAll: $('lock-all'),
  unlockAll: $('unlock-all'),
  gridsSection: $('grids-section'),
  gridRows: $('grid-rows'),
  findDetached: $('find-detached'),
  detachedResult: $('detached-result'),
  violationsSection: $('violations-section'),
  violationCount: $('violation-count'),
  violationList: $('violation-list'),
  compareSection: $('compare-section'),
  compareSelect: $('compare-select'),
  compare: $('compare-plans'),
  compareClose: $('compare-close'),
  diffResult: $('diff-result'),
  diffSummary: $('diff-summary'),
  diffList: $('diff-list'),
  maps: $('planner-maps'),
  mainCaption: $('main-caption'),
  compareWrap: $('compare-wrap'),
  compareCaption: $('compare-caption'),
  lassoHint: $('lasso-hint'),
  mapMessage: $('map-message'),
  publishDialog: $('publish-dialog'),
  publishText: $('publish-text'),
  publishViolations: $('publish-violations'),
  publishViolationList: $('publish-violation-list'),
  publishError: $('publish-error'),
  publishCancel: $('publish-cancel'),
  publishConfirm: $('publish-confirm'),
  publishForce: $('publish-force'),
};

const EMPTY = Object.freeze({ type: 'FeatureCollection', features: [] });
const DIFF_LIST_LIMIT = 200;

const state = {
  user: null,
  communities: [],
  community: null,
  plans: [],
  plan: null,             // the open Plan, as the service last answered it
  grids: EMPTY,           // decorated grid polygons of the open plan
  buildings: EMPTY,       // decorated buildings of the open plan
  buildingsById: new Map(),
  labelPoints: new Map(),
  selection: new Set(),
  detached: [],           // grid numbers highlighted by 查找分离部分
  detachedShown: false,   // the 查找分离部分 result is open (and follows the edits)
  mapSeq: 0,
  compare: null,          // { plan (summary), diff, ids }
};

let map = null;
let compareMap = null;
let labelMarkers = [];
let compareMarkers = [];

// ---- small helpers -----------------------------------------------------------------------

const setStatus = (message, kind) => showStatus(ui.status, message, kind);

/** An API error in the page's language ("操作失败：网格已锁定…"); null when there is nothing to say. */
const refusalText = (err) => failureText(err, { prefix: 'edit_refused_', wrap: 'planner_action_failed' });

const showError = (err) => showErrorLine(ui.error, err, err instanceof EditError ? err.message : refusalText(err));

function showNotice(message) {
  ui.notice.textContent = message ?? '';
  show(ui.notice, Boolean(message));
}

function planName(plan) {
  return plan ? t('plan_version', { n: plan.version ?? plan.id }) : '';
}

function editable() {
  return isEditable(state.plan, state.user);
}

/** One change or load at a time, with the buttons off; errors are shown in the page's language. */
const busy = createBusy({ onChange: () => renderControls(), onError: showError });

function rememberInUrl() {
  const url = new URL(location.href);
  if (state.community) url.searchParams.set('community', state.community.id);
  else url.searchParams.delete('community');
  if (state.plan) url.searchParams.set('plan', state.plan.id);
  else url.searchParams.delete('plan');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  document.getElementById('language-switch').href = otherLanguageHref();
}

// ---- the maps ----------------------------------------------------------------------------

const numberIn = (numbers) => ['in', ['get', 'number'], ['literal', [...numbers]]];

/** The planner's sources and layers over the base style (whose tile buildings are hidden). */
function addPlanLayers(m) {
  for (const id of [LAYER_IDS.buildingFill, LAYER_IDS.buildingOutline, LAYER_IDS.buildingSelected]) {
    if (m.getLayer(id)) m.setLayoutProperty(id, 'visibility', 'none');
  }
  const L = PLAN_LAYERS;
  m.addSource(L.gridsSource, { type: 'geojson', data: EMPTY });
  m.addSource(L.buildingsSource, { type: 'geojson', data: EMPTY });
  m.addSource(L.lassoSource, { type: 'geojson', data: EMPTY });
  const before = m.getLayer(LAYER_IDS.communityOutline) ? LAYER_IDS.communityOutline : undefined;
  const add = (layer) => m.addLayer(layer, before);
  add({ id: L.gridFill, type: 'fill', source: L.gridsSource, paint: { 'fill-color': ['get', 'color'], 'fill-opacity': 0.16 } });
  add({
    id: L.buildingFill, type: 'fill', source: L.buildingsSource,
    paint: { 'fill-color': ['get', 'color'], 'fill-opacity': 0.88 },
  });
  add({
    id: L.buildingOutline, type: 'line', source: L.buildingsSource,
    paint: {
      'line-color': ['case', ['get', 'multi_grid'], PLANNER_COLORS.alert, '#3d3a35'],
      'line-width': ['case', ['get', 'split'], 1.6, 0.6],
      'line-opacity': 0.8,
    },
  });
  add({
    id: L.gridOutline, type: 'line', source: L.gridsSource, layout: { 'line-join': 'round' },
    paint: { 'line-color': ['get', 'color'], 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 1.5, 18, 4] },
  });
  add({
    id: L.gridAlert, type: 'line', source: L.gridsSource, filter: ['==', ['get', 'alert'], true],
    layout: { 'line-join': 'round' },
    paint: { 'line-color': PLANNER_COLORS.alert, 'line-width': 1.6, 'line-dasharray': [2, 2] },
  });
  add({
    id: L.gridDetached, type: 'line', source: L.gridsSource, filter: numberIn([]), layout: { 'line-join': 'round' },
    paint: { 'line-color': PLANNER_COLORS.alert, 'line-width': 5, 'line-opacity': 0.85 },
  });
  add({
    id: L.buildingChanged, type: 'line', source: L.buildingsSource, filter: idIn([]),
    paint: { 'line-color': PLANNER_COLORS.changed, 'line-width': 3 },
  });
  add({
    id: L.buildingSelectedFill, type: 'fill', source: L.buildingsSource, filter: idIn([]),
    paint: { 'fill-color': '#ffffff', 'fill-opacity': 0.45 },
  });
  add({
    id: L.buildingSelected, type: 'line', source: L.buildingsSource, filter: idIn([]),
    paint: { 'line-color': PLANNER_COLORS.selected, 'line-width': 3 },
  });
  m.addLayer({
    id: L.lassoFill, type: 'fill', source: L.lassoSource, filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'fill-color': PLANNER_COLORS.lasso, 'fill-opacity': 0.12 },
  });
  m.addLayer({
    id: L.lassoLine, type: 'line', source: L.lassoSource,
    paint: { 'line-color': PLANNER_COLORS.lasso, 'line-width': 2, 'line-dasharray': [2, 1] },
  });
}

/** A map for the planner: the shared base map (map.js) and the plan layers. */
async function createPlannerMap(container, options = {}) {
  const m = createMap(container, options);
  m.boxZoom.disable(); // shift-drag draws a lasso
  await m.once('load');
  addPlanLayers(m);
  return m;
}

function setSourceData(m, source, data) {
  m?.getSource(source)?.setData(data);
}

function fitToCommunity() {
  if (state.community?.bbox) fitToBboxes(map, [state.community.bbox], { padding: 30 });
}

function gridFeatures(numbers) {
  const wanted = new Set(numbers.map(Number));
  return state.grids.features.filter((f) => wanted.has(Number(f.properties.number)));
}

function flyToGrid(number) {
  const features = gridFeatures([number]);
  if (features.length) fitToFeatures(map, features);
  else fitToFeatures(map, state.buildings.features.filter((f) => Number(f.properties.grid) === Number(number)));
}

function flyToBuilding(id) {
  const f = state.buildingsById.get(normId(id));
  if (f) fitToFeatures(map, [f], { maxZoom: 18, padding: 160 });
}

// ---- grid labels (HTML markers: no glyphs offline) -----------------------------------------

/** Tally labels of `grids` ({number, name, households, connected, locked}) on map `m`; returns the markers. */
function gridLabels(m, grids, points, bounds) {
  const markers = [];
  for (const grid of grids ?? []) {
    const point = points.get(Number(grid.number));
    if (!point) continue;
    const tally = tallyLabel(grid, bounds);
    const node = el('div', {
      class: 'grid-label', title: tally.hint,
      dataset: { gridNumber: grid.number, mark: tally.mark, connected: String(grid.connected !== false) },
    },
    el('span', { class: 'grid-label-title' },
      el('span', { class: 'grid-swatch', style: `background:${gridColor(grid.number)}` }),
      el('span', { text: tally.title })),
    el('span', { class: 'grid-label-tally' },
      el('span', { class: 'grid-label-households', text: tally.count }),
      el('span', { class: 'grid-mark', dataset: { mark: tally.mark }, text: tally.symbol })));
    if (grid.locked) node.append(el('span', { class: 'grid-label-lock', text: '🔒' }));
    markers.push(new maplibregl.Marker({ element: node, anchor: 'center' }).setLngLat(point).addTo(m));
  }
  return markers;
}

function renderGridLabels() {
  for (const marker of labelMarkers) marker.remove();
  labelMarkers = map && state.plan ? gridLabels(map, state.plan.grids, state.labelPoints, planBounds(state.plan)) : [];
}

// ---- the side panel ----------------------------------------------------------------------

function gridOptions(select, { placeholder = true } = {}) {
  const previous = select.value;
  const grids = state.plan?.grids ?? [];
  select.replaceChildren(
    ...(placeholder ? [el('option', { value: '', text: t('choose_grid') })] : []),
    ...grids.map((g) => el('option', {
      value: g.number,
      text: `${gridTitle(g)} · ${t('households_count', { n: formatCount(g.households) })}${g.locked ? ' 🔒' : ''}`,
    })),
  );
  if (grids.some((g) => String(g.number) === previous)) select.value = previous;
}

function renderPlanInfo() {
  const plan = state.plan;
  show(ui.planInfo, Boolean(plan));
  show(ui.exportLinks, Boolean(plan));
  if (!plan) return;
  ui.planStatus.textContent = `${planName(plan)} · ${planStatusLabel(plan.status)}`;
  ui.planStatus.dataset.status = plan.status;
  ui.planSummary.textContent = t('plan_summary', {
    grids: formatCount(plan.grids?.length ?? 0), households: formatCount(plan.households),
  });
  const meta = [];
  if (plan.author) meta.push(t('plan_author', { name: plan.author }));
  const when = shortDateTime(plan.published_at || plan.created_at);
  if (when) meta.push(when);
  if (Number(plan.unassigned_households) > 0) meta.push(t('unassigned_households', { n: formatCount(plan.unassigned_households) }));
  if (Number(plan.moved_households) > 0) meta.push(t('moved_households_text', { n: formatCount(plan.moved_households) }));
  if (plan.note) meta.push(plan.note);
  ui.planMeta.textContent = meta.join(' · ');
  const infeasible = plan.feasible === false;
  ui.planExplanation.textContent = infeasible ? t('plan_infeasible', { reason: plan.explanation ?? t('missing') }) : '';
  show(ui.planExplanation, infeasible);

  const links = exportLinks(plan.id);
  ui.exportCsv.href = links.csv;
  ui.exportCsv.setAttribute('download', `plan-${plan.id}.csv`);
  ui.exportGeojson.href = links.geojson;
  ui.exportGeojson.setAttribute('download', `plan-${plan.id}-grids.geojson`);
}

function renderGridTable() {
  const plan = state.plan;
  const bounds = planBounds(plan);
  const problems = violationsByGrid(plan);
  const canLock = editable();
  ui.gridRows.replaceChildren(...(plan?.grids ?? []).map((g) => {
    const tally = tallyLabel(g, bounds);
    const gridProblems = problems.get(Number(g.number)) ?? [];
    const name = el('button', { type: 'button', class: 'grid-name', title: g.code ?? '' },
      el('span', { class: 'grid-swatch', style: `background:${gridColor(g.number)}` }),
      el('span', { class: 'grid-title', text: gridTitle(g) }),
      el('span', { class: 'grid-code', text: g.code ?? '' }));
    name.addEventListener('click', () => {
      if (editable()) ui.moveTarget.value = String(g.number);
      flyToGrid(g.number);
    });
    const status = el('td', { class: 'status', dataset: { mark: tally.mark }, title: tally.hint },
      el('span', { class: 'grid-mark', dataset: { mark: tally.mark }, text: `${MARK_SYMBOLS[tally.mark]} ${markLabel(tally.mark)}` }));
    if (g.connected === false) status.append(el('span', { class: 'grid-detached', text: `⚠ ${t('grid_detached')}` }));
    const lock = el('input', {
      type: 'checkbox', class: 'lock-toggle', checked: Boolean(g.locked), disabled: !canLock || busy.active,
      'aria-label': t('lock_grid_label', { grid: gridTitle(g) }),
    });
    lock.addEventListener('change', () => edit(lockEdit(g.number, lock.checked)));
    return el('tr', {
      class: gridProblems.length ? 'has-violation' : null,
      dataset: { gridNumber: g.number, gridCode: g.code ?? '', mark: tally.mark, locked: String(Boolean(g.locked)) },
      title: gridProblems.map((v) => violationText(v, plan)).join('\n') || null,
    },
    el('td', { class: 'grid-cell' }, name),
    el('td', { class: 'num households', dataset: { households: g.households }, text: formatCount(g.households) }),
    status,
    el('td', { class: 'lock' }, lock));
  }));
}

function renderViolations() {
  const plan = state.plan;
  const violations = plan?.violations ?? [];
  ui.violationCount.textContent = violations.length ? `(${violations.length})` : '';
  if (violations.length === 0) {
    ui.violationList.replaceChildren(el('li', { class: 'violations-ok', text: t('violations_none') }));
    return;
  }
  ui.violationList.replaceChildren(...violations.map((v) => {
    const item = el('li', { class: 'violation', dataset: { kind: v.kind ?? '', grid: v.grid ?? '' }, title: v.message ?? '' });
    if (v.grid !== null && v.grid !== undefined) {
      const button = el('button', { type: 'button', class: 'link-button', text: violationText(v, plan) });
      button.addEventListener('click', () => flyToGrid(v.grid));
      item.append(button);
    } else {
      item.textContent = violationText(v, plan);
    }
    return item;
  }));
}

function renderDetached() {
  if (map?.getLayer(PLAN_LAYERS.gridDetached)) map.setFilter(PLAN_LAYERS.gridDetached, numberIn(state.detached));
}

function renderSelection() {
  const summary = selectionSummary(state.selection, state.buildingsById);
  ui.selectionInfo.textContent = selectionText(summary, state.plan);
  ui.selectionInfo.dataset.count = String(summary.count);
  ui.selectionInfo.dataset.households = String(summary.households);
  if (map?.getLayer(PLAN_LAYERS.buildingSelected)) {
    map.setFilter(PLAN_LAYERS.buildingSelected, idIn(state.selection));
    map.setFilter(PLAN_LAYERS.buildingSelectedFill, idIn(state.selection));
  }
  renderControls();
}

function renderControls() {
  const user = state.user;
  const plan = state.plan;
  const mayEdit = canEdit(user);
  const editableNow = editable();
  const working = busy.active;
  const hasSelection = state.selection.size > 0;

  for (const node of document.querySelectorAll('.edit-only')) node.hidden = !mayEdit;
  ui.editHeading.textContent = t(mayEdit ? 'edit_tools' : 'selection_tools');
  ui.generate.disabled = working || !state.community;
  show(ui.copy, mayEdit && Boolean(plan) && plan.status !== 'draft');
  ui.copy.disabled = working;
  show(ui.publish, mayEdit && plan?.status === 'draft');
  ui.publish.disabled = working || !editableNow;

  const history = historyState(plan, { editable: editableNow, busy: working });
  ui.undo.disabled = !history.undo;
  ui.redo.disabled = !history.redo;
  ui.move.disabled = working || !editableNow || !hasSelection;
  ui.moveTarget.disabled = working || !editableNow;
  ui.split.disabled = working || !editableNow || !hasSelection;
  ui.merge.disabled = working || !editableNow || (plan?.grids?.length ?? 0) < 2;
  ui.mergeInto.disabled = ui.merge.disabled;
  ui.mergeFrom.disabled = ui.merge.disabled;
  ui.lockAll.disabled = working || !editableNow;
  ui.unlockAll.disabled = working || !editableNow;
  ui.clearSelection.disabled = !hasSelection;
  ui.findDetached.disabled = !plan;
  for (const box of ui.gridRows.querySelectorAll('.lock-toggle')) box.disabled = working || !editableNow;
  ui.compare.disabled = working || !plan || ui.compareSelect.options.length === 0;
  ui.planSelect.disabled = working;
  ui.communitySelect.disabled = working;

  if (plan && !mayEdit) {
    ui.planReadOnly.textContent = t('plan_read_only_role');
    show(ui.planReadOnly, true);
  } else if (plan && !editableNow) {
    ui.planReadOnly.textContent = t('plan_read_only');
    show(ui.planReadOnly, true);
  } else {
    show(ui.planReadOnly, false);
  }
  document.body.dataset.planEditable = String(editableNow);
}

function renderPlanSelect() {
  const plans = state.plans;
  show(ui.planRow, plans.length > 0);
  ui.planSelect.replaceChildren(...plans.map((p) => el('option', {
    value: p.id, dataset: { status: p.status }, text: planOptionLabel(p),
  })));
  if (state.plan) ui.planSelect.value = String(state.plan.id);
}

function renderCompareSelect() {
  const others = state.plan ? comparablePlans(state.plans, state.plan.id) : [];
  const previous = ui.compareSelect.value;
  ui.compareSelect.replaceChildren(...others.map((p) => el('option', { value: p.id, text: planOptionLabel(p) })));
  if (others.some((p) => String(p.id) === previous)) ui.compareSelect.value = previous;
  ui.compareSelect.disabled = others.length === 0;
  ui.compareSelect.title = others.length === 0 ? t('compare_none') : '';
  show(ui.compareSection, Boolean(state.plan));
}

/** Redraws everything the Plan says (tallies, marks, violations, buttons); the map data follow. */
function renderPlan() {
  const plan = state.plan;
  document.body.dataset.planId = plan ? String(plan.id) : '';
  document.body.dataset.planStatus = plan?.status ?? '';
  show(ui.editSection, Boolean(plan));
  show(ui.gridsSection, Boolean(plan));
  show(ui.violationsSection, Boolean(plan));
  renderPlanSelect();
  renderPlanInfo();
  gridOptions(ui.moveTarget);
  gridOptions(ui.mergeInto);
  gridOptions(ui.mergeFrom);
  renderGridTable();
  renderViolations();
  renderCompareSelect();
  if (state.detachedShown) showDetached(false);
  renderGridLabels();
  renderSelection();
  bump('planRendered');
}

// ---- loading -----------------------------------------------------------------------------

/** Loads the open plan's grids and buildings onto the map. */
async function loadMapData() {
  const plan = state.plan;
  const seq = ++state.mapSeq;
  if (!plan) {
    state.grids = EMPTY;
    state.buildings = EMPTY;
    state.buildingsById = new Map();
    state.labelPoints = new Map();
    setSourceData(map, PLAN_LAYERS.gridsSource, EMPTY);
    setSourceData(map, PLAN_LAYERS.buildingsSource, EMPTY);
    renderGridLabels();
    return;
  }
  const id = encodeURIComponent(plan.id);
  const [grids, buildings] = await Promise.all([
    getJson(`/api/v1/plans/${id}/grids`),
    getJson(`/api/v1/plans/${id}/buildings`),
  ]);
  if (seq !== state.mapSeq || state.plan?.id !== plan.id) return;
  state.grids = decorateGrids(grids, state.plan);
  state.buildings = decorateBuildings(buildings);
  state.buildingsById = indexBuildings(state.buildings);
  state.labelPoints = gridLabelPoints(state.buildings.features, state.grids.features);
  state.selection = pruneSelection(state.selection, state.buildingsById);
  setSourceData(map, PLAN_LAYERS.gridsSource, state.grids);
  setSourceData(map, PLAN_LAYERS.buildingsSource, state.buildings);
  renderGridLabels();
  renderSelection();
  bump('mapDataLoaded');
}

/** Opens a plan: a Plan object, or an id to fetch. */
async function openPlan(planOrId, { fit = false } = {}) {
  const plan = typeof planOrId === 'object' && planOrId
    ? planOrId
    : await getJson(`/api/v1/plans/${encodeURIComponent(planOrId)}`);
  const switched = state.plan?.id !== plan.id;
  state.plan = plan;
  if (switched) {
    state.selection = new Set();
    hideDetached();
    closeCompare();
  }
  renderPlan();
  rememberInUrl();
  await loadMapData();
  if (fit) fitToCommunity();
}

async function loadPlans(community, { open = null, fit = false } = {}) {
  const data = await getJson(`/api/v1/communities/${encodeURIComponent(community.id)}/plans`);
  if (state.community?.id !== community.id) return;
  state.plans = Array.isArray(data?.plans) ? data.plans : [];
  const wanted = open && typeof open === 'object' ? open.id : open;
  const summary = defaultPlan(state.plans, wanted);
  if (!summary) {
    state.plan = null;
    renderPlan();
    rememberInUrl();
    await loadMapData();
    setStatus(canEdit(state.user) ? t('planner_no_plans') : t('planner_no_plans_read_only'), 'empty');
    if (fit) fitToCommunity();
    return;
  }
  setStatus('');
  const full = open && typeof open === 'object' && String(open.id) === String(summary.id) ? open : summary.id;
  await openPlan(full, { fit });
}

async function selectCommunity(id, { plan = null } = {}) {
  const community = state.communities.find((c) => String(c.id) === String(id)) ?? null;
  state.community = community;
  state.plans = [];
  state.plan = null;
  state.selection = new Set();
  hideDetached();
  closeCompare();
  showNotice('');
  ui.communitySelect.value = community ? String(community.id) : '';
  if (!community) {
    renderPlan();
    await loadMapData();
    rememberInUrl();
    return;
  }
  setStatus(t('loading'));
  fitToCommunity();
  await loadPlans(community, { open: plan });
}

// ---- edits -------------------------------------------------------------------------------

/** Sends one edit; the Plan answered updates the panel at once, then the map data reload. */
function edit(bodyOrFactory) {
  return busy.run(async () => {
    const body = typeof bodyOrFactory === 'function' ? bodyOrFactory() : bodyOrFactory;
    const plan = await postJson(`/api/v1/plans/${encodeURIComponent(state.plan.id)}/edits`, body);
    await afterChange(plan);
  }).finally(() => renderGridTable());
}

async function afterChange(plan) {
  state.plan = plan;
  renderPlan();
  await loadMapData();
  if (state.compare) await refreshDiff();
}

function historyStep(step) {
  if (!state.plan) return undefined;
  return busy.run(async () => {
    const plan = await postJson(`/api/v1/plans/${encodeURIComponent(state.plan.id)}/${step}`, {});
    await afterChange(plan);
  });
}

ui.move.addEventListener('click', () => edit(() => moveEdit(state.selection, ui.moveTarget.value, state.buildingsById)));
ui.split.addEventListener('click', () => edit(() => splitEdit(state.selection, state.buildingsById)));
ui.merge.addEventListener('click', () => edit(() => mergeEdit(ui.mergeInto.value, ui.mergeFrom.value)));
ui.lockAll.addEventListener('click', () => edit(lockAllEdit(true)));
ui.unlockAll.addEventListener('click', () => edit(lockAllEdit(false)));
ui.undo.addEventListener('click', () => historyStep('undo'));
ui.redo.addEventListener('click', () => historyStep('redo'));

ui.clearSelection.addEventListener('click', () => {
  state.selection = new Set();
  renderSelection();
});

document.addEventListener('keydown', (event) => {
  if (ui.publishDialog.open || document.body.dataset.session !== 'signed-in') return;
  const action = shortcutAction(event);
  if (!action) return;
  if (action === 'clear') {
    if (lasso.drawing) cancelLasso();
    else if (lasso.tool) setLassoTool(false);
    else {
      state.selection = new Set();
      renderSelection();
    }
    return;
  }
  event.preventDefault();
  if (action === 'undo' && !ui.undo.disabled) historyStep('undo');
  if (action === 'redo' && !ui.redo.disabled) historyStep('redo');
});

// ---- plans: generate, copy, publish ------------------------------------------------------

function generateBody() {
  const body = {};
  for (const [key, input] of [['min', 'generate-min'], ['max', 'generate-max'], ['target', 'generate-target'], ['seed', 'generate-seed']]) {
    const value = $(input).value.trim();
    if (value !== '' && Number.isFinite(Number(value))) body[key] = Number(value);
  }
  return body;
}

ui.generate.addEventListener('click', () => busy.run(async () => {
  const community = state.community;
  if (!community) return;
  showNotice('');
  setStatus(t('generating'));
  try {
    const plan = await postJson(`/api/v1/communities/${encodeURIComponent(community.id)}/plans`, generateBody());
    await loadPlans(community, { open: plan });
    showNotice(t('plan_generated', { plan: planName(plan) }));
  } finally {
    if (ui.status.textContent === t('generating')) setStatus('');
  }
}));

ui.copy.addEventListener('click', () => busy.run(async () => {
  const plan = await postJson(`/api/v1/plans/${encodeURIComponent(state.plan.id)}/copy`, {});
  await loadPlans(state.community, { open: plan });
  showNotice(t('plan_copied', { plan: planName(plan) }));
}));

ui.planSelect.addEventListener('change', () => busy.run(async () => {
  showNotice('');
  await openPlan(ui.planSelect.value);
}));

ui.communitySelect.addEventListener('change', () => busy.run(() => selectCommunity(ui.communitySelect.value)));

function resetPublishDialog() {
  ui.publishText.textContent = t('publish_confirm_text', { plan: planName(state.plan) });
  show(ui.publishViolations, false);
  ui.publishViolationList.replaceChildren();
  show(ui.publishError, false);
  show(ui.publishConfirm, true);
  show(ui.publishForce, false);
  ui.publishConfirm.disabled = false;
  ui.publishForce.disabled = false;
}

ui.publish.addEventListener('click', () => {
  if (!state.plan || busy.active) return;
  showError(null);
  resetPublishDialog();
  ui.publishDialog.showModal();
});

ui.publishCancel.addEventListener('click', () => ui.publishDialog.close('cancel'));

async function publish(force) {
  ui.publishConfirm.disabled = true;
  ui.publishForce.disabled = true;
  show(ui.publishError, false);
  busy.add(1);
  try {
    const body = force ? { force: true } : {};
    const plan = await postJson(`/api/v1/plans/${encodeURIComponent(state.plan.id)}/publish`, body);
    ui.publishDialog.close('published');
    await loadPlans(state.community, { open: plan });
    showNotice(t('plan_published', { plan: planName(plan) }));
  } catch (err) {
    const violations = publishViolations(err);
    if (err.status === 422 && violations.length > 0 && !force) {
      ui.publishViolationList.replaceChildren(...violations.map((v) => el('li', {
        class: 'violation', dataset: { kind: v.kind ?? '', grid: v.grid ?? '' }, title: v.message ?? '', text: violationText(v, state.plan),
      })));
      show(ui.publishViolations, true);
      show(ui.publishConfirm, false);
      show(ui.publishForce, true);
    } else {
      ui.publishError.textContent = refusalText(err) ?? '';
      show(ui.publishError, Boolean(ui.publishError.textContent));
    }
  } finally {
    ui.publishConfirm.disabled = false;
    ui.publishForce.disabled = false;
    busy.add(-1);
  }
}

ui.publishConfirm.addEventListener('click', () => publish(false));
ui.publishForce.addEventListener('click', () => publish(true));

// ---- find detached parts -----------------------------------------------------------------

function hideDetached() {
  state.detached = [];
  state.detachedShown = false;
  show(ui.detachedResult, false);
  renderDetached();
}

function showDetached(fit = true) {
  state.detachedShown = true;
  const grids = detachedGrids(state.plan);
  state.detached = grids.map((g) => Number(g.number));
  renderDetached();
  show(ui.detachedResult, true);
  ui.detachedResult.dataset.count = String(grids.length);
  if (grids.length === 0) {
    ui.detachedResult.replaceChildren(el('p', { class: 'detached-none', text: t('detached_none') }));
    return;
  }
  const list = el('ul', { class: 'detached-list' }, ...grids.map((g) => {
    const button = el('button', { type: 'button', class: 'link-button', dataset: { gridNumber: g.number }, text: `${gridTitle(g)}（${g.code ?? ''}）` });
    button.addEventListener('click', () => flyToGrid(g.number));
    return el('li', {}, button);
  }));
  ui.detachedResult.replaceChildren(el('p', { class: 'detached-found', text: t('detached_found', { n: grids.length }) }), list);
  if (fit) fitToFeatures(map, gridFeatures(state.detached));
}

ui.findDetached.addEventListener('click', () => showDetached(true));

// ---- lasso -------------------------------------------------------------------------------

const lasso = { tool: false, drawing: false, points: [], last: null };

function setLassoTool(on) {
  lasso.tool = on;
  ui.lassoTool.setAttribute('aria-pressed', String(on));
  ui.lassoTool.classList.toggle('active', on);
  show(ui.lassoHint, on);
  if (map) map.getCanvas().style.cursor = on ? 'crosshair' : '';
}

function lassoData() {
  const pts = lasso.points;
  if (pts.length < 2) return EMPTY;
  const features = [{ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [...pts, pts[0]] } }];
  if (pts.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...pts, pts[0]]] } });
  return { type: 'FeatureCollection', features };
}

function cancelLasso() {
  lasso.drawing = false;
  lasso.points = [];
  setSourceData(map, PLAN_LAYERS.lassoSource, EMPTY);
}

function finishLasso() {
  if (!lasso.drawing) return;
  const points = lasso.points;
  cancelLasso();
  if (points.length < 3) return;
  const ids = lassoSelect(state.buildings.features, points);
  state.selection = addToSelection(state.selection, ids);
  renderSelection();
}

function enableSelection(m) {
  m.on('mousedown', (e) => {
    const oe = e.originalEvent;
    if (oe.button !== 0 || !(lasso.tool || oe.shiftKey) || !state.plan) return;
    e.preventDefault(); // no drag pan while drawing
    lasso.drawing = true;
    lasso.points = [e.lngLat.toArray()];
    lasso.last = e.point;
  });
  m.on('mousemove', (e) => {
    if (!lasso.drawing) return;
    if (Math.hypot(e.point.x - lasso.last.x, e.point.y - lasso.last.y) < 3) return;
    lasso.points.push(e.lngLat.toArray());
    lasso.last = e.point;
    setSourceData(m, PLAN_LAYERS.lassoSource, lassoData());
  });
  m.on('mouseup', finishLasso);
  window.addEventListener('mouseup', finishLasso);

  m.on('click', PLAN_LAYERS.buildingFill, (e) => {
    if (e.originalEvent.shiftKey) return;
    const f = e.features?.[0];
    const id = f?.properties?.id ?? f?.id;
    if (id === null || id === undefined) return;
    state.selection = toggleSelection(state.selection, id);
    renderSelection();
  });
  m.on('mouseenter', PLAN_LAYERS.buildingFill, () => { if (!lasso.tool) m.getCanvas().style.cursor = 'pointer'; });
  m.on('mouseleave', PLAN_LAYERS.buildingFill, () => { if (!lasso.tool) m.getCanvas().style.cursor = ''; });
}

ui.lassoTool.addEventListener('click', () => setLassoTool(!lasso.tool));

// ---- comparing two plans -----------------------------------------------------------------

function syncMaps(a, b) {
  let syncing = false;
  const follow = (from, to) => () => {
    if (syncing) return;
    syncing = true;
    to.jumpTo({ center: from.getCenter(), zoom: from.getZoom(), bearing: from.getBearing(), pitch: from.getPitch() });
    syncing = false;
  };
  a.on('move', follow(a, b));
  b.on('move', follow(b, a));
}

async function ensureCompareMap() {
  show(ui.compareWrap, true);
  ui.maps.classList.add('split');
  map.resize();
  if (!compareMap) {
    compareMap = await createPlannerMap('compare-map', { center: map.getCenter(), zoom: map.getZoom() });
    window.plannerCompareMap = compareMap;
  } else {
    compareMap.resize();
  }
  // The main map leads: the second map takes its view, then each follows the other.
  compareMap.jumpTo({ center: map.getCenter(), zoom: map.getZoom() });
  if (!compareMap.synced) {
    syncMaps(map, compareMap);
    compareMap.synced = true;
  }
  return compareMap;
}

function closeCompare() {
  state.compare = null;
  for (const marker of compareMarkers) marker.remove();
  compareMarkers = [];
  show(ui.diffResult, false);
  show(ui.compareWrap, false);
  show(ui.mainCaption, false);
  ui.maps.classList.remove('split');
  map?.resize();
  if (map?.getLayer(PLAN_LAYERS.buildingChanged)) map.setFilter(PLAN_LAYERS.buildingChanged, idIn([]));
  delete document.body.dataset.compareId;
}

function renderDiff() {
  const { diff, plan: other } = state.compare;
  ui.diffSummary.textContent = diffSummaryText(diff);
  ui.diffSummary.dataset.changes = String(diff?.changes?.length ?? 0);
  const changes = diff?.changes ?? [];
  ui.diffList.replaceChildren(...changes.slice(0, DIFF_LIST_LIMIT).map((c) => {
    const building = state.buildingsById.get(normId(c.building));
    const name = building?.properties?.name || c.source_id || `#${c.building}`;
    const button = el('button', { type: 'button', class: 'link-button' },
      el('span', { class: 'diff-building', text: name }),
      el('span', { class: 'diff-households', text: t('households_count', { n: formatCount(c.households) }) }),
      el('span', { class: 'diff-codes', text: diffChangeText(c) }));
    button.addEventListener('click', () => flyToBuilding(c.building));
    return el('li', { dataset: { building: c.building } }, button);
  }));
  if (changes.length > DIFF_LIST_LIMIT) ui.diffList.append(el('li', { class: 'diff-more', text: '…' }));
  show(ui.diffResult, true);
  ui.mainCaption.textContent = t('compare_current', { plan: planOptionLabel(state.plan) });
  ui.compareCaption.textContent = t('compare_other', { plan: planOptionLabel(other) });
  show(ui.mainCaption, true);
  map.setFilter(PLAN_LAYERS.buildingChanged, idIn(state.compare.ids));
  compareMap?.setFilter(PLAN_LAYERS.buildingChanged, idIn(state.compare.ids));
}

async function refreshDiff() {
  const other = state.compare?.plan;
  if (!other || !state.plan) return;
  const diff = await getJson(`/api/v1/plans/${encodeURIComponent(other.id)}/diff/${encodeURIComponent(state.plan.id)}`);
  if (state.compare?.plan !== other) return;
  state.compare = { plan: other, diff, ids: diffBuildingIds(diff) };
  renderDiff();
}

ui.compare.addEventListener('click', () => busy.run(async () => {
  const other = state.plans.find((p) => String(p.id) === ui.compareSelect.value);
  if (!other || !state.plan) return;
  const otherId = encodeURIComponent(other.id);
  const [diff, grids, buildings] = await Promise.all([
    getJson(`/api/v1/plans/${otherId}/diff/${encodeURIComponent(state.plan.id)}`),
    getJson(`/api/v1/plans/${otherId}/grids`),
    getJson(`/api/v1/plans/${otherId}/buildings`),
  ]);
  state.compare = { plan: other, diff, ids: diffBuildingIds(diff) };
  const m = await ensureCompareMap();
  const otherGrids = decorateGrids(grids);
  const otherBuildings = decorateBuildings(buildings);
  setSourceData(m, PLAN_LAYERS.gridsSource, otherGrids);
  setSourceData(m, PLAN_LAYERS.buildingsSource, otherBuildings);
  for (const marker of compareMarkers) marker.remove();
  compareMarkers = gridLabels(m, otherGrids.features.map((f) => f.properties),
    gridLabelPoints(otherBuildings.features, otherGrids.features), planBounds(other));
  renderDiff();
  document.body.dataset.compareId = String(other.id);
  bump('compareLoaded');
}));

ui.compareClose.addEventListener('click', closeCompare);

// ---- start -------------------------------------------------------------------------------

async function start(user) {
  state.user = user;
  document.body.classList.toggle('read-only', !canEdit(user));
  renderControls();
  setStatus(t('loading'));
  let communities;
  try {
    [map, communities] = await Promise.all([createPlannerMap('planner-map'), getJson('/api/v1/communities')]);
  } catch (err) {
    setStatus(t('load_failed', { message: err.message }), 'error');
    ui.mapMessage.textContent = t('load_failed', { message: err.message });
    show(ui.mapMessage, true);
    document.body.dataset.plannerError = err.message;
    return;
  }
  window.plannerMap = map;
  enableSelection(map);
  state.communities = Array.isArray(communities?.communities) ? communities.communities : [];
  fillCommunityPicker(ui.communitySelect, state.communities);
  if (state.communities.length === 0) {
    setStatus(t('no_data'), 'empty');
  } else {
    setStatus('');
    fitToBboxes(map, state.communities.map((c) => c.bbox));
    const params = new URLSearchParams(location.search);
    const wanted = params.get('community') ?? (state.communities.length === 1 ? state.communities[0].id : null);
    if (wanted !== null && state.communities.some((c) => String(c.id) === String(wanted))) {
      await busy.run(() => selectCommunity(wanted, { plan: params.get('plan') }));
    }
  }
  renderControls();
  document.body.dataset.plannerReady = 'true';
}

startSignedIn({
  content: document.getElementById('planner-page'), allow: canRead, forbidden: t('forbidden_planner'), onReady: start,
});
