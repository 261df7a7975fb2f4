// The leaders' page (leaders.html, 领导驾驶舱): where problems concentrate and how the
// communities do. The map shows, by zoom, the heatmap of cases per hexagon (counted by the
// service), then each grid coloured by cases per 1,000 households, then the pins of the cases in
// view (never a private one); dead spots and overdue cases are layers of their own. Filters by
// category group and status and a time slider (by day or by week over the past 90 days) redraw
// the map and the indicators of the chosen area (or, for a user over the whole city, of the
// city); beside them a 12-week trend, the month's
// ranking with its red flags, yellow cards, movement and escalations, and the exports.
//
// The pure parts are in leaders-model.js. For the browser test the page sets `window.leadersMap`,
// `window.leadersPage` and on the body `data-leaders-ready`, `data-busy`, `data-heatmap-total`
// and the counters `data-heatmap-loaded`, `data-indicators-loaded` and `data-ranking-loaded`.

import { getJson } from './api.js';
import { categoryName, categoryTree, chinaMonth, chinaToday, statusLabel } from './cases-model.js';
import { applyI18n, otherLanguageHref, t } from './i18n.js';
import {
  CHOROPLETH_ZOOM, PINS_ZOOM, SLIDER_DAYS, areaParams, heatmapFeatures, indicatorRows, layerForZoom, mapQuery, pinBox,
  rankingRows, resolutionForZoom, sliderPeriod, trendPoints, trendWeeks,
} from './leaders-model.js';
import { createMap, fitToBboxes } from './map.js';
import { bump, failureText, show, showStatus } from './page.js';
import { el, startSignedIn, withLang } from './session.js';

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('leaders_title')}`;

const $ = (id) => document.getElementById(id);
const ui = {
  page: $('leaders-page'),
  area: $('area'),
  group: $('filter-group'),
  status: $('filter-status'),
  periodText: $('period-text'),
  slider: $('time-slider'),
  deadSpots: $('layer-dead-spots'),
  overdue: $('layer-overdue'),
  layerNote: $('layer-note'),
  message: $('leaders-status'),
  indicators: $('indicators'),
  scope: $('indicator-scope'),
  trend: $('trend'),
  rankingMonth: $('ranking-month'),
  showRanking: $('show-ranking'),
  ranking: $('ranking'),
  exportRegister: $('export-register'),
  exportGeojson: $('export-geojson'),
  exportRanking: $('export-ranking'),
  legend: $('map-legend'),
};

const state = {
  district: null,      // the user's sub-district id
  communities: [],
  today: chinaToday(),
  map: null,
  // Each kind of request keeps only its latest answer: a slider dragged quickly sends many.
  latest: { heatmap: 0, choropleth: 0, pins: 0, indicators: 0 },
};

const mode = () => document.querySelector('input[name="mode"]:checked')?.value ?? 'week';
const period = () => sliderPeriod(state.today, Number(ui.slider.value), mode());
const area = () => areaParams({ district: state.district, community: ui.area.value });
const filters = () => ({ category: ui.group.value, status: ui.status.value });
/** What the indicators and the trend are of: the whole city when chosen, else the map's area. */
const indicatorUnit = () => {
  if (ui.scope.value === 'city') return { unit: 'city' };
  return ui.area.value ? { unit: 'community', id: ui.area.value } : { unit: 'district', id: state.district };
};

function showError(err) {
  const text = failureText(err, { prefix: 'leaders_refused_', wrap: 'load_failed' });
  if (text !== null) showStatus(ui.message, text, 'error');
}

/** Runs a request of `kind`; answers its result only when no later request of that kind started. */
async function latest(kind, request) {
  const ticket = ++state.latest[kind];
  const result = await request();
  return ticket === state.latest[kind] ? result : undefined;
}

function setSource(id, data) {
  state.map.getSource(id)?.setData(data);
}

async function loadHeatmap() {
  const zoom = state.map.getZoom();
  const query = mapQuery({ ...area(), ...period(), ...filters(), resolution: resolutionForZoom(zoom) });
  const heatmap = await latest('heatmap', () => getJson(`/api/v1/heatmap?${query}`));
  if (!heatmap) return;
  setSource('cells', heatmapFeatures(heatmap));
  document.body.dataset.heatmapTotal = String(heatmap.total);
  window.leadersPage.heatmap = heatmap;
  window.leadersPage.heatmapQuery = query;
  bump('heatmapLoaded');
}

async function loadChoropleth() {
  const grids = await latest('choropleth', () => getJson(`/api/v1/choropleth?${mapQuery({ ...area(), ...period() })}`));
  if (grids) setSource('grids', grids);
}

async function loadPins() {
  const b = state.map.getBounds();
  const bbox = pinBox([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
  if (!bbox) return;
  const answer = await latest('pins', () => getJson(`/api/v1/case-pins?${mapQuery({ ...area(), ...period(), ...filters(), bbox })}`));
  if (answer) setSource('pins', pointsOf(answer.cases));
}

function pointsOf(cases) {
  return {
    type: 'FeatureCollection',
    features: cases.map((c) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [c.lon, c.lat] },
      properties: { id: c.id, number: c.number, category: c.category_name, status: statusLabel(c.status), overdue: c.overdue },
    })),
  };
}

/** Dead spots active now, and cases overdue now (filed in the slider's 90 days): not the period's. */
async function loadLayers() {
  const [spots, overdue] = await Promise.all([
    ui.deadSpots.checked ? getJson('/api/v1/dead-spots') : { dead_spots: [] },
    ui.overdue.checked
      ? getJson(`/api/v1/case-pins?${mapQuery({ ...area(), from: sliderPeriod(state.today, 0, 'day').from, to: state.today, status: 'overdue' })}`)
      : { cases: [] },
  ]);
  const community = ui.area.value;
  const spotsShown = spots.dead_spots.filter((s) => !community || String(s.community_id) === community);
  setSource('dead-spots', {
    type: 'FeatureCollection',
    features: spotsShown.map((s) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: [s.lon, s.lat] }, properties: { cases: s.case_count } })),
  });
  setSource('overdue', pointsOf(overdue.cases));
  ui.layerNote.textContent = t('layer_counts', { spots: spotsShown.length, overdue: overdue.cases.length });
}

async function loadIndicators() {
  const query = mapQuery({ ...indicatorUnit(), ...period() });
  const answer = await latest('indicators', () => getJson(`/api/v1/indicators?${query}`));
  if (!answer) return;
  window.leadersPage.indicators = answer;
  window.leadersPage.indicatorsQuery = query;
  ui.indicators.replaceChildren(...indicatorRows(answer.indicators).flatMap(([label, text]) => [el('dt', { text: label }), el('dd', { text })]));
  bump('indicatorsLoaded');
}

async function loadTrend() {
  const weeks = trendWeeks(state.today);
  const answers = await Promise.all(weeks.map((w) => getJson(`/api/v1/indicators?${mapQuery({ ...indicatorUnit(), ...w })}`)));
  const filed = answers.map((a) => a.indicators.filed);
  const closed = answers.map((a) => a.indicators.closed);
  const line = (values, kind) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    node.setAttribute('points', trendPoints(values, 280, 80));
    node.setAttribute('class', `trend-line ${kind}`);
    return node;
  };
  const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
  title.textContent = t('trend_summary', { filed: filed.reduce((a, b) => a + b, 0), closed: closed.reduce((a, b) => a + b, 0) });
  ui.trend.replaceChildren(title, line(filed, 'filed'), line(closed, 'closed'));
}

async function loadRanking() {
  const month = ui.rankingMonth.value || chinaMonth();
  const ranking = await getJson(`/api/v1/rankings?${mapQuery({ district: state.district, month })}`);
  const rows = rankingRows(ranking).map((r) => el('tr', { class: r.mark ?? '', 'data-community': r.id },
    el('td', { text: String(r.rank) }),
    el('td', { text: r.community }),
    el('td', { text: r.score }),
    el('td', { text: r.movement }),
    el('td', {}, el('span', { class: `mark ${r.mark ?? ''}`, text: r.markText }), r.escalation ? el('span', { class: 'escalation', text: r.escalation }) : '')));
  ui.ranking.tBodies[0].replaceChildren(...rows);
  show(ui.ranking, true);
  ui.exportRanking.href = withLang(`/ranking-print.html?${mapQuery({ district: state.district, month })}`);
  bump('rankingLoaded');
}

function updateExports() {
  const query = mapQuery({ ...area(), ...period(), ...filters() });
  ui.exportRegister.href = `/api/v1/register.csv?${query}`;
  ui.exportGeojson.href = `/api/v1/cases.geojson?${query}`;
  ui.exportRanking.href = withLang(`/ranking-print.html?${mapQuery({ district: state.district, month: ui.rankingMonth.value || chinaMonth() })}`);
}

/** Everything that follows the period, area and filters. */
async function refresh({ trend = false } = {}) {
  const { from, to } = period();
  ui.periodText.textContent = from === to ? from : `${from} — ${to}`;
  updateExports();
  document.body.dataset.busy = 'true';
  showStatus(ui.message, '');
  try {
    await Promise.all([loadHeatmap(), loadChoropleth(), loadIndicators(), loadLayers(), trend ? loadTrend() : null,
      layerForZoom(state.map.getZoom()) === 'pins' ? loadPins() : null]);
  } catch (err) {
    showError(err);
  } finally {
    document.body.dataset.busy = 'false';
  }
}

function addLayers(map) {
  const empty = { type: 'FeatureCollection', features: [] };
  for (const id of ['cells', 'grids', 'pins', 'dead-spots', 'overdue']) map.addSource(id, { type: 'geojson', data: empty });
  map.addLayer({
    id: 'heat', type: 'heatmap', source: 'cells', maxzoom: CHOROPLETH_ZOOM + 0.5,
    paint: {
      'heatmap-weight': ['get', 'weight'],
      'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 10, 12, 14, 40],
      'heatmap-opacity': ['interpolate', ['linear'], ['zoom'], CHOROPLETH_ZOOM - 0.5, 0.85, CHOROPLETH_ZOOM + 0.5, 0],
    },
  });
  map.addLayer({
    id: 'grid-fill', type: 'fill', source: 'grids', minzoom: CHOROPLETH_ZOOM - 0.5,
    paint: {
      'fill-color': ['interpolate', ['linear'], ['coalesce', ['get', 'per_1000_households'], 0], 0, '#fff7ec', 10, '#fdbb84', 30, '#d7301f'],
      'fill-opacity': ['interpolate', ['linear'], ['zoom'], CHOROPLETH_ZOOM - 0.5, 0, CHOROPLETH_ZOOM, 0.6, PINS_ZOOM, 0.35],
    },
  });
  map.addLayer({ id: 'grid-line', type: 'line', source: 'grids', minzoom: CHOROPLETH_ZOOM - 0.5, paint: { 'line-color': '#7f2704', 'line-width': 1 } });
  map.addLayer({
    id: 'grid-label', type: 'symbol', source: 'grids', minzoom: CHOROPLETH_ZOOM,
    layout: { 'text-field': ['concat', ['get', 'name'], '\n', ['to-string', ['get', 'filed']]], 'text-size': 11 },
    paint: { 'text-halo-color': '#fff', 'text-halo-width': 1 },
  });
  map.addLayer({
    id: 'pin', type: 'circle', source: 'pins', minzoom: PINS_ZOOM,
    paint: { 'circle-radius': 6, 'circle-color': ['case', ['get', 'overdue'], '#a3261d', '#1d4f80'], 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
  });
  map.addLayer({ id: 'dead-spot', type: 'circle', source: 'dead-spots', paint: { 'circle-radius': 7, 'circle-color': '#6a3d9a', 'circle-opacity': 0.8 } });
  map.addLayer({
    id: 'overdue-case', type: 'circle', source: 'overdue', maxzoom: PINS_ZOOM,
    paint: { 'circle-radius': 4, 'circle-color': '#a3261d', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
  });
  const popup = (layer, text) => map.on('click', layer, (event) => {
    const feature = event.features?.[0];
    if (feature) new maplibregl.Popup().setLngLat(event.lngLat).setText(text(feature.properties)).addTo(map);
  });
  popup('pin', (p) => `${p.number} · ${p.category} · ${p.status}`);
  popup('overdue-case', (p) => `${p.number} · ${p.category} · ${t('filter_overdue')}`);
  popup('grid-fill', (p) => t('grid_popup', { name: p.name, filed: p.filed, per1000: p.per_1000_households ?? t('missing'), overdue: p.open_overdue }));
}

function drawLegend() {
  const layer = layerForZoom(state.map.getZoom());
  ui.legend.textContent = t(`legend_${layer}`);
  document.body.dataset.mapLayer = layer;
}

async function start(user) {
  const [{ categories }, { communities, whole_city: wholeCity }] = await Promise.all([getJson('/api/v1/categories'), getJson('/api/v1/communities')]);
  state.communities = communities;
  state.district = communities[0]?.district?.id ?? null;
  if (state.district === null) {
    showStatus(ui.message, t('no_data'), 'empty');
    return;
  }
  ui.area.replaceChildren(
    el('option', { value: '', text: t('whole_district', { name: communities[0].district.name }) }),
    ...communities.map((c) => el('option', { value: c.id, text: c.name })),
  );
  show(ui.scope, wholeCity);
  ui.group.append(...categoryTree(categories).map((g) => el('option', { value: g.code, text: categoryName(g) })));
  ui.slider.max = String(SLIDER_DAYS - 1);
  ui.slider.value = String(SLIDER_DAYS - 1);
  ui.rankingMonth.value = chinaMonth();
  state.map = createMap('map');
  window.leadersMap = state.map;
  window.leadersPage = { user, heatmap: null, heatmapQuery: null };
  fitToBboxes(state.map, communities.map((c) => c.bbox));
  await new Promise((resolve) => state.map.once('load', resolve));
  addLayers(state.map);
  drawLegend();

  ui.slider.addEventListener('input', () => refresh());
  for (const input of document.querySelectorAll('input[name="mode"]')) input.addEventListener('change', () => refresh());
  for (const select of [ui.group, ui.status]) select.addEventListener('change', () => refresh());
  ui.area.addEventListener('change', () => {
    const community = communities.find((c) => String(c.id) === ui.area.value);
    fitToBboxes(state.map, community ? [community.bbox] : communities.map((c) => c.bbox));
    refresh({ trend: true });
  });
  for (const box of [ui.deadSpots, ui.overdue]) box.addEventListener('change', () => loadLayers().catch(showError));
  ui.scope.addEventListener('change', () => Promise.all([loadIndicators(), loadTrend()]).catch(showError));
  ui.showRanking.addEventListener('click', () => loadRanking().catch(showError));
  ui.rankingMonth.addEventListener('change', updateExports);
  let lastResolution = resolutionForZoom(state.map.getZoom());
  state.map.on('moveend', () => {
    drawLegend();
    const resolution = resolutionForZoom(state.map.getZoom());
    if (resolution !== lastResolution) {
      lastResolution = resolution;
      loadHeatmap().catch(showError);
    }
    if (layerForZoom(state.map.getZoom()) === 'pins') loadPins().catch(showError);
  });
  await refresh({ trend: true });
  document.body.dataset.leadersReady = 'true';
}

startSignedIn({
  content: ui.page,
  allow: (user) => ['admin', 'leader'].includes(user.role),
  forbidden: t('forbidden_leaders'),
  onReady: (user) => start(user).catch((err) => {
    showError(err);
    document.body.dataset.leadersError = String(err?.message ?? err);
  }),
});
