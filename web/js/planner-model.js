// What the grid planner page (planner.js) computes, as pure functions: grid colours, tally
// labels and their under/within/over mark, the plan's violations in words, lasso selection of
// buildings (point in polygon), the bodies of the edit requests, undo/redo availability and
// keyboard shortcuts, plan labels and the diff. No DOM, no MapLibre, no requests (the fast
// tests import this module in node).
//
// The API is described in docs/GRIDS.md: a Plan holds its grids (number, code, name,
// households, buildings, connected, status, locked) and violations; the map data are the
// GeoJSON of GET /api/v1/plans/{id}/grids and /api/v1/plans/{id}/buildings.

import { featureCentroid, normId, pointInRing } from './geometry.js';
import { formatCount, t } from './i18n.js';

/** Roles that may open the planner (leaders read only). */
export const READ_ROLES = Object.freeze(['planner', 'admin', 'leader']);

/** Roles that may change plans. */
export const EDIT_ROLES = Object.freeze(['planner', 'admin']);

/** The bounds of a plan when it does not say (docs/GRIDS.md: 300, 700, 500). */
export const DEFAULT_BOUNDS = Object.freeze({ min: 300, max: 700, target: 500 });

/** Plan states. */
export const PLAN_STATUSES = Object.freeze(['draft', 'published', 'archived']);

/** The marks of a grid's households against the bounds, and their symbols. */
export const MARKS = Object.freeze(['under', 'within', 'over']);
export const MARK_SYMBOLS = Object.freeze({ under: '↓', within: '✓', over: '↑' });

/** Ids of the planner's own map layers and sources (above the base style of map.js). */
export const PLAN_LAYERS = Object.freeze({
  gridsSource: 'plan-grids',
  buildingsSource: 'plan-buildings',
  lassoSource: 'plan-lasso',
  gridFill: 'plan-grids-fill',
  gridOutline: 'plan-grids-outline',
  gridAlert: 'plan-grids-alert',
  gridDetached: 'plan-grids-detached',
  buildingFill: 'plan-buildings-fill',
  buildingOutline: 'plan-buildings-outline',
  buildingSelectedFill: 'plan-buildings-selected-fill',
  buildingSelected: 'plan-buildings-selected',
  buildingChanged: 'plan-buildings-changed',
  lassoFill: 'plan-lasso-fill',
  lassoLine: 'plan-lasso-line',
});

export const PLANNER_COLORS = Object.freeze({
  unassigned: '#b8b8b8',
  selected: '#111111',
  changed: '#e4007f',
  alert: '#c0271d',
  lasso: '#1d4f80',
});

// ---------------------------------------------------------------------------------------------
// Roles and plans

/** May `user` open the planner? */
export function canRead(user) {
  return Boolean(user && READ_ROLES.includes(user.role));
}

/** May `user` change plans at all? */
export function canEdit(user) {
  return Boolean(user && EDIT_ROLES.includes(user.role));
}

/** May `user` edit `plan` now (a draft, and a role that edits)? */
export function isEditable(plan, user) {
  return canEdit(user) && plan?.status === 'draft';
}

/** The label of a plan state ("草稿"); an unknown state is shown as it is. */
export function planStatusLabel(status) {
  return PLAN_STATUSES.includes(status) ? t(`plan_status_${status}`) : String(status ?? '');
}

const pad = (n) => String(n).padStart(2, '0');

/** "YYYY-MM-DD HH:MM" in the browser's time zone; "" when it is not a time. */
export function shortDateTime(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** How a plan reads in the plan picker: "v2 · 草稿 · 7 个网格 · 2026-11-22 10:30". */
export function planOptionLabel(plan) {
  const parts = [t('plan_version', { n: plan?.version ?? plan?.id ?? '?' }), planStatusLabel(plan?.status)];
  const grids = plan?.grid_count ?? (Array.isArray(plan?.grids) ? plan.grids.length : null);
  if (grids !== null && grids !== undefined) parts.push(t('plan_grid_count', { n: grids }));
  const when = shortDateTime(plan?.published_at || plan?.created_at);
  if (when) parts.push(when);
  return parts.join(' · ');
}

/**
 * The plan to open when a community is picked, from its plans newest first: the newest draft,
 * else the published plan, else the newest; `wanted` (an id) wins when it is among them.
 */
export function defaultPlan(plans, wanted = null) {
  const list = Array.isArray(plans) ? plans : [];
  if (wanted !== null && wanted !== undefined) {
    const found = list.find((p) => String(p.id) === String(wanted));
    if (found) return found;
  }
  return list.find((p) => p.status === 'draft') ?? list.find((p) => p.status === 'published') ?? list[0] ?? null;
}

/** The other plans of the community a plan can be compared with, the published one first. */
export function comparablePlans(plans, currentId) {
  const others = (plans ?? []).filter((p) => String(p.id) !== String(currentId));
  const rank = (p) => (p.status === 'published' ? 0 : 1);
  return others.map((p, i) => ({ p, i })).sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i).map(({ p }) => p);
}

/** The export links of a plan: the equivalency CSV and the grid polygons (GeoJSON). */
export function exportLinks(planId) {
  const id = encodeURIComponent(planId);
  return { csv: `/api/v1/plans/${id}/export.csv`, geojson: `/api/v1/plans/${id}/grids` };
}

// ---------------------------------------------------------------------------------------------
// Colours

/** "#rrggbb" of a colour given as hue (degrees), saturation and lightness (0–100). */
export function hslToHex(h, s, l) {
  const hue = ((h % 360) + 360) % 360;
  const sat = Math.max(0, Math.min(100, s)) / 100;
  const lig = Math.max(0, Math.min(100, l)) / 100;
  const a = sat * Math.min(lig, 1 - lig);
  const channel = (n) => {
    const k = (n + hue / 30) % 12;
    const v = lig - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255).toString(16).padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

const GOLDEN_ANGLE = 137.508;
const LIGHTNESS = [46, 60, 38];

/**
 * The colour of grid `number`: hues a golden angle apart (neighbouring numbers far apart on
 * the colour wheel) and three lightness levels, so every grid of a plan looks different and a
 * grid keeps its colour while the plan is edited. No number (a building in no grid): grey.
 */
export function gridColor(number) {
  const n = Number(number);
  if (number === null || number === undefined || number === '' || !Number.isFinite(n)) return PLANNER_COLORS.unassigned;
  const i = Math.abs(Math.trunc(n));
  return hslToHex(20 + i * GOLDEN_ANGLE, 68, LIGHTNESS[i % LIGHTNESS.length]);
}

// ---------------------------------------------------------------------------------------------
// Tallies and violations

/** The plan's bounds, defaults filled in. */
export function planBounds(plan) {
  const b = plan?.bounds ?? {};
  const num = (v, d) => (Number.isFinite(Number(v)) && v !== null && v !== '' ? Number(v) : d);
  return { min: num(b.min, DEFAULT_BOUNDS.min), max: num(b.max, DEFAULT_BOUNDS.max), target: num(b.target, DEFAULT_BOUNDS.target) };
}

/** 'under', 'within' or 'over': households against the bounds (inclusive). */
export function householdMark(households, bounds = DEFAULT_BOUNDS) {
  const n = Number(households) || 0;
  const min = bounds?.min ?? DEFAULT_BOUNDS.min;
  const max = bounds?.max ?? DEFAULT_BOUNDS.max;
  if (n < min) return 'under';
  if (n > max) return 'over';
  return 'within';
}

/** The label of a mark ("偏少", "适中", "偏多"). */
export function markLabel(mark) {
  return MARKS.includes(mark) ? t(`mark_${mark}`) : String(mark ?? '');
}

/** A grid's title: its name, else 第N网格. */
export function gridTitle(grid) {
  if (grid?.name) return String(grid.name);
  return t('grid_number', { n: grid?.number ?? '?' });
}

/**
 * The tally label of a grid: `{ title, households, mark, symbol, text, hint }` where `text` is
 * "第1网格 512 户 ✓" and `hint` says the mark in words against the bounds ("低于下限 300 户").
 * The mark is the grid's `status` as the service says it, else worked out from the bounds.
 */
export function tallyLabel(grid, bounds = DEFAULT_BOUNDS) {
  const households = Number(grid?.households) || 0;
  const mark = MARKS.includes(grid?.status) ? grid.status : householdMark(households, bounds);
  const symbol = MARK_SYMBOLS[mark];
  const title = gridTitle(grid);
  const count = t('households_count', { n: formatCount(households) });
  let hint;
  if (mark === 'under') hint = t('mark_under_hint', { min: bounds.min ?? DEFAULT_BOUNDS.min });
  else if (mark === 'over') hint = t('mark_over_hint', { max: bounds.max ?? DEFAULT_BOUNDS.max });
  else hint = t('mark_within_hint', { min: bounds.min ?? DEFAULT_BOUNDS.min, max: bounds.max ?? DEFAULT_BOUNDS.max });
  return { title, households, count, mark, symbol, text: `${title} ${count} ${symbol}`, hint };
}

/** The grids of a plan by number. */
export function gridsByNumber(plan) {
  return new Map((plan?.grids ?? []).map((g) => [Number(g.number), g]));
}

/** The plan's violations in the page's language; the API's own message when the kind is new. */
export function violationText(violation, plan) {
  const v = violation ?? {};
  const grids = gridsByNumber(plan);
  const bounds = planBounds(plan);
  const grid = v.grid === null || v.grid === undefined ? null : grids.get(Number(v.grid));
  const name = grid ? gridTitle(grid) : (v.grid !== null && v.grid !== undefined ? t('grid_number', { n: v.grid }) : '');
  const code = v.code ?? grid?.code ?? null;
  const who = code ? `${name}（${code}）` : name;
  switch (v.kind) {
    case 'under':
      if (grid) return t('violation_under', { grid: who, n: formatCount(grid.households), min: bounds.min });
      break;
    case 'over':
      if (grid) return t('violation_over', { grid: who, n: formatCount(grid.households), max: bounds.max });
      break;
    case 'detached':
      if (name) return t('violation_detached', { grid: who });
      break;
    case 'unassigned':
      return t('violation_unassigned', { n: formatCount(plan?.unassigned_households ?? 0) });
    default:
      break;
  }
  return String(v.message ?? v.kind ?? '');
}

/** The violations of a plan by grid number (violations of no grid under `null`). */
export function violationsByGrid(plan) {
  const out = new Map();
  for (const v of plan?.violations ?? []) {
    const key = v.grid === null || v.grid === undefined ? null : Number(v.grid);
    if (!out.has(key)) out.set(key, []);
    out.get(key).push(v);
  }
  return out;
}

/** The grids whose buildings are not all connected (status connected = false), by number. */
export function detachedGrids(plan) {
  return (plan?.grids ?? []).filter((g) => g.connected === false).sort((a, b) => a.number - b.number);
}

/** The violations of a refused publish (422): `details.violations` of the API's error. */
export function publishViolations(error) {
  const v = error?.details?.violations;
  return Array.isArray(v) ? v : [];
}

// ---------------------------------------------------------------------------------------------
// Lasso and labels (geometry.js holds the shapes' arithmetic)

/**
 * The ids of the building features whose representative point (featureCentroid) lies inside
 * the lasso, a ring of [lon, lat] drawn by the user (closed or not). Fewer than 3 points: none.
 */
export function lassoSelect(features, lasso) {
  const ring = (lasso ?? []).filter((p) => Array.isArray(p) && p.length >= 2 && p.every(Number.isFinite));
  if (ring.length < 3) return [];
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of ring) {
    w = Math.min(w, x); e = Math.max(e, x);
    s = Math.min(s, y); n = Math.max(n, y);
  }
  const ids = [];
  for (const f of features ?? []) {
    const id = f?.properties?.id ?? f?.id;
    if (id === null || id === undefined) continue;
    const c = featureCentroid(f);
    if (!c || c[0] < w || c[0] > e || c[1] < s || c[1] > n) continue;
    if (pointInRing(c, ring)) ids.push(id);
  }
  return ids;
}

/**
 * Where to put each grid's tally label: the centroid of its buildings' centroids, moved onto the
 * nearest of its buildings (so the label sits inside the grid even when the grid is bent); for a
 * grid without buildings, the centroid of its polygon. Returns Map number → [lon, lat].
 */
export function gridLabelPoints(buildingFeatures, gridFeatures = []) {
  const byGrid = new Map();
  for (const f of buildingFeatures ?? []) {
    const g = f?.properties?.grid;
    if (g === null || g === undefined) continue;
    const c = featureCentroid(f);
    if (!c) continue;
    const key = Number(g);
    if (!byGrid.has(key)) byGrid.set(key, []);
    byGrid.get(key).push(c);
  }
  const out = new Map();
  for (const [number, points] of byGrid) {
    const mean = [points.reduce((s, p) => s + p[0], 0) / points.length, points.reduce((s, p) => s + p[1], 0) / points.length];
    let best = points[0];
    let bestD = Infinity;
    for (const p of points) {
      const d = (p[0] - mean[0]) ** 2 + (p[1] - mean[1]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = p;
      }
    }
    out.set(number, best);
  }
  for (const f of gridFeatures ?? []) {
    const number = Number(f?.properties?.number);
    if (!Number.isFinite(number) || out.has(number)) continue;
    const c = featureCentroid(f);
    if (c) out.set(number, c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Map data

/**
 * The buildings of GET /plans/{id}/buildings for the map: each feature keeps its properties and
 * gets `color` (its grid's colour), `split` (its households are in more than one part) and a
 * numeric feature `id` (for filters and feature state).
 */
export function decorateBuildings(collection) {
  const features = (collection?.features ?? []).map((f) => {
    const p = f.properties ?? {};
    const id = normId(p.id ?? f.id);
    const parts = Array.isArray(p.parts) ? p.parts : [];
    const grids = new Set(parts.map((part) => part.grid).filter((g) => g !== null && g !== undefined));
    return {
      type: 'Feature',
      id: Number.isFinite(Number(id)) ? Number(id) : undefined,
      properties: { ...p, id, color: gridColor(p.grid), split: parts.length > 0, multi_grid: grids.size > 1 },
      geometry: f.geometry,
    };
  });
  return { type: 'FeatureCollection', features };
}

/** The grids of GET /plans/{id}/grids for the map, with `color` and `alert` (a violation). */
export function decorateGrids(collection, plan = null) {
  const violations = violationsByGrid(plan);
  const features = (collection?.features ?? []).map((f) => {
    const p = f.properties ?? {};
    const number = Number(p.number);
    return {
      type: 'Feature',
      id: Number.isFinite(number) ? number : undefined,
      properties: { ...p, color: gridColor(p.number), alert: violations.has(number) || p.connected === false },
      geometry: f.geometry,
    };
  });
  return { type: 'FeatureCollection', features };
}

/** The building features by id (ids compared as numbers when they are numbers). */
export function indexBuildings(collection) {
  return new Map((collection?.features ?? []).map((f) => [normId(f.properties?.id ?? f.id), f]));
}

// ---------------------------------------------------------------------------------------------
// Selection

/** The selection with `id` added, or removed when it was in (a new Set). */
export function toggleSelection(selection, id) {
  const next = new Set(selection);
  const key = normId(id);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}

/** The selection with `ids` added (a new Set). */
export function addToSelection(selection, ids) {
  const next = new Set(selection);
  for (const id of ids ?? []) next.add(normId(id));
  return next;
}

/** The selection without ids that are no longer buildings of the plan (a new Set). */
export function pruneSelection(selection, buildingsById) {
  return new Set([...selection].filter((id) => buildingsById.has(id)));
}

/**
 * What the selection holds: `{ count, households, grids }`, `grids` the sorted numbers of the
 * grids its buildings are in (a split building counts each part's grid).
 */
export function selectionSummary(selection, buildingsById) {
  let households = 0;
  const grids = new Set();
  let count = 0;
  for (const id of selection ?? []) {
    const f = buildingsById.get(normId(id));
    if (!f) continue;
    count += 1;
    const p = f.properties ?? {};
    households += Number(p.households) || 0;
    const parts = Array.isArray(p.parts) ? p.parts : [];
    if (parts.length) for (const part of parts) { if (part.grid !== null && part.grid !== undefined) grids.add(Number(part.grid)); }
    else if (p.grid !== null && p.grid !== undefined) grids.add(Number(p.grid));
  }
  return { count, households, grids: [...grids].sort((a, b) => a - b) };
}

/** The selection in words: "已选 3 栋楼，共 120 户（第1网格、第2网格）". */
export function selectionText(summary, plan = null) {
  if (!summary?.count) return t('selection_none');
  const grids = gridsByNumber(plan);
  const names = summary.grids.map((n) => gridTitle(grids.get(n) ?? { number: n }));
  const text = t('selection_text', { n: formatCount(summary.count), households: formatCount(summary.households) });
  return names.length ? `${text}（${names.join('、')}）` : text;
}

// ---------------------------------------------------------------------------------------------
// Edits (bodies of POST /api/v1/plans/{id}/edits)

/** An edit the page refuses before asking the service; `message` is fit to show. */
export class EditError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EditError';
  }
}

/** The parcels of selected buildings: whole buildings, by ascending id. */
export function parcelsOf(selection) {
  const ids = [...new Set([...(selection ?? [])].map(normId))];
  ids.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
  return ids.map((building) => ({ building }));
}

function gridNumber(value) {
  const n = Number(value);
  if (value === null || value === undefined || value === '' || !Number.isInteger(n)) return null;
  return n;
}

/** {"op": "move", "parcels", "to"}; refuses an empty selection, no target, or nothing that would move. */
export function moveEdit(selection, to, buildingsById = null) {
  const parcels = parcelsOf(selection);
  if (parcels.length === 0) throw new EditError(t('edit_select_first'));
  const target = gridNumber(to);
  if (target === null) throw new EditError(t('edit_choose_target'));
  if (buildingsById) {
    const summary = selectionSummary(selection, buildingsById);
    if (summary.grids.length > 0 && summary.grids.every((g) => g === target)) throw new EditError(t('edit_already_there'));
  }
  return { op: 'move', parcels, to: target };
}

/** {"op": "split", "parcels"}; the buildings must all be in one grid (when known). */
export function splitEdit(selection, buildingsById = null) {
  const parcels = parcelsOf(selection);
  if (parcels.length === 0) throw new EditError(t('edit_select_first'));
  if (buildingsById) {
    const summary = selectionSummary(selection, buildingsById);
    if (summary.grids.length > 1) throw new EditError(t('edit_split_one_grid'));
  }
  return { op: 'split', parcels };
}

/** {"op": "merge", "grids": [into, from]}: grid `from` joins grid `into`. */
export function mergeEdit(into, from) {
  const a = gridNumber(into);
  const b = gridNumber(from);
  if (a === null || b === null) throw new EditError(t('edit_choose_two'));
  if (a === b) throw new EditError(t('edit_merge_same'));
  return { op: 'merge', grids: [a, b] };
}

/** {"op": "lock", "grid", "locked"}. */
export function lockEdit(grid, locked) {
  const n = gridNumber(grid);
  if (n === null) throw new EditError(t('edit_choose_target'));
  return { op: 'lock', grid: n, locked: Boolean(locked) };
}

/** {"op": "lock", "locked"}: every grid of the plan. */
export function lockAllEdit(locked) {
  return { op: 'lock', locked: Boolean(locked) };
}

/** {"op": "rename", "grid", "name"}. */
export function renameEdit(grid, name) {
  const n = gridNumber(grid);
  const text = String(name ?? '').trim();
  if (n === null) throw new EditError(t('edit_choose_target'));
  if (!text) throw new EditError(t('required'));
  return { op: 'rename', grid: n, name: text };
}

// ---------------------------------------------------------------------------------------------
// Undo, redo and keys

/**
 * Which of 撤销 / 重做 can be pressed: the plan says whether there is something to undo or redo;
 * nothing can while the plan is not editable or a request is under way.
 */
export function historyState(plan, { editable = true, busy = false } = {}) {
  const ok = Boolean(plan) && editable && !busy;
  return { undo: ok && plan.can_undo === true, redo: ok && plan.can_redo === true };
}

/**
 * The planner's action for a key press (`{ key, ctrlKey, metaKey, shiftKey, altKey, target }`):
 * 'undo' (Ctrl+Z), 'redo' (Ctrl+Shift+Z, Ctrl+Y), 'clear' (Escape), or null. Keys typed into
 * a text field are the field's.
 */
export function shortcutAction(event) {
  const target = event?.target;
  const tag = String(target?.tagName ?? '').toUpperCase();
  const typing = tag === 'TEXTAREA' || target?.isContentEditable
    || (tag === 'INPUT' && !['checkbox', 'radio', 'button', 'submit'].includes(String(target?.type ?? 'text').toLowerCase()));
  const key = String(event?.key ?? '').toLowerCase();
  if (key === 'escape') return typing ? null : 'clear';
  if (typing || event?.altKey) return null;
  const mod = Boolean(event?.ctrlKey || event?.metaKey);
  if (!mod) return null;
  if (key === 'z') return event.shiftKey ? 'redo' : 'undo';
  if (key === 'y' && !event.shiftKey) return 'redo';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Diff

/** The buildings whose grid changed between two plans (ids, as the page keeps them). */
export function diffBuildingIds(diff) {
  return (diff?.changes ?? []).map((c) => normId(c.building));
}

/** A diff in words: "12 栋楼变更网格，共 640 户". */
export function diffSummaryText(diff) {
  const changes = diff?.changes ?? [];
  if (changes.length === 0) return t('diff_none');
  const households = diff?.moved_households ?? changes.reduce((s, c) => s + (Number(c.households) || 0), 0);
  return t('diff_summary', { n: formatCount(changes.length), households: formatCount(households) });
}

/** One change in words: "from → to" with the grid codes (— for none). */
export function diffChangeText(change) {
  const code = (c) => (c === null || c === undefined || c === '' ? t('missing') : String(c));
  return `${code(change?.from)} → ${code(change?.to)}`;
}
