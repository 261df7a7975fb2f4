// The shared map: a MapLibre map on a plain background showing the service's own vector
// tiles (communities, estates, buildings, roads), plus helpers every page reuses — fitting
// to bounding boxes, community labels as HTML markers, the households legend and the
// building popup.
//
// Nothing here is fetched from outside the service: no base map, no glyphs, no sprites.
// Without glyphs there are no symbol layers with text; labels are HTML markers, drawn in
// the browser's own fonts (which also covers Chinese).
//
// MapLibre is loaded as a classic script (/vendor/maplibre-gl/maplibre-gl.js) and used
// through the global `maplibregl`.

import { announceUnauthenticated, getJson } from './api.js';
import { bboxOfFeatures } from './geometry.js';
import { t, formatCount } from './i18n.js';

/** Vector tile layers the service serves at /tiles/{layer}/{z}/{x}/{y}.mvt. */
export const TILE_LAYERS = ['communities', 'estates', 'buildings', 'roads'];

/** Highest zoom the service makes tiles for; the map overzooms beyond it. */
export const TILE_MAXZOOM = 16;

/** Buildings are drawn from this zoom up. */
export const BUILDINGS_MINZOOM = 13;

/** Ids of the style layers, for pages and tests (`map.queryRenderedFeatures({layers})`). */
export const LAYER_IDS = Object.freeze({
  background: 'background',
  communityFill: 'communities-fill',
  communityOutline: 'communities-outline',
  communitySelected: 'communities-selected',
  estateOutline: 'estates-outline',
  roadCasing: 'roads-casing',
  road: 'roads-line',
  buildingFill: 'buildings-fill',
  buildingOutline: 'buildings-outline',
  buildingSelected: 'buildings-selected',
});

/**
 * Households per building, as the colour ramp of the buildings layer and its legend.
 * 300–700 households is the size of one grid; a building above 700 has to be split by units.
 */
export const HOUSEHOLD_CLASSES = Object.freeze([
  { min: 0, max: 0, color: '#c8c8c8' },
  { min: 1, max: 49, color: '#ffe5a0' },
  { min: 50, max: 149, color: '#fdbe62' },
  { min: 150, max: 299, color: '#f68e3e' },
  { min: 300, max: 699, color: '#dc542a' },
  { min: 700, max: null, color: '#9b1d1a' },
]);

export const COLORS = Object.freeze({
  background: '#f3f2ee',
  community: '#3f72a6',
  communitySelected: '#1d4f80',
  estate: '#8c6b3c',
  roadCasing: '#c9c3b6',
  road: '#ffffff',
  roadMajor: '#f4cf8f',
  roadMotorway: '#e9a864',
  buildingOutline: '#6d6457',
  buildingSelected: '#1d4f80',
});

/** The legend label of a households class: "0", "1–49", "≥700". */
export function householdClassLabel({ min, max }) {
  if (max === null) return `≥${min}`;
  return min === max ? String(min) : `${min}–${max}`;
}

/** The colour of a building with `households` households. */
export function householdColor(households) {
  const n = Number(households) || 0;
  let color = HOUSEHOLD_CLASSES[0].color;
  for (const c of HOUSEHOLD_CLASSES) if (n >= c.min) color = c.color;
  return color;
}

/** A MapLibre `step` expression equivalent to householdColor. */
function householdColorExpression() {
  const [first, ...rest] = HOUSEHOLD_CLASSES;
  return ['step', ['to-number', ['get', 'households'], 0], first.color,
    ...rest.flatMap((c) => [c.min, c.color])];
}

/** The smallest [[minLon, minLat], [maxLon, maxLat]] covering all bboxes ([minLon, minLat, maxLon, maxLat]); null if none is valid. */
export function boundsOfBboxes(bboxes) {
  let bounds = null;
  for (const b of bboxes ?? []) {
    if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite)) continue;
    const [w, s, e, n] = b;
    if (!bounds) bounds = [[w, s], [e, n]];
    else {
      bounds[0][0] = Math.min(bounds[0][0], w);
      bounds[0][1] = Math.min(bounds[0][1], s);
      bounds[1][0] = Math.max(bounds[1][0], e);
      bounds[1][1] = Math.max(bounds[1][1], n);
    }
  }
  return bounds;
}

/** Absolute tile URL template for a service layer (MapLibre's workers need absolute URLs). */
export function tileUrl(origin, layer) {
  return `${origin}/tiles/${layer}/{z}/{x}/{y}.mvt`;
}

/**
 * The id of a tile feature: its `id` property, or else the MVT feature id (PostGIS's
 * ST_AsMVT moves the column named as feature id out of the properties).
 */
export function featureId(feature) {
  return feature?.properties?.id ?? feature?.id ?? null;
}

/** An expression: the feature's id (as in featureId) equals `id`, compared as strings. */
function idEquals(id) {
  return ['==', ['to-string', ['coalesce', ['get', 'id'], ['id']]], id === null || id === undefined ? '' : String(id)];
}

/** An expression: the feature's id (as in featureId) is one of `ids` (numbers, as the service's). */
export function idIn(ids) {
  return ['in', ['coalesce', ['get', 'id'], ['id']], ['literal', [...ids]]];
}

const byZoom = (low, high) => ['interpolate', ['exponential', 1.6], ['zoom'], 12, low, 18, high];

// Road widths per class at zoom 12 and 18; classes follow OpenStreetMap's highway=*.
const ROAD_CLASSES = {
  motorway: [1.6, 14], trunk: [1.6, 14], primary: [1.4, 12], secondary: [1.2, 10],
  tertiary: [1, 8], residential: [0.6, 6], unclassified: [0.6, 6], living_street: [0.5, 5],
  service: [0.4, 3.5],
};
function roadWidth(atZoom18, scale = 1) {
  const pick = (i) => ['match', ['get', 'class'],
    ...Object.entries(ROAD_CLASSES).flatMap(([cls, w]) => [cls, w[i] * scale]),
    (i === 0 ? 0.3 : 2) * scale];
  return atZoom18 ? pick(1) : pick(0);
}

/** The style: a plain background and the service's vector layers. */
export function buildStyle(origin) {
  const sources = {};
  for (const layer of TILE_LAYERS) {
    sources[layer] = {
      type: 'vector',
      tiles: [tileUrl(origin, layer)],
      minzoom: layer === 'buildings' ? BUILDINGS_MINZOOM : 0,
      maxzoom: TILE_MAXZOOM,
    };
  }
  return {
    version: 8,
    name: 'wangge',
    sources,
    layers: [
      { id: LAYER_IDS.background, type: 'background', paint: { 'background-color': COLORS.background } },
      {
        id: LAYER_IDS.communityFill, type: 'fill', source: 'communities', 'source-layer': 'communities',
        paint: { 'fill-color': COLORS.community, 'fill-opacity': 0.07 },
      },
      {
        id: LAYER_IDS.roadCasing, type: 'line', source: 'roads', 'source-layer': 'roads',
        layout: { 'line-join': 'round', 'line-cap': 'round' },
        paint: {
          'line-color': COLORS.roadCasing,
          'line-width': byZoom(roadWidth(false), roadWidth(true)),
        },
      },
      {
        id: LAYER_IDS.road, type: 'line', source: 'roads', 'source-layer': 'roads',
        layout: { 'line-join': 'round', 'line-cap': 'round' },
        paint: {
          'line-color': ['match', ['get', 'class'],
            ['motorway', 'trunk'], COLORS.roadMotorway,
            ['primary', 'secondary'], COLORS.roadMajor,
            COLORS.road],
          'line-width': byZoom(roadWidth(false, 0.7), roadWidth(true, 0.8)),
        },
      },
      {
        id: LAYER_IDS.estateOutline, type: 'line', source: 'estates', 'source-layer': 'estates',
        layout: { 'line-join': 'round' },
        paint: {
          'line-color': COLORS.estate,
          'line-width': byZoom(0.8, 2),
          'line-dasharray': [3, 2],
          'line-opacity': 0.8,
        },
      },
      {
        id: LAYER_IDS.buildingFill, type: 'fill', source: 'buildings', 'source-layer': 'buildings',
        minzoom: BUILDINGS_MINZOOM,
        paint: { 'fill-color': householdColorExpression(), 'fill-opacity': 0.9 },
      },
      {
        id: LAYER_IDS.buildingOutline, type: 'line', source: 'buildings', 'source-layer': 'buildings',
        minzoom: BUILDINGS_MINZOOM,
        paint: {
          'line-color': COLORS.buildingOutline,
          'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.2, 17, 0.8],
          'line-opacity': 0.8,
        },
      },
      {
        id: LAYER_IDS.buildingSelected, type: 'line', source: 'buildings', 'source-layer': 'buildings',
        minzoom: BUILDINGS_MINZOOM, filter: idEquals(null),
        paint: { 'line-color': COLORS.buildingSelected, 'line-width': 3 },
      },
      {
        id: LAYER_IDS.communityOutline, type: 'line', source: 'communities', 'source-layer': 'communities',
        layout: { 'line-join': 'round' },
        paint: { 'line-color': COLORS.community, 'line-width': byZoom(1.2, 3), 'line-opacity': 0.85 },
      },
      {
        id: LAYER_IDS.communitySelected, type: 'line', source: 'communities', 'source-layer': 'communities',
        filter: idEquals(null), layout: { 'line-join': 'round' },
        paint: { 'line-color': COLORS.communitySelected, 'line-width': byZoom(2.5, 5) },
      },
    ],
  };
}

/**
 * Creates the map in `container` (an element or its id). Requires the global `maplibregl`.
 * A tile answered 401 means the session ended: session.js brings the sign-in form back; other
 * errors are logged as MapLibre would without a listener.
 */
export function createMap(container, options = {}) {
  const map = new maplibregl.Map({
    container,
    style: buildStyle(location.origin),
    center: [116.39, 39.91],
    zoom: 11,
    maxZoom: 20,
    dragRotate: false,
    pitchWithRotate: false,
    attributionControl: { compact: false, customAttribution: t('attribution_osm') },
    ...options,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.on('error', (event) => {
    if (event.error?.status === 401) announceUnauthenticated(event.error);
    else console.error(event.error ?? event);
  });
  return map;
}

/** Fits the map to the union of bboxes ([minLon, minLat, maxLon, maxLat]); false if there is none. */
export function fitToBboxes(map, bboxes, options = {}) {
  const bounds = boundsOfBboxes(bboxes);
  if (!bounds) return false;
  map.fitBounds(bounds, { padding: 40, maxZoom: 17, duration: 0, ...options });
  return true;
}

/** Moves the map to show the features (Polygon, MultiPolygon); false if they have no shape. */
export function fitToFeatures(map, features, options = {}) {
  const box = bboxOfFeatures(features);
  if (!box) return false;
  return fitToBboxes(map, [box], { padding: 60, maxZoom: 18, duration: 500, ...options });
}

/** Outlines one community (by id) strongly; null clears it. */
export function highlightCommunity(map, id) {
  map.setFilter(LAYER_IDS.communitySelected, idEquals(id));
}

/** Outlines one building (by id) strongly; null clears it. */
export function highlightBuilding(map, id) {
  map.setFilter(LAYER_IDS.buildingSelected, idEquals(id));
}

/**
 * Labels communities with HTML markers at their `label_point` ([lon, lat]).
 * Labels let clicks through to the map. Returns the markers (call `.remove()` to drop them).
 */
export function addCommunityLabels(map, communities) {
  const markers = [];
  for (const c of communities) {
    const p = c.label_point;
    if (!Array.isArray(p) || p.length !== 2 || !p.every(Number.isFinite)) continue;
    const el = document.createElement('div');
    el.className = 'community-label';
    el.textContent = c.name;
    el.dataset.communityId = String(c.id);
    markers.push(new maplibregl.Marker({ element: el, anchor: 'center' }).setLngLat(p).addTo(map));
  }
  return markers;
}

/** A map control showing the households colour ramp of the buildings layer. */
export class HouseholdLegend {
  onAdd() {
    const el = document.createElement('div');
    el.className = 'maplibregl-ctrl legend';
    const title = document.createElement('div');
    title.className = 'legend-title';
    title.textContent = t('legend_households');
    el.append(title);
    for (const c of HOUSEHOLD_CLASSES) {
      const row = document.createElement('div');
      row.className = 'legend-row';
      const swatch = document.createElement('span');
      swatch.className = 'legend-swatch';
      swatch.style.background = c.color;
      const label = document.createElement('span');
      label.textContent = householdClassLabel(c);
      row.append(swatch, label);
      el.append(row);
    }
    this.el = el;
    return el;
  }

  onRemove() {
    this.el?.remove();
  }
}

function missing(value) {
  return value === null || value === undefined || value === '';
}

function cell(value) {
  return missing(value) ? t('missing') : String(value);
}

/** The content of a building popup, from the `properties` of GET /api/v1/buildings/{id}. */
export function buildingPopupContent(p) {
  const root = document.createElement('div');
  root.className = 'building-card';
  const heading = document.createElement('h3');
  heading.textContent = missing(p.name) ? t('building') : p.name;
  root.append(heading);

  // [field, label key, shown value]
  const rows = [
    ['name', 'name', cell(p.name)],
    ['community', 'popup_community', cell(p.community?.name)],
    ['estate', 'estate', cell(p.estate?.name)],
    ['floors', 'floors', formatCount(p.floors)],
    ['units', 'units', formatCount(p.units)],
    ['households', 'households', formatCount(p.households)],
  ];
  if (!missing(p.address)) rows.push(['address', 'address', p.address]);

  const dl = document.createElement('dl');
  for (const [field, label, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = t(label);
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.field = field;
    dl.append(dt, dd);
  }
  root.append(dl);

  const units = Array.isArray(p.unit_list) ? p.unit_list : [];
  if (units.length > 0) {
    const caption = document.createElement('div');
    caption.className = 'unit-list-title';
    caption.textContent = t('unit_list');
    const list = document.createElement('ul');
    list.className = 'unit-list';
    for (const u of units) {
      const li = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = t('unit_number', { n: cell(u.number) });
      const value = document.createElement('span');
      value.textContent = formatCount(u.households);
      li.append(label, value);
      list.append(li);
    }
    root.append(caption, list);
  }
  return root;
}

/**
 * Clicking a building opens a popup (class `building-popup`) with its details from
 * GET /api/v1/buildings/{id}; the pointer becomes a hand over buildings.
 */
export function enableBuildingPopups(map) {
  const layer = LAYER_IDS.buildingFill;
  const popup = new maplibregl.Popup({ className: 'building-popup', maxWidth: '320px', closeButton: true });
  let pending = null;

  popup.on('close', () => {
    pending?.abort();
    highlightBuilding(map, null);
  });

  map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });

  map.on('click', layer, async (e) => {
    const id = featureId(e.features?.[0]);
    if (missing(id)) return;

    pending?.abort();
    const controller = new AbortController();
    pending = controller;

    const loading = document.createElement('div');
    loading.className = 'building-card loading';
    loading.textContent = t('loading');
    popup.setLngLat(e.lngLat).setDOMContent(loading).addTo(map);
    highlightBuilding(map, id);

    try {
      const building = await getJson(`/api/v1/buildings/${encodeURIComponent(id)}`, { signal: controller.signal });
      if (pending !== controller) return;
      popup.setDOMContent(buildingPopupContent(building.properties ?? {}));
    } catch (err) {
      if (err.name === 'AbortError' || pending !== controller) return;
      const failed = document.createElement('div');
      failed.className = 'building-card error';
      failed.textContent = t('building_load_failed', { message: err.message });
      popup.setDOMContent(failed);
    }
  });
  return popup;
}
