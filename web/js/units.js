// The responsible units (units.html, 责任主体): who answers for each grid and building of a
// community, for administrators to assign and for planners and leaders to read.
//
// A community is picked; its grids in force are drawn coloured by coverage (complete team,
// short-handed, no grid leader: a gap), labelled with their name, code and grid leader, and its
// buildings without a building leader are drawn red. A click on the map selects a building, or
// else the grid under the pointer; the panel then lists the post's team with phones and lets an
// administrator assign a person (one of the sub-district's people, or one registered on the
// spot), replace a holder (`replaces`) or end an assignment. The other tabs show the community's
// coverage (the gaps, each a button that flies there and selects it, the workload per person,
// the assignments left on ended grids), the co-building units' zones with the zone editor (tick
// grids, or draw a polygon point by point), and the routing rules: the categories with their
// tier, deadline and department, and a routing test at a clicked point.
//
// Pure parts are in units-model.js. For the browser test the page sets `window.unitsMap` and on
// the body `data-units-ready`, `data-busy`, `data-community-id`, `data-selected` ("grid:12"),
// `data-tab`, `data-tool`, and the counters `data-grids-loaded`, `data-coverage-loaded`,
// `data-zones-loaded`, `data-selection-rendered` and `data-route-loaded`.

import { getJson, postJson, api } from './api.js';
import { interiorPoint, normId } from './geometry.js';
import { applyI18n, formatCount, otherLanguageHref, t } from './i18n.js';
import { BUILDINGS_MINZOOM, LAYER_IDS, createMap, fitToBboxes, fitToFeatures, highlightBuilding, idIn } from './map.js';
import { bump, createBusy, failureText, fillCommunityPicker, show, showErrorLine, showStatus } from './page.js';
import { clearFieldErrors, el, setFieldError, startSignedIn } from './session.js';
import {
  BUILDING_ROLES, DEADLINE_UNITS, FormError, GRID_ROLES, REFUSAL_PREFIX, SINGLE_ROLES, TABS, UNIT_COLORS, UNIT_LAYERS,
  alreadyAssignedText, assignmentBody, buildingCovered, buildingTeam, buildingTitle, canEdit, canRead, categoryChange,
  categoryGroups, categoryName, clickTarget, coverageCounts, deadlineLabel, decorateGrids, draftFeatures, filterPeople,
  gridTitle, idList, percent, personBody, personLabel, rolesText, routingPath, routingSummary, teamByRole,
  teamRoleLabel, tierLabel, unadoptedFeatures, unitChoices, unitLabel, zoneBody, zoneExtentText, zoneFeatures,
} from './units-model.js';

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('units_title')}`;

const $ = (id) => document.getElementById(id);
const ui = {
  communitySelect: $('community-select'),
  status: $('units-status'),
  error: $('units-error'),
  notice: $('units-notice'),
  readOnly: $('units-read-only'),
  tabs: [...document.querySelectorAll('#units-tabs [role="tab"]')],
  coverageTabCount: $('coverage-tab-count'),
  selectionHint: $('selection-hint'),
  gridList: $('grid-list'),
  selectionCard: $('selection-card'),
  selectionTitle: $('selection-title'),
  selectionBadge: $('selection-badge'),
  selectionMeta: $('selection-meta'),
  clearSelection: $('clear-selection'),
  teamRows: $('team-rows'),
  assignForm: $('assign-form'),
  assignHeading: $('assign-heading'),
  assignReplacing: $('assign-replacing'),
  assignRole: $('assign-role'),
  assignUnitField: $('assign-unit-field'),
  assignUnit: $('assign-unit'),
  personModes: [...document.querySelectorAll('input[name="person-mode"]')],
  personExisting: $('person-existing'),
  personNew: $('person-new'),
  personSearch: $('person-search'),
  personSelect: $('person-select'),
  personName: $('person-name'),
  personPhone: $('person-phone'),
  assignError: $('assign-error'),
  assignCancelReplace: $('assign-cancel-replace'),
  assignSubmit: $('assign-submit'),
  coverageFigures: $('coverage-figures'),
  gapGridCount: $('gap-grid-count'),
  gapGridList: $('gap-grid-list'),
  gapBuildingCount: $('gap-building-count'),
  gapBuildingList: $('gap-building-list'),
  unadoptedCount: $('unadopted-count'),
  unadoptedList: $('unadopted-list'),
  workloadRows: $('workload-rows'),
  unsettledCount: $('unsettled-count'),
  unsettledList: $('unsettled-list'),
  zoneNew: $('zone-new'),
  zoneList: $('zone-list'),
  zoneForm: $('zone-form'),
  zoneOrganisation: $('zone-organisation'),
  orgNewToggle: $('org-new-toggle'),
  orgNew: $('org-new'),
  orgName: $('org-name'),
  orgPhone: $('org-phone'),
  orgSave: $('org-save'),
  zoneName: $('zone-name'),
  zoneModes: [...document.querySelectorAll('input[name="zone-mode"]')],
  zoneGridsTool: $('zone-grids-tool'),
  zoneTicked: $('zone-ticked'),
  zoneDrawTool: $('zone-draw-tool'),
  zonePoints: $('zone-points'),
  drawUndo: $('draw-undo'),
  drawFinish: $('draw-finish'),
  drawCancel: $('draw-cancel'),
  zoneError: $('zone-error'),
  zoneClose: $('zone-close'),
  routeCategory: $('route-category'),
  routePick: $('route-pick'),
  routeResult: $('route-result'),
  rulesError: $('rules-error'),
  categoryRows: $('category-rows'),
  mapHint: $('map-hint'),
  mapMessage: $('map-message'),
  confirmDialog: $('confirm-dialog'),
  confirmForm: $('confirm-form'),
  confirmHeading: $('confirm-heading'),
  confirmText: $('confirm-text'),
  confirmReasonField: $('confirm-reason-field'),
  confirmReason: $('confirm-reason'),
  confirmError: $('confirm-error'),
  confirmCancel: $('confirm-cancel'),
  confirmOk: $('confirm-ok'),
};

const EMPTY = Object.freeze({ type: 'FeatureCollection', features: [] });
/** Buildings without a leader listed at once (a community may have hundreds; the map shows all). */
const BUILDING_GAPS_SHOWN = 100;
/** How near (pixels) a click may fall to the last point and still be the same point (a double-click). */
const SAME_POINT_PX = 5;

const state = {
  user: null,
  communities: [],
  community: null,
  district: null,          // the sub-district whose people, organisations and zones are loaded
  grids: EMPTY,            // decorated grids in force of the community
  coverage: null,
  people: [],
  organisations: [],
  zones: [],
  categories: [],
  selected: null,          // { kind: 'grid', id } or { kind: 'building', id, building, feature, team }
  replacing: null,         // the team member an assignment replaces
  tab: 'team',
  zoneEditor: null,        // { mode: 'grids' | 'draw', grids: Set, points: [[lon, lat]], closed }
  selectedZone: null,
  route: { picking: false, point: null },
};

let map = null;
let labelMarkers = [];

// ---- small helpers -----------------------------------------------------------------------

const setStatus = (message, kind) => showStatus(ui.status, message, kind);
const mayEdit = () => canEdit(state.user);

const showError = (err) => showErrorLine(ui.error, err, failureText(err, { prefix: REFUSAL_PREFIX, wrap: 'units_action_failed' }));
const showNotice = (message) => showStatus(ui.notice, message);

/** One load or change at a time, the change buttons off meanwhile; errors go to the panel's error line. */
const busy = createBusy({ onChange: () => renderControls(), onError: showError });

/**
 * Shows a refusal in a form: under the field it concerns (the page's FormError, or the API's
 * `details.field`, renamed through `fields`) when the form has that field, else in `line`.
 */
function showFormError(form, line, err, { fields = {}, text = null } = {}) {
  const message = text ?? (err instanceof FormError ? err.message : failureText(err, { prefix: REFUSAL_PREFIX }));
  if (message === null) return;
  const name = err?.field ?? err?.details?.field;
  if (name && setFieldError(form, fields[name] ?? name, message)) return;
  line.textContent = message;
  show(line, true);
}

function clearFormErrors(form, line) {
  clearFieldErrors(form);
  line.textContent = '';
  show(line, false);
}

function rememberInUrl() {
  const url = new URL(location.href);
  if (state.community) url.searchParams.set('community', state.community.id);
  else url.searchParams.delete('community');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  document.getElementById('language-switch').href = otherLanguageHref();
}

const gridById = (id) => state.grids.features.find((f) => f.id === normId(id)) ?? null;

function phoneLink(phone) {
  return phone ? el('a', { href: `tel:${phone}`, class: 'phone', text: phone }) : t('missing');
}

// ---- the map -----------------------------------------------------------------------------

function addUnitLayers(m) {
  const L = UNIT_LAYERS;
  const C = UNIT_COLORS;
  // The households ramp of the base buildings would read as coverage colours here.
  m.setPaintProperty(LAYER_IDS.buildingFill, 'fill-color', C.building);
  for (const source of [L.gridsSource, L.zonesSource, L.unadoptedSource, L.draftSource, L.routeSource]) {
    m.addSource(source, { type: 'geojson', data: EMPTY });
  }
  const coverageColor = ['match', ['get', 'coverage'], 'complete', C.complete, 'partial', C.partial, C.gap];
  // Grid fills under the buildings, the buildings' gaps under the base style's selected outline,
  // everything else on top.
  m.addLayer({ id: L.gridFill, type: 'fill', source: L.gridsSource, paint: { 'fill-color': coverageColor, 'fill-opacity': 0.2 } }, LAYER_IDS.buildingFill);
  const gapBuildings = { source: 'buildings', 'source-layer': 'buildings', minzoom: BUILDINGS_MINZOOM, filter: idIn([]) };
  m.addLayer({ id: L.buildingGapFill, type: 'fill', ...gapBuildings, paint: { 'fill-color': C.gap, 'fill-opacity': 0.7 } }, LAYER_IDS.buildingSelected);
  m.addLayer({ id: L.buildingGapOutline, type: 'line', ...gapBuildings, paint: { 'line-color': C.gap, 'line-width': 1.5 } }, LAYER_IDS.buildingSelected);
  m.addLayer({
    id: L.unadoptedFill, type: 'fill', source: L.unadoptedSource, layout: { visibility: 'none' },
    paint: { 'fill-color': C.unadopted, 'fill-opacity': 0.3 },
  });
  m.addLayer({
    id: L.unadoptedOutline, type: 'line', source: L.unadoptedSource, layout: { visibility: 'none' },
    paint: { 'line-color': C.unadopted, 'line-width': 1.2, 'line-dasharray': [2, 2] },
  });
  m.addLayer({
    id: L.gridOutline, type: 'line', source: L.gridsSource, layout: { 'line-join': 'round' },
    paint: { 'line-color': coverageColor, 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 1.2, 18, 3] },
  });
  m.addLayer({
    id: L.gridGap, type: 'line', source: L.gridsSource, filter: ['==', ['get', 'gap'], true], layout: { 'line-join': 'round' },
    paint: { 'line-color': C.gap, 'line-width': 3.5, 'line-dasharray': [2, 1.5] },
  });
  m.addLayer({ id: L.gridTicked, type: 'fill', source: L.gridsSource, filter: idIn([]), paint: { 'fill-color': C.ticked, 'fill-opacity': 0.35 } });
  m.addLayer({
    id: L.zoneFill, type: 'fill', source: L.zonesSource, layout: { visibility: 'none' },
    paint: { 'fill-color': C.zone, 'fill-opacity': 0.12 },
  });
  m.addLayer({
    id: L.zoneOutline, type: 'line', source: L.zonesSource, layout: { visibility: 'none', 'line-join': 'round' },
    paint: { 'line-color': C.zone, 'line-width': 2, 'line-dasharray': [3, 1.5] },
  });
  m.addLayer({
    id: L.zoneSelected, type: 'line', source: L.zonesSource, filter: idIn([]), layout: { visibility: 'none', 'line-join': 'round' },
    paint: { 'line-color': C.zone, 'line-width': 4.5 },
  });
  m.addLayer({
    id: L.gridSelected, type: 'line', source: L.gridsSource, filter: idIn([]), layout: { 'line-join': 'round' },
    paint: { 'line-color': C.selected, 'line-width': 4 },
  });
  m.addLayer({
    id: L.draftFill, type: 'fill', source: L.draftSource, filter: ['==', ['geometry-type'], 'Polygon'],
    paint: { 'fill-color': C.draft, 'fill-opacity': 0.18 },
  });
  m.addLayer({
    id: L.draftLine, type: 'line', source: L.draftSource, filter: ['==', ['geometry-type'], 'LineString'],
    paint: { 'line-color': C.draft, 'line-width': 2.5, 'line-dasharray': [2, 1] },
  });
  m.addLayer({
    id: L.draftPoints, type: 'circle', source: L.draftSource, filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#ffffff', 'circle-stroke-color': C.draft, 'circle-stroke-width': 2.5 },
  });
  m.addLayer({
    id: L.routePoint, type: 'circle', source: L.routeSource,
    paint: { 'circle-radius': 8, 'circle-color': C.route, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 },
  });
}

function setSourceData(source, data) {
  map?.getSource(source)?.setData(data);
}

function setVisible(layers, visible) {
  for (const id of layers) if (map?.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
}

/** The map tool a click goes to now: drawing or ticking a zone, picking a routing point, or selecting. */
function currentTool() {
  if (state.tab === 'zones' && state.zoneEditor) return state.zoneEditor.mode === 'draw' ? 'draw' : 'tick';
  if (state.tab === 'rules' && state.route.picking) return 'route';
  return 'select';
}

/** Filters, visibility and the hint that follow the selection, the tab and the tool. */
function renderMap() {
  if (!map) return;
  const L = UNIT_LAYERS;
  const selectedGrid = state.selected?.kind === 'grid' ? [state.selected.id] : [];
  map.setFilter(L.gridSelected, idIn(selectedGrid));
  highlightBuilding(map, state.selected?.kind === 'building' ? state.selected.id : null);
  map.setFilter(L.buildingGapFill, idIn(idList(state.coverage?.buildings_without_leader)));
  map.setFilter(L.buildingGapOutline, idIn(idList(state.coverage?.buildings_without_leader)));
  const editor = state.tab === 'zones' ? state.zoneEditor : null;
  map.setFilter(L.gridTicked, idIn(editor?.mode === 'grids' ? [...editor.grids] : []));
  setSourceData(L.draftSource, editor?.mode === 'draw' ? draftFeatures(editor.points, editor.closed) : EMPTY);
  setVisible([L.zoneFill, L.zoneOutline, L.zoneSelected], state.tab === 'zones' || state.tab === 'rules');
  map.setFilter(L.zoneSelected, idIn(state.selectedZone === null ? [] : [state.selectedZone]));
  setVisible([L.unadoptedFill, L.unadoptedOutline], state.tab === 'coverage');
  setSourceData(L.routeSource, state.tab === 'rules' && state.route.point
    ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: state.route.point } }] }
    : EMPTY);

  const tool = currentTool();
  const hints = { draw: 'zone_draw_hint', tick: 'zone_grids_hint', route: 'route_pick_hint' };
  ui.mapHint.textContent = hints[tool] ? t(hints[tool]) : '';
  show(ui.mapHint, Boolean(hints[tool]));
  map.getCanvas().style.cursor = tool === 'draw' || tool === 'route' ? 'crosshair' : '';
  // A double-click closes the drawing instead of zooming in.
  if (tool === 'draw') map.doubleClickZoom.disable();
  else map.doubleClickZoom.enable();
  document.body.dataset.tool = tool;
}

/** Labels of the grids (HTML markers: no glyphs offline): name, code, grid leader or 无网格长. */
function renderGridLabels() {
  for (const marker of labelMarkers) marker.remove();
  labelMarkers = [];
  if (!map) return;
  for (const f of state.grids.features) {
    const point = interiorPoint(f);
    if (!point) continue;
    const p = f.properties;
    const node = el('div', { class: 'unit-grid-label', dataset: { gridId: p.id, coverage: p.coverage, gap: String(p.gap) } },
      el('span', { class: 'unit-grid-label-title', text: gridTitle(p) }),
      el('span', { class: 'unit-grid-label-code', text: p.code ?? '' }),
      el('span', { class: 'unit-grid-label-leader', text: p.grid_leader ? t('leader_named', { name: p.grid_leader }) : t('coverage_gap') }));
    labelMarkers.push(new maplibregl.Marker({ element: node, anchor: 'center' }).setLngLat(point).addTo(map));
  }
}

function flyToGrid(id) {
  const grid = gridById(id);
  if (grid) fitToFeatures(map, [grid]);
}

function onMapClick(event) {
  if (!state.community || busy.active) return;
  const tool = currentTool();
  if (tool === 'draw') {
    addDrawPoint(event);
    return;
  }
  if (tool === 'route') {
    routeAt(event.lngLat.toArray());
    return;
  }
  const layers = tool === 'tick' ? [UNIT_LAYERS.gridFill] : [LAYER_IDS.buildingFill, UNIT_LAYERS.gridFill];
  const target = clickTarget(map.queryRenderedFeatures(event.point, { layers }), {
    buildingLayer: LAYER_IDS.buildingFill, gridLayer: UNIT_LAYERS.gridFill,
  });
  if (!target) return;
  if (tool === 'tick') {
    const { grids } = state.zoneEditor;
    if (grids.has(target.id)) grids.delete(target.id);
    else grids.add(target.id);
    renderZoneEditor();
  } else if (target.kind === 'grid') {
    selectGrid(target.id);
  } else {
    busy.run(() => selectBuilding(target.id));
  }
}

function enableMapEvents(m) {
  m.on('click', onMapClick);
  m.on('dblclick', () => {
    if (currentTool() === 'draw') finishDrawing();
  });
  for (const layer of [UNIT_LAYERS.gridFill, LAYER_IDS.buildingFill]) {
    m.on('mousemove', layer, () => {
      if (currentTool() === 'select' || currentTool() === 'tick') m.getCanvas().style.cursor = 'pointer';
    });
    m.on('mouseleave', layer, () => {
      if (currentTool() === 'select' || currentTool() === 'tick') m.getCanvas().style.cursor = '';
    });
  }
}

// ---- tabs --------------------------------------------------------------------------------

function setTab(tab, { focus = false } = {}) {
  state.tab = TABS.includes(tab) ? tab : 'team';
  if (state.tab !== 'rules') state.route.picking = false;
  for (const button of ui.tabs) {
    const on = button.dataset.tab === state.tab;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    show($(button.getAttribute('aria-controls')), on);
    if (on && focus) button.focus();
  }
  document.body.dataset.tab = state.tab;
  renderRoutePick();
  renderMap();
}

for (const button of ui.tabs) {
  button.addEventListener('click', () => setTab(button.dataset.tab));
  // Arrow keys move along the tabs (the WAI-ARIA tabs pattern); Tab leaves them.
  button.addEventListener('keydown', (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const i = (TABS.indexOf(state.tab) + step + TABS.length) % TABS.length;
    setTab(TABS[i], { focus: true });
  });
}

// ---- selection: a grid or a building and its team ------------------------------------------

function selectGrid(id) {
  state.selected = { kind: 'grid', id: normId(id) };
  state.replacing = null;
  setTab('team');
  renderSelection();
}

/** Selects a grid and moves the map to it (from a list, not the map). */
function goToGrid(id) {
  selectGrid(id);
  flyToGrid(id);
}

/** A building as the selection holds it: its details (GET /buildings/{id}) and its leaders. */
async function loadBuilding(id) {
  const feature = await getJson(`/api/v1/buildings/${encodeURIComponent(id)}`);
  const building = { ...feature.properties, id: normId(feature.properties?.id ?? id) };
  const query = new URLSearchParams({ community: building.community.id, building: building.id });
  const { assignments } = await getJson(`/api/v1/assignments?${query}`);
  return { kind: 'building', id: building.id, building, feature, team: buildingTeam(assignments) };
}

async function selectBuilding(id, { fly = false } = {}) {
  state.selected = await loadBuilding(id);
  state.replacing = null;
  setTab('team');
  renderSelection();
  if (fly) fitToFeatures(map, [state.selected.feature], { maxZoom: 18, padding: 160 });
}

function clearSelection() {
  state.selected = null;
  state.replacing = null;
  renderSelection();
}

/** The post the selection is (`{ grid }` or `{ building }`), its team and the roles it takes. */
function selectedPost() {
  const s = state.selected;
  if (s?.kind === 'grid') {
    const grid = gridById(s.id);
    return grid ? { post: { grid: s.id }, team: grid.properties.team ?? [], roles: GRID_ROLES, grid } : null;
  }
  if (s?.kind === 'building') return { post: { building: s.id }, team: s.team, roles: BUILDING_ROLES, building: s.building };
  return null;
}

function teamRow(role, label, member, { vacant = false, unit = undefined } = {}) {
  const actions = el('td', { class: 'actions edit-only' });
  if (mayEdit()) {
    if (member && SINGLE_ROLES.includes(role)) {
      const replace = el('button', { type: 'button', class: 'small-button', dataset: { change: '' }, text: t('replace') });
      replace.addEventListener('click', () => startReplacing(member));
      actions.append(replace);
    }
    if (member) {
      const end = el('button', { type: 'button', class: 'small-button', dataset: { change: '' }, text: t('end_assignment') });
      end.addEventListener('click', () => endAssignment(member));
      actions.append(end);
    } else if (vacant) {
      const assign = el('button', { type: 'button', class: 'small-button', text: t('assign') });
      assign.addEventListener('click', () => prepareAssign(role, unit));
      actions.append(assign);
    }
  }
  const unitText = unit === undefined ? '' : `（${unitLabel(unit)}）`;
  return el('tr', {
    class: vacant ? 'vacant' : null,
    dataset: { role, assignment: member?.assignment ?? '', personId: member?.person_id ?? '' },
  },
  el('th', { scope: 'row', text: `${label}${unitText}` }),
  el('td', { class: 'person', text: member ? member.name : t('vacant') }),
  el('td', {}, member ? phoneLink(member.phone) : ''),
  actions);
}

function renderTeam(selection) {
  const rows = [];
  if (selection.grid) {
    for (const group of teamByRole(selection.team, GRID_ROLES)) {
      if (group.members.length === 0) rows.push(teamRow(group.role, group.label, null, { vacant: true }));
      for (const member of group.members) rows.push(teamRow(group.role, group.label, member));
    }
  } else {
    for (const role of BUILDING_ROLES) {
      const members = selection.team.filter((m) => m.role === role);
      if (members.length === 0) rows.push(teamRow(role, teamRoleLabel(role), null, { vacant: role === 'building_leader', unit: null }));
      for (const member of members) rows.push(teamRow(role, teamRoleLabel(role), member, { unit: member.unit }));
    }
  }
  ui.teamRows.replaceChildren(...rows);
}

function renderSelection() {
  const selection = selectedPost();
  if (state.selected && !selection) state.selected = null;
  document.body.dataset.selected = state.selected ? `${state.selected.kind}:${state.selected.id}` : '';
  show(ui.selectionCard, Boolean(selection));
  renderGridList(!selection);
  if (selection) {
    if (selection.grid) {
      const p = selection.grid.properties;
      ui.selectionTitle.textContent = gridTitle(p);
      ui.selectionBadge.textContent = t(`coverage_${p.coverage}`);
      ui.selectionBadge.dataset.coverage = p.coverage;
      ui.selectionMeta.textContent = [p.code, t('households_count', { n: formatCount(p.households) }),
        t('buildings_count', { n: formatCount(p.buildings) })].join(' · ');
    } else {
      const b = selection.building;
      const covered = buildingCovered(b, selection.team);
      ui.selectionTitle.textContent = buildingTitle(b);
      ui.selectionBadge.textContent = t(covered ? 'building_covered' : 'building_gap');
      ui.selectionBadge.dataset.coverage = covered ? 'complete' : 'gap';
      ui.selectionMeta.textContent = [b.community?.name, b.estate?.name, t('households_count', { n: formatCount(b.households) }),
        b.units ? t('units_count', { n: formatCount(b.units) }) : null].filter(Boolean).join(' · ');
    }
    renderTeam(selection);
    renderAssignForm(selection);
  }
  renderMap();
  renderControls();
  bump('selectionRendered');
}

/** The grids of the community as buttons, when nothing is selected: the keyboard's way to a grid. */
function renderGridList(visible) {
  show(ui.selectionHint, visible && Boolean(state.community));
  show(ui.gridList, visible);
  if (!visible) return;
  ui.gridList.replaceChildren(...state.grids.features.map((f) => {
    const p = f.properties;
    const button = el('button', { type: 'button', class: 'link-button', dataset: { gridId: p.id } },
      el('span', { class: 'coverage-dot', dataset: { coverage: p.coverage } }),
      el('span', { class: 'grid-title', text: gridTitle(p) }),
      el('span', { class: 'hint', text: p.grid_leader ? t('leader_named', { name: p.grid_leader }) : t('coverage_gap') }));
    button.addEventListener('click', () => goToGrid(p.id));
    return el('li', {}, button);
  }));
}

// ---- the assign form ---------------------------------------------------------------------

function personMode() {
  return ui.personModes.find((r) => r.checked)?.value ?? 'existing';
}

function setPersonMode(mode) {
  for (const radio of ui.personModes) radio.checked = radio.value === mode;
  show(ui.personExisting, mode === 'existing');
  show(ui.personNew, mode === 'new');
}

function renderPeopleOptions(selectedId = ui.personSelect.value) {
  const matches = filterPeople(state.people, ui.personSearch.value);
  ui.personSelect.replaceChildren(...(matches.length
    ? matches.map((p) => el('option', { value: p.id, text: personLabel(p) }))
    : [el('option', { value: '', text: t('no_people_match') })]));
  if (matches.some((p) => String(p.id) === String(selectedId))) ui.personSelect.value = String(selectedId);
}

function renderAssignForm(selection) {
  const role = state.replacing?.role ?? ui.assignRole.value;
  ui.assignRole.replaceChildren(...selection.roles.map((r) => el('option', { value: r, text: teamRoleLabel(r) })));
  if (selection.roles.includes(role)) ui.assignRole.value = role;
  ui.assignRole.disabled = Boolean(state.replacing);
  const onBuilding = Boolean(selection.building);
  show(ui.assignUnitField, onBuilding && Number(selection.building.units) > 0);
  if (onBuilding) {
    const unit = state.replacing ? String(state.replacing.unit ?? '') : ui.assignUnit.value;
    ui.assignUnit.replaceChildren(...unitChoices(selection.building.units).map((c) => el('option', { value: c.value, text: c.label })));
    ui.assignUnit.value = unitChoices(selection.building.units).some((c) => c.value === unit) ? unit : '';
    ui.assignUnit.disabled = Boolean(state.replacing);
  }
  const replacing = state.replacing;
  ui.assignHeading.textContent = replacing ? t('replace_title', { role: teamRoleLabel(replacing.role) }) : t('assign_title');
  ui.assignReplacing.textContent = replacing ? t('replace_hint', { role: teamRoleLabel(replacing.role), name: replacing.name }) : '';
  show(ui.assignReplacing, Boolean(replacing));
  show(ui.assignCancelReplace, Boolean(replacing));
  ui.assignSubmit.textContent = replacing ? t('replace') : t('assign');
  renderPeopleOptions();
}

function resetAssignForm() {
  clearFormErrors(ui.assignForm, ui.assignError);
  ui.personName.value = '';
  ui.personPhone.value = '';
  ui.personSearch.value = '';
  setPersonMode('existing');
}

function prepareAssign(role, unit) {
  state.replacing = null;
  ui.assignRole.value = role;
  if (unit !== undefined && unit !== null) ui.assignUnit.value = String(unit);
  renderSelection();
  ui.personSearch.focus();
}

function startReplacing(member) {
  state.replacing = member;
  clearFormErrors(ui.assignForm, ui.assignError);
  renderSelection();
  ui.personSearch.focus();
}

ui.assignCancelReplace.addEventListener('click', () => {
  state.replacing = null;
  renderSelection();
});

for (const radio of ui.personModes) radio.addEventListener('change', () => setPersonMode(personMode()));
ui.personSearch.addEventListener('input', () => renderPeopleOptions());

ui.assignForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const selection = selectedPost();
  if (!selection) return;
  clearFormErrors(ui.assignForm, ui.assignError);
  const role = ui.assignRole.value;
  const unit = selection.building ? ui.assignUnit.value : '';
  const replaces = state.replacing?.assignment ?? null;
  busy.run(async () => {
    let person = null;
    try {
      const draft = { role, post: selection.post, unit, replaces };
      if (personMode() === 'new') {
        const body = personBody(state.district, { name: ui.personName.value, phone: ui.personPhone.value });
        assignmentBody({ ...draft, person: 0 }); // refuse a wrong post before registering anyone
        person = await postJson('/api/v1/people', body);
        state.people = [...state.people, person];
        // Registered: a retry picks this person instead of registering them twice.
        setPersonMode('existing');
        ui.personSearch.value = person.phone;
        renderPeopleOptions(person.id);
      }
      const assignment = await postJson('/api/v1/assignments', assignmentBody({ ...draft, person: person?.id ?? ui.personSelect.value }));
      state.replacing = null;
      resetAssignForm();
      showNotice(t('assigned_notice', { name: assignment.person, role: teamRoleLabel(assignment.role) }));
      await refreshCommunity();
    } catch (err) {
      const unitNumber = unit === '' ? null : Number(unit);
      showFormError(ui.assignForm, ui.assignError, err, {
        text: alreadyAssignedText(err, { role, unit: selection.building ? unitNumber : null, team: selection.team }),
      });
    }
  });
});

/** Asks before an irreversible change; `run(reason)` does it, its refusal shown in the dialog. */
function confirmChange({ title, text, ok, withReason = false, run }) {
  ui.confirmHeading.textContent = title;
  ui.confirmText.textContent = text;
  ui.confirmOk.textContent = ok;
  ui.confirmReason.value = '';
  show(ui.confirmReasonField, withReason);
  show(ui.confirmError, false);
  ui.confirmForm.onsubmit = (event) => {
    event.preventDefault();
    show(ui.confirmError, false);
    busy.run(async () => {
      try {
        await run(ui.confirmReason.value.trim());
        ui.confirmDialog.close('done');
      } catch (err) {
        showErrorLine(ui.confirmError, err, failureText(err, { prefix: REFUSAL_PREFIX }));
      }
    });
  };
  ui.confirmDialog.showModal();
}

ui.confirmCancel.addEventListener('click', () => ui.confirmDialog.close('cancel'));

function endAssignment(member, { settling = false } = {}) {
  const role = teamRoleLabel(member.role);
  confirmChange({
    title: t('end_title'),
    text: t(settling ? 'end_unsettled_text' : 'end_text', { name: member.name, role }),
    ok: t('end_assignment'),
    withReason: true,
    run: async (reason) => {
      await postJson(`/api/v1/assignments/${encodeURIComponent(member.assignment)}/end`, reason ? { reason } : {});
      if (state.replacing?.assignment === member.assignment) state.replacing = null;
      showNotice(t('ended_notice', { name: member.name, role }));
      await refreshCommunity();
    },
  });
}

ui.clearSelection.addEventListener('click', clearSelection);

// ---- coverage ----------------------------------------------------------------------------

function figure(key, count, total, kind) {
  return el('div', { class: 'coverage-figure', dataset: { kind, count } },
    el('span', { class: 'figure-count', text: formatCount(count) }),
    el('span', { class: 'figure-label', text: t(key, { total: formatCount(total) }) }));
}

function gapButton(text, onClick, dataset) {
  const button = el('button', { type: 'button', class: 'link-button', dataset, text });
  button.addEventListener('click', onClick);
  return el('li', {}, button);
}

function setCount(node, n) {
  node.textContent = `(${formatCount(n)})`;
  node.dataset.count = String(n);
}

function renderCoverage() {
  const c = state.coverage;
  setSourceData(UNIT_LAYERS.unadoptedSource, unadoptedFeatures(c));
  ui.coverageTabCount.textContent = '';
  if (!c) {
    for (const node of [ui.coverageFigures, ui.gapGridList, ui.gapBuildingList, ui.unadoptedList, ui.workloadRows, ui.unsettledList]) node.replaceChildren();
    for (const node of [ui.gapGridCount, ui.gapBuildingCount, ui.unadoptedCount, ui.unsettledCount]) node.textContent = '';
    return;
  }
  const counts = coverageCounts(c);
  setCount(ui.gapGridCount, counts.gridGaps);
  setCount(ui.gapBuildingCount, counts.buildingGaps);
  setCount(ui.unadoptedCount, counts.unadopted);
  setCount(ui.unsettledCount, counts.unsettled);
  const gaps = counts.gridGaps + counts.buildingGaps + counts.unsettled;
  if (gaps) ui.coverageTabCount.textContent = `(${formatCount(gaps)})`;
  ui.coverageFigures.replaceChildren(
    figure('figure_grid_gaps', counts.gridGaps, counts.grids, 'grids'),
    figure('figure_building_gaps', counts.buildingGaps, counts.buildings, 'buildings'),
    figure('figure_unadopted', counts.unadopted, counts.grids, 'unadopted'),
  );
  const none = (key) => el('li', { class: 'none', text: t(key) });

  const gridGaps = c.grids_without_leader ?? [];
  ui.gapGridList.replaceChildren(...(gridGaps.length ? gridGaps.map((g) => gapButton(
    `${gridTitle(g)}（${g.code}）· ${t('households_count', { n: formatCount(g.households) })}`,
    () => goToGrid(g.id), { gridId: g.id },
  )) : [none('no_grid_gaps')]));

  const buildingGaps = c.buildings_without_leader ?? [];
  ui.gapBuildingList.replaceChildren(...(buildingGaps.length ? buildingGaps.slice(0, BUILDING_GAPS_SHOWN).map((b) => gapButton(
    [buildingTitle(b), t('households_count', { n: formatCount(b.households) }), b.units ? t('units_count', { n: b.units }) : null].filter(Boolean).join(' · '),
    () => busy.run(() => selectBuilding(b.id, { fly: true })), { buildingId: b.id },
  )) : [none('no_building_gaps')]));
  if (buildingGaps.length > BUILDING_GAPS_SHOWN) {
    ui.gapBuildingList.append(el('li', { class: 'none', text: t('more_on_map', { n: formatCount(buildingGaps.length - BUILDING_GAPS_SHOWN) }) }));
  }

  const unadopted = c.unadopted_grids ?? [];
  ui.unadoptedList.replaceChildren(...(unadopted.length ? unadopted.map((g) => gapButton(
    `${gridTitle(g)}（${g.code}）· ${t('adopted_share', { share: percent(g.adopted_share) })}`,
    () => goToGrid(g.id), { gridId: g.id },
  )) : [none('no_unadopted')]));

  ui.workloadRows.replaceChildren(...(c.workload ?? []).map((w) => el('tr', { dataset: { personId: w.person_id } },
    el('td', {}, el('span', { class: 'username', text: w.name }), el('br'), phoneLink(w.phone)),
    el('td', { text: rolesText(w.roles) }),
    el('td', { class: 'num', text: formatCount(w.grids) }),
    el('td', { class: 'num', text: formatCount(w.buildings) }),
    el('td', { class: 'num', text: formatCount(w.households) }))));

  const unsettled = c.unsettled ?? [];
  ui.unsettledList.replaceChildren(...(unsettled.length ? unsettled.map((a) => {
    const item = el('li', { dataset: { assignment: a.id } },
      el('span', { text: `${a.person} · ${teamRoleLabel(a.role)} · ${a.grid_code ?? ''}（${t('grid_ended')}）` }));
    if (mayEdit()) {
      const end = el('button', { type: 'button', class: 'small-button', dataset: { change: '' }, text: t('end_assignment') });
      end.addEventListener('click', () => endAssignment({ assignment: a.id, role: a.role, name: a.person }, { settling: true }));
      item.append(' ', end);
    }
    return item;
  }) : [none('no_unsettled')]));
}

// ---- zones -------------------------------------------------------------------------------

function partnerUnits() {
  return state.organisations.filter((o) => o.kind === 'partner_unit').sort((a, b) => a.name.localeCompare(b.name, 'zh-CN'));
}

function renderZones() {
  setSourceData(UNIT_LAYERS.zonesSource, zoneFeatures(state.zones));
  ui.zoneList.replaceChildren(...(state.zones.length ? state.zones.map((z) => {
    const locate = el('button', { type: 'button', class: 'link-button zone-title', dataset: { zoneId: z.id } },
      el('span', { class: 'zone-unit', text: z.organisation }),
      el('span', { text: ` · ${z.name}` }));
    locate.addEventListener('click', () => {
      state.selectedZone = z.id;
      if (z.area) fitToFeatures(map, [{ geometry: z.area }]);
      renderZones();
      renderMap();
    });
    const item = el('li', { class: state.selectedZone === z.id ? 'selected' : null, dataset: { zoneId: z.id } },
      locate, el('span', { class: 'hint zone-extent', text: zoneExtentText(z) }));
    if (mayEdit()) {
      const end = el('button', { type: 'button', class: 'small-button', dataset: { change: '' }, text: t('end_zone') });
      end.addEventListener('click', () => confirmChange({
        title: t('end_zone_title'),
        text: t('end_zone_text', { unit: z.organisation, name: z.name }),
        ok: t('end_zone'),
        run: async () => {
          await postJson(`/api/v1/zones/${encodeURIComponent(z.id)}/end`, {});
          showNotice(t('zone_ended_notice', { name: z.name }));
          await Promise.all([loadZones(), loadCoverage()]);
        },
      }));
      item.append(end);
    }
    return item;
  }) : [el('li', { class: 'none', text: t('no_zones') })]));
  bump('zonesLoaded');
}

function renderOrganisationOptions(selected = ui.zoneOrganisation.value) {
  const units = partnerUnits();
  ui.zoneOrganisation.replaceChildren(
    el('option', { value: '', text: t('choose_partner_unit') }),
    ...units.map((o) => el('option', { value: o.id, text: o.name })),
  );
  if (units.some((o) => String(o.id) === String(selected))) ui.zoneOrganisation.value = String(selected);
}

function zoneMode() {
  return ui.zoneModes.find((r) => r.checked)?.value ?? 'grids';
}

function renderZoneEditor() {
  const editor = state.zoneEditor;
  show(ui.zoneForm, Boolean(editor));
  show(ui.zoneNew, !editor);
  if (editor) {
    for (const radio of ui.zoneModes) radio.checked = radio.value === editor.mode;
    show(ui.zoneGridsTool, editor.mode === 'grids');
    show(ui.zoneDrawTool, editor.mode === 'draw');
    const ticked = state.grids.features.filter((f) => editor.grids.has(f.id)).map((f) => f.properties.code);
    ui.zoneTicked.textContent = ticked.length ? t('zone_ticked', { n: ticked.length, codes: ticked.join('、') }) : t('zone_ticked_none');
    ui.zoneTicked.dataset.count = String(ticked.length);
    const n = editor.points.length;
    ui.zonePoints.textContent = n === 0 ? t('zone_points_none') : t(editor.closed ? 'zone_points_closed' : 'zone_points', { n });
    ui.zonePoints.dataset.count = String(n);
    ui.zonePoints.dataset.closed = String(editor.closed);
    ui.drawUndo.disabled = n === 0;
    ui.drawFinish.disabled = n < 3 || editor.closed;
    ui.drawCancel.disabled = n === 0;
  }
  renderMap();
}

function openZoneEditor() {
  state.zoneEditor = { mode: 'grids', grids: new Set(), points: [], closed: false };
  clearFormErrors(ui.zoneForm, ui.zoneError);
  ui.zoneName.value = '';
  renderOrganisationOptions('');
  renderZoneEditor();
  ui.zoneOrganisation.focus();
}

function closeZoneEditor() {
  state.zoneEditor = null;
  show(ui.orgNew, false);
  ui.orgNewToggle.setAttribute('aria-expanded', 'false');
  renderZoneEditor();
}

function addDrawPoint(event) {
  const editor = state.zoneEditor;
  if (editor.closed) return;
  const last = editor.points.at(-1);
  // The second click of a double-click lands on the last point: it closes, it adds nothing.
  if (last) {
    const p = map.project(last);
    if (Math.hypot(p.x - event.point.x, p.y - event.point.y) < SAME_POINT_PX) return;
  }
  editor.points.push(event.lngLat.toArray());
  renderZoneEditor();
}

function finishDrawing() {
  const editor = state.zoneEditor;
  if (!editor || editor.points.length < 3) return;
  editor.closed = true;
  renderZoneEditor();
}

ui.zoneNew.addEventListener('click', openZoneEditor);
ui.zoneClose.addEventListener('click', closeZoneEditor);
for (const radio of ui.zoneModes) {
  radio.addEventListener('change', () => {
    state.zoneEditor.mode = zoneMode();
    renderZoneEditor();
  });
}
ui.drawUndo.addEventListener('click', () => {
  const editor = state.zoneEditor;
  if (editor.closed) editor.closed = false;
  else editor.points.pop();
  renderZoneEditor();
});
ui.drawFinish.addEventListener('click', finishDrawing);
ui.drawCancel.addEventListener('click', () => {
  state.zoneEditor.points = [];
  state.zoneEditor.closed = false;
  renderZoneEditor();
});

ui.orgNewToggle.addEventListener('click', () => {
  const open = ui.orgNew.hidden;
  show(ui.orgNew, open);
  ui.orgNewToggle.setAttribute('aria-expanded', String(open));
  if (open) ui.orgName.focus();
});

ui.orgSave.addEventListener('click', () => {
  clearFormErrors(ui.zoneForm, ui.zoneError);
  busy.run(async () => {
    try {
      const name = ui.orgName.value.trim();
      if (!name) throw new FormError('org_name', 'required');
      const phone = ui.orgPhone.value.trim();
      const body = { district: state.district, kind: 'partner_unit', name, ...(phone ? { phone } : {}) };
      const organisation = await postJson('/api/v1/organisations', body);
      await loadOrganisations();
      renderOrganisationOptions(organisation.id);
      ui.orgName.value = '';
      ui.orgPhone.value = '';
      show(ui.orgNew, false);
      ui.orgNewToggle.setAttribute('aria-expanded', 'false');
      showNotice(t('org_created_notice', { name: organisation.name }));
    } catch (err) {
      showFormError(ui.zoneForm, ui.zoneError, err, { fields: { name: 'org_name', phone: 'org_phone' } });
    }
  });
});

ui.zoneForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const editor = state.zoneEditor;
  if (!editor) return;
  clearFormErrors(ui.zoneForm, ui.zoneError);
  busy.run(async () => {
    try {
      const zone = await postJson('/api/v1/zones', zoneBody({
        organisation: ui.zoneOrganisation.value, name: ui.zoneName.value, mode: editor.mode, grids: editor.grids, points: editor.points,
      }));
      state.selectedZone = zone.id;
      closeZoneEditor();
      showNotice(t('zone_saved_notice', { name: zone.name, unit: zone.organisation }));
      await Promise.all([loadZones(), loadCoverage()]);
    } catch (err) {
      showFormError(ui.zoneForm, ui.zoneError, err);
    }
  });
});

// ---- routing rules -----------------------------------------------------------------------

function renderRouteCategories() {
  const previous = ui.routeCategory.value;
  ui.routeCategory.replaceChildren(...categoryGroups(state.categories, state.organisations).map(({ group, rows }) => el('optgroup', { label: categoryName(group) },
    ...rows.map((r) => el('option', { value: r.code, text: categoryName(r.category) })))));
  if (state.categories.some((c) => c.code === previous)) ui.routeCategory.value = previous;
}

function tierCell(row) {
  if (!mayEdit()) return el('td', { class: 'tier', text: tierLabel(row.category.tier) });
  const select = el('select', { class: 'tier-select', 'aria-label': t('tier_of', { name: categoryName(row.category) }) },
    ...[1, 2, 3, 4].map((n) => el('option', { value: n, text: tierLabel(n) })));
  select.value = String(row.category.tier);
  return el('td', { class: 'tier' }, select);
}

function deadlineCell(row) {
  const deadline = row.category.deadline;
  if (!mayEdit()) return el('td', { class: 'deadline', text: deadlineLabel(deadline) });
  const name = categoryName(row.category);
  const unit = el('select', { class: 'deadline-unit', 'aria-label': t('deadline_of', { name }) },
    ...DEADLINE_UNITS.map((u) => el('option', { value: u, text: t(`deadline_unit_${u}`) })));
  unit.value = deadline?.unit ?? 'same_day';
  const amount = el('input', {
    type: 'number', class: 'deadline-amount', min: 1, max: 365, step: 1, value: deadline?.amount ?? '',
    'aria-label': t('deadline_amount_of', { name }),
  });
  amount.hidden = unit.value === 'same_day';
  return el('td', { class: 'deadline' }, unit, amount);
}

/** The category's name, and for a department's (tier 4) category the department or 无人负责 under it. */
function categoryCell(row) {
  const cell = el('th', { scope: 'row', class: 'category-name', text: categoryName(row.category) });
  if (row.unhandled) cell.append(el('span', { class: 'handler mark-unhandled', text: t('unhandled') }));
  else if (Number(row.category.tier) === 4) cell.append(el('span', { class: 'handler hint', text: row.handlers.map((o) => o.name).join('、') }));
  return cell;
}

function renderCategories() {
  const rows = [];
  for (const { group, rows: leaves } of categoryGroups(state.categories, state.organisations)) {
    rows.push(el('tr', { class: 'group-row' }, el('th', { colspan: mayEdit() ? 4 : 3, scope: 'colgroup', text: categoryName(group) })));
    for (const row of leaves) {
      const tr = el('tr', { dataset: { code: row.code, tier: row.category.tier, unhandled: String(row.unhandled) } },
        categoryCell(row), tierCell(row), deadlineCell(row));
      if (mayEdit()) enableCategoryRow(tr, row.category);
      rows.push(tr);
    }
  }
  ui.categoryRows.replaceChildren(...rows);
  renderRouteCategories();
}

/** A category row an administrator edits: 保存 appears once something differs from what is stored. */
function enableCategoryRow(tr, category) {
  const tier = tr.querySelector('.tier-select');
  const unit = tr.querySelector('.deadline-unit');
  const amount = tr.querySelector('.deadline-amount');
  const save = el('button', { type: 'button', class: 'small-button primary', dataset: { change: '' }, text: t('save'), hidden: true });
  tr.append(el('td', { class: 'save' }, save));
  const change = () => {
    try {
      return categoryChange(category, { tier: tier.value, unit: unit.value, amount: amount.value });
    } catch (err) {
      if (err instanceof FormError) return err;
      throw err;
    }
  };
  const update = () => {
    amount.hidden = unit.value === 'same_day';
    if (!amount.hidden && !amount.value) amount.value = '1';
    show(save, change() !== null);
  };
  for (const input of [tier, unit, amount]) input.addEventListener('input', update);
  save.addEventListener('click', () => busy.run(async () => {
    showErrorLine(ui.rulesError, null, null);
    try {
      const body = change();
      if (body instanceof FormError) throw body;
      const updated = await api(`/api/v1/categories/${encodeURIComponent(category.code)}`, { method: 'PATCH', body });
      state.categories = state.categories.map((c) => (c.code === updated.code ? updated : c));
      showNotice(t('category_saved_notice', { name: categoryName(updated) }));
      renderCategories();
    } catch (err) {
      showErrorLine(ui.rulesError, err, err instanceof FormError ? err.message : failureText(err, { prefix: REFUSAL_PREFIX }));
    }
  }));
}

function renderRoutePick() {
  ui.routePick.setAttribute('aria-pressed', String(state.route.picking));
}

ui.routePick.addEventListener('click', () => {
  state.route.picking = !state.route.picking;
  renderRoutePick();
  renderMap();
});

ui.routeCategory.addEventListener('change', () => {
  if (state.route.point) routeAt(state.route.point);
});

function routeRow(label, value, field) {
  return [el('dt', { text: t(label) }), el('dd', { dataset: { field } }, value)];
}

function routeAt(point) {
  state.route.point = point;
  renderMap();
  busy.run(async () => {
    try {
      const routing = await getJson(routingPath(point, ui.routeCategory.value));
      const summary = routingSummary(routing);
      const marks = el('div', { class: 'route-marks' }, ...summary.marks.map((m) => el('span', { class: `mark-${m}`, dataset: { mark: m }, text: t(`mark_${m}`) })));
      const place = routing.place;
      ui.routeResult.replaceChildren(
        el('h3', { text: categoryName(routing.category) }),
        marks,
        el('dl', {},
          ...routeRow('route_place', [place.community, place.grid_code ?? t('no_grid')].join(' · '), 'place'),
          ...routeRow('tier', tierLabel(routing.tier), 'tier'),
          ...routeRow('deadline', deadlineLabel(routing.deadline), 'deadline'),
          ...routeRow('route_organisation', summary.organisation, 'organisation'),
          ...routeRow('route_person', summary.person, 'person'),
          ...routeRow('route_reason', summary.reason, 'reason'),
          ...(routing.zone ? routeRow('route_zone', routing.zone.name, 'zone') : [])),
      );
      ui.routeResult.dataset.reason = routing.reason;
      ui.routeResult.dataset.marks = summary.marks.join(' ');
    } catch (err) {
      const message = failureText(err, { prefix: REFUSAL_PREFIX });
      if (message === null) return;
      ui.routeResult.replaceChildren(el('p', { class: 'form-error', text: message }));
      ui.routeResult.dataset.reason = '';
      ui.routeResult.dataset.marks = '';
    }
    show(ui.routeResult, true);
    bump('routeLoaded');
  });
}

// ---- controls ----------------------------------------------------------------------------

/** The buttons that send a change (`data-change`) and the community picker wait while a request runs. */
function renderControls() {
  ui.communitySelect.disabled = busy.active;
  for (const button of document.querySelectorAll('[data-change]')) button.disabled = busy.active;
}

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || ui.confirmDialog.open || document.body.dataset.session !== 'signed-in') return;
  const tag = event.target?.tagName;
  if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
  if (state.route.picking) {
    state.route.picking = false;
    renderRoutePick();
    renderMap();
  } else if (state.selected) {
    clearSelection();
  }
});

// ---- loading -----------------------------------------------------------------------------

async function loadGrids() {
  const id = state.community.id;
  const grids = await getJson(`/api/v1/communities/${encodeURIComponent(id)}/grids`);
  if (state.community?.id !== id) return;
  state.grids = decorateGrids(grids);
  setSourceData(UNIT_LAYERS.gridsSource, state.grids);
  renderGridLabels();
  bump('gridsLoaded');
}

async function loadCoverage() {
  const id = state.community.id;
  const coverage = await getJson(`/api/v1/communities/${encodeURIComponent(id)}/coverage`);
  if (state.community?.id !== id) return;
  state.coverage = coverage;
  renderCoverage();
  renderMap();
  bump('coverageLoaded');
}

const districtQuery = () => `district=${encodeURIComponent(state.district)}`;

async function loadPeople() {
  state.people = (await getJson(`/api/v1/people?${districtQuery()}`)).people ?? [];
  renderPeopleOptions();
}

async function loadOrganisations() {
  state.organisations = (await getJson(`/api/v1/organisations?${districtQuery()}`)).organisations ?? [];
  renderOrganisationOptions();
  renderCategories();
}

async function loadZones() {
  state.zones = (await getJson(`/api/v1/zones?${districtQuery()}`)).zones ?? [];
  if (!state.zones.some((z) => z.id === state.selectedZone)) state.selectedZone = null;
  renderZones();
}

/** After a change of the teams: the grids (their teams), the coverage, the people and the selected building. */
async function refreshCommunity() {
  const building = state.selected?.kind === 'building' ? state.selected.id : null;
  const [reloaded] = await Promise.all([building === null ? null : loadBuilding(building), loadGrids(), loadCoverage(), loadPeople()]);
  if (reloaded && state.selected?.kind === 'building' && state.selected.id === reloaded.id) state.selected = reloaded;
  renderSelection();
}

async function selectCommunity(id) {
  const community = state.communities.find((c) => String(c.id) === String(id)) ?? null;
  state.community = community;
  state.selected = null;
  state.replacing = null;
  state.coverage = null;
  state.grids = EMPTY;
  state.route.point = null;
  show(ui.routeResult, false);
  if (state.zoneEditor) closeZoneEditor();
  showNotice('');
  ui.communitySelect.value = community ? String(community.id) : '';
  document.body.dataset.communityId = community ? String(community.id) : '';
  rememberInUrl();
  setSourceData(UNIT_LAYERS.gridsSource, EMPTY);
  renderGridLabels();
  if (!community) {
    setStatus('');
    renderCoverage();
    renderSelection();
    return;
  }
  setStatus(t('loading'));
  fitToBboxes(map, [community.bbox], { padding: 30 });
  const districtChanged = state.district !== community.district?.id;
  state.district = community.district?.id ?? null;
  await Promise.all([
    loadGrids(),
    loadCoverage(),
    ...(districtChanged ? [loadPeople(), loadOrganisations(), loadZones()] : []),
  ]);
  setStatus(state.grids.features.length ? '' : t('units_no_grids'), 'empty');
  renderSelection();
}

ui.communitySelect.addEventListener('change', () => busy.run(() => selectCommunity(ui.communitySelect.value)));

// ---- start -------------------------------------------------------------------------------

async function createUnitsMap() {
  const m = createMap('units-map');
  await m.once('load');
  addUnitLayers(m);
  enableMapEvents(m);
  return m;
}

async function start(user) {
  state.user = user;
  document.body.classList.toggle('read-only', !mayEdit());
  show(ui.readOnly, !mayEdit());
  setTab('team');
  setStatus(t('loading'));
  let communities;
  let categories;
  try {
    [map, communities, categories] = await Promise.all([createUnitsMap(), getJson('/api/v1/communities'), getJson('/api/v1/categories')]);
  } catch (err) {
    setStatus(t('load_failed', { message: err.message }), 'error');
    ui.mapMessage.textContent = t('load_failed', { message: err.message });
    show(ui.mapMessage, true);
    document.body.dataset.unitsError = err.message;
    return;
  }
  window.unitsMap = map;
  state.categories = categories?.categories ?? [];
  state.communities = communities?.communities ?? [];
  fillCommunityPicker(ui.communitySelect, state.communities);
  renderCategories();
  renderMap();
  if (state.communities.length === 0) {
    setStatus(t('no_data'), 'empty');
  } else {
    setStatus('');
    fitToBboxes(map, state.communities.map((c) => c.bbox));
    const wanted = new URLSearchParams(location.search).get('community') ?? (state.communities.length === 1 ? state.communities[0].id : null);
    if (wanted !== null && state.communities.some((c) => String(c.id) === String(wanted))) {
      await busy.run(() => selectCommunity(wanted));
    }
  }
  renderSelection();
  document.body.dataset.unitsReady = 'true';
}

startSignedIn({ content: $('units-page'), allow: canRead, forbidden: t('forbidden_units'), onReady: start });
