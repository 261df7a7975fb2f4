// The pure parts of the leaders' page (leaders.html) and the printable ranking
// (ranking-print.html): periods of the time slider, the map's queries and layers by zoom,
// indicator and ranking texts, and the trend chart's points. No DOM, no requests: tested with
// `node --test tests/browser/leaders-model.test.mjs`.

import { t } from './i18n.js';

/** Days the time slider reaches back. */
export const SLIDER_DAYS = 90;

/** Below this zoom the map shows the heatmap; from it the grids' choropleth; from PINS_ZOOM pins. */
export const CHOROPLETH_ZOOM = 15;
export const PINS_ZOOM = 17;

/** The largest box of pins the service answers, in degrees (its MAX_PIN_BOX_DEG). */
export const MAX_PIN_BOX_DEG = 0.03;

/** `day` (YYYY-MM-DD) moved by `n` days. */
export function addDays(day, n) {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + n);
  return date.toISOString().slice(0, 10);
}

/**
 * The period a slider position stands for: position `SLIDER_DAYS - 1` is today. By day, that one
 * day; by week, the seven days ending on it.
 */
export function sliderPeriod(today, position, mode) {
  const to = addDays(today, position - (SLIDER_DAYS - 1));
  const from = mode === 'week' ? addDays(to, -6) : to;
  return { from, to };
}

/** Hexagon size (metres, centre to corner) for a zoom: about 25 screen pixels across. */
export function resolutionForZoom(zoom) {
  const size = 40 * 2 ** (13 - zoom) * 4;
  return Math.min(2000, Math.max(50, Math.round(size / 10) * 10));
}

/** Which layer a zoom shows: `heatmap`, `choropleth` or `pins`. */
export function layerForZoom(zoom) {
  if (zoom >= PINS_ZOOM) return 'pins';
  if (zoom >= CHOROPLETH_ZOOM) return 'choropleth';
  return 'heatmap';
}

/** The area parameter: a community when one is chosen, else the sub-district. */
export function areaParams({ district, community }) {
  return community ? { community } : { district };
}

/** A query string of the map's and exports' parameters; empty values are left out. */
export function mapQuery(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  return search.toString();
}

/** A map box as the pins' `bbox`, or null when it is larger than the service answers. */
export function pinBox(bounds) {
  const [w, s, e, n] = bounds;
  if (e - w > MAX_PIN_BOX_DEG || n - s > MAX_PIN_BOX_DEG) return null;
  return [w, s, e, n].map((v) => v.toFixed(6)).join(',');
}

/** The heatmap's cells as GeoJSON points weighted by their share of the largest cell. */
export function heatmapFeatures(heatmap) {
  const max = Math.max(1, heatmap?.max ?? 1);
  return {
    type: 'FeatureCollection',
    features: (heatmap?.cells ?? []).map(([lon, lat, count]) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [lon, lat] }, properties: { count, weight: count / max },
    })),
  };
}

/** A rate (0–1) as a percentage with one decimal; "—" when there is nothing to measure. */
export function percent(rate) {
  return rate === null || rate === undefined ? t('missing') : `${(rate * 100).toFixed(1)}%`;
}

/** The indicators the side panel lists, as [label, text] (the counts are flattened into them). */
export function indicatorRows(indicators) {
  const c = indicators ?? {};
  const per1000 = indicators?.dead_spots_per_1000_households;
  return [
    [t('ind_filed'), String(c.filed ?? 0)],
    [t('ind_closure_rate'), percent(indicators?.closure_rate)],
    [t('ind_on_time_rate'), percent(indicators?.on_time_rate)],
    [t('ind_rework_rate'), percent(indicators?.rework_rate)],
    [t('ind_open_overdue'), String(c.open_overdue ?? 0)],
    [t('ind_dead_spots'), per1000 === null || per1000 === undefined ? t('missing') : per1000.toFixed(2)],
    [t('ind_patrol_coverage'), percent(indicators?.patrol_coverage)],
  ];
}

/** The weeks of the trend chart: `count` seven-day periods ending today, oldest first. */
export function trendWeeks(today, count = 12) {
  return Array.from({ length: count }, (_, i) => {
    const to = addDays(today, -7 * (count - 1 - i));
    return { from: addDays(to, -6), to };
  });
}

/** SVG polyline points of `values` in a box of `width` × `height` (the top is the largest value). */
export function trendPoints(values, width, height) {
  if (values.length === 0) return '';
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * height).toFixed(1)}`).join(' ');
}

/** A ranking entry's mark in words: 流动红旗, 黄牌 or nothing. */
export function markLabel(mark) {
  if (mark === 'red_flag') return t('mark_red_flag');
  if (mark === 'yellow_card') return t('mark_yellow_card');
  return '';
}

/** Movement since last month: ↑2, ↓1, — (same), 新 (not ranked last month). */
export function movementText(movement) {
  if (movement === null || movement === undefined) return t('movement_new');
  if (movement > 0) return `↑${movement}`;
  if (movement < 0) return `↓${-movement}`;
  return '—';
}

/** The escalation of a community last months running: 说明 (two), 不称职 (three or more). */
export function escalationLabel(escalation) {
  if (escalation === 'explain') return t('escalation_explain');
  if (escalation === 'unsatisfactory') return t('escalation_unsatisfactory');
  return '';
}

/** The rows of a ranking table. */
export function rankingRows(ranking) {
  return (ranking?.entries ?? []).map((e) => ({
    id: e.community_id,
    rank: e.rank,
    community: e.community,
    score: Number(e.score).toFixed(1),
    mark: e.mark ?? null,
    markText: markLabel(e.mark),
    movement: movementText(e.movement),
    escalation: escalationLabel(e.escalation),
  }));
}
