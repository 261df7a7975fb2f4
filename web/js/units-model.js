// What the responsible-units page (units.js) computes, as pure functions: who may read and
// change, a grid's coverage (complete team, short-handed, no grid leader), the team by role with
// its vacancies, a building's leaders and whether it counts as covered, the people picker's
// search, the bodies of the assignment, zone and category requests (refused here when they
// cannot be right), a drawn polygon, the API's refusals in words, routing answers in words, and
// what a click on the map hit. No DOM, no MapLibre, no requests (node tests import it).
//
// The API is docs/UNITS.md: grids of GET /api/v1/communities/{id}/grids carry their `team`;
// GET /api/v1/communities/{id}/coverage lists the gaps; zones, organisations, people and
// categories are per sub-district or city-wide.

import { normId } from './geometry.js';
import { formatCount, lang, t } from './i18n.js';

/** Roles that may open the page; only administrators change anything (docs/UNITS.md). */
export const READ_ROLES = Object.freeze(['admin', 'planner', 'leader']);
export const EDIT_ROLES = Object.freeze(['admin']);

/** The roles on a grid and on a building, in the order the team is listed. */
export const GRID_ROLES = Object.freeze(['supervisor', 'grid_leader', 'grid_worker', 'branch_secretary']);
export const BUILDING_ROLES = Object.freeze(['building_leader', 'party_group_leader']);

/** Roles one person holds at a time on a post: a second one is refused (409 already_assigned). */
export const SINGLE_ROLES = Object.freeze(['grid_leader', 'branch_secretary', 'building_leader', 'party_group_leader']);

/** Roles a grid is short-handed without (the grid leader's absence is a gap of its own). */
const CORE_GRID_ROLES = Object.freeze(['supervisor', 'grid_worker', 'branch_secretary']);


/** Ids of the page's own map layers and sources (above the base style of map.js). */
export const UNIT_LAYERS = Object.freeze({
  gridsSource: 'units-grids',
  zonesSource: 'units-zones',
  unadoptedSource: 'units-unadopted',
  draftSource: 'units-draft',
  routeSource: 'units-route',
  gridFill: 'units-grids-fill',
  gridOutline: 'units-grids-outline',
  gridGap: 'units-grids-gap',
  gridTicked: 'units-grids-ticked',
  gridSelected: 'units-grids-selected',
  buildingGapFill: 'units-buildings-gap-fill',
  buildingGapOutline: 'units-buildings-gap-outline',
  zoneFill: 'units-zones-fill',
  zoneOutline: 'units-zones-outline',
  zoneSelected: 'units-zones-selected',
  unadoptedFill: 'units-unadopted-fill',
  unadoptedOutline: 'units-unadopted-outline',
  draftFill: 'units-draft-fill',
  draftLine: 'units-draft-line',
  draftPoints: 'units-draft-points',
  routePoint: 'units-route-point',
});

export const UNIT_COLORS = Object.freeze({
  complete: '#2f8a4a',
  partial: '#d99a1e',
  gap: '#c0271d',
  building: '#d8d3c8',
  selected: '#111111',
  ticked: '#1d4f80',
  zone: '#7b3fa0',
  unadopted: '#6d6457',
  draft: '#1d4f80',
  route: '#e4007f',
});

/** The tabs of the side panel. */
export const TABS = Object.freeze(['team', 'coverage', 'zones', 'rules']);

export function canRead(user) {
  return Boolean(user && READ_ROLES.includes(user.role));
}

export function canEdit(user) {
  return Boolean(user && EDIT_ROLES.includes(user.role));
}

/** A team role's label ("网格长"); an unknown role as it is. */
export function teamRoleLabel(role) {
  return [...GRID_ROLES, ...BUILDING_ROLES].includes(role) ? t(`team_role_${role}`) : String(role ?? '');
}

/** An organisation kind's label ("共建单位"). */
export function organisationKindLabel(kind) {
  const key = `org_kind_${kind}`;
  const text = t(key);
  return text === key ? String(kind ?? '') : text;
}

// ---------------------------------------------------------------------------------------------
// Grids and their teams

/** 'gap' (no grid leader), 'partial' (a supervisor, grid worker or branch secretary missing) or 'complete'. */
export function gridCoverage(properties) {
  const team = Array.isArray(properties?.team) ? properties.team : [];
  const roles = new Set(team.map((m) => m.role));
  if (!roles.has('grid_leader')) return 'gap';
  return CORE_GRID_ROLES.every((r) => roles.has(r)) ? 'complete' : 'partial';
}

/** A grid's title: its name, else its code. */
export function gridTitle(grid) {
  return String(grid?.name || grid?.code || t('missing'));
}

/**
 * The grids of GET /communities/{id}/grids for the map: numeric feature ids and, in the
 * properties, `coverage` (see gridCoverage) and `gap` (no grid leader).
 */
export function decorateGrids(collection) {
  const features = (collection?.features ?? []).map((f) => {
    const p = f.properties ?? {};
    const id = normId(p.id ?? f.id);
    const coverage = gridCoverage(p);
    return { type: 'Feature', id, properties: { ...p, id, coverage, gap: coverage === 'gap' }, geometry: f.geometry };
  });
  return { type: 'FeatureCollection', features };
}

/**
 * A post's team by role, in `roles` order: `[{ role, label, members, vacant }]`, `vacant` for a
 * single role (grid leader, branch secretary, building leader, …) nobody holds.
 */
export function teamByRole(team, roles = GRID_ROLES) {
  const members = Array.isArray(team) ? team : [];
  return roles.map((role) => {
    const holders = members.filter((m) => m.role === role);
    return { role, label: teamRoleLabel(role), members: holders, vacant: holders.length === 0 && SINGLE_ROLES.includes(role) };
  });
}

/** The holder of a single role on a post (a team member or an assignment), or null. */
export function holderOf(team, role, unit = null) {
  return (team ?? []).find((m) => m.role === role && (m.unit ?? null) === (unit ?? null)) ?? null;
}

// ---------------------------------------------------------------------------------------------
// Buildings

/** "整栋" or "3 单元". */
export function unitLabel(unit) {
  return unit === null || unit === undefined ? t('whole_building') : t('unit_number', { n: unit });
}

/** The choices of the unit picker: the whole building, then each unit. */
export function unitChoices(units) {
  const n = Math.max(0, Math.trunc(Number(units) || 0));
  return [{ value: '', label: unitLabel(null) }, ...Array.from({ length: n }, (_, i) => ({ value: String(i + 1), label: unitLabel(i + 1) }))];
}

/**
 * A building's current leaders from its assignments, in role then unit order, as team members
 * ({ assignment, role, unit, person_id, name, phone }).
 */
export function buildingTeam(assignments) {
  const rank = (role) => BUILDING_ROLES.indexOf(role);
  return (assignments ?? [])
    .filter((a) => BUILDING_ROLES.includes(a.role) && !a.valid_to)
    .map((a) => ({ assignment: a.id, role: a.role, unit: a.unit ?? null, person_id: a.person_id, name: a.person, phone: a.phone }))
    .sort((a, b) => rank(a.role) - rank(b.role) || (a.unit ?? 0) - (b.unit ?? 0));
}

/**
 * Does the building count as covered (docs/UNITS.md): a building leader for the whole building,
 * or one for each of its units? A building without households needs none.
 */
export function buildingCovered(building, team) {
  if (!(Number(building?.households) > 0)) return true;
  const leaders = (team ?? []).filter((m) => m.role === 'building_leader');
  if (leaders.some((m) => m.unit === null || m.unit === undefined)) return true;
  return new Set(leaders.map((m) => m.unit)).size >= Math.max(Number(building?.units) || 0, 1);
}

/** A building's title: its name, else 楼栋 #id. */
export function buildingTitle(building) {
  return building?.name ? String(building.name) : t('building_number', { id: building?.id ?? '?' });
}

// ---------------------------------------------------------------------------------------------
// People and assignments

/** "王伟 13900010001". */
export function personLabel(person) {
  return `${person?.name ?? ''} ${person?.phone ?? ''}`.trim();
}

/**
 * The people matching `query` (part of a name, or digits of a phone; blank matches everyone),
 * by name, at most `limit`.
 */
export function filterPeople(people, query = '', limit = 50) {
  const q = String(query ?? '').trim().toLowerCase();
  const digits = q.replace(/[\s-]/g, '');
  const hits = (people ?? []).filter((p) => !q
    || String(p.name ?? '').toLowerCase().includes(q)
    || (/^\+?\d+$/.test(digits) && String(p.phone ?? '').includes(digits.replace(/^\+?86(?=\d{11}$)/, ''))));
  hits.sort((a, b) => String(a.name).localeCompare(String(b.name), 'zh-CN') || String(a.phone).localeCompare(String(b.phone)));
  return hits.slice(0, limit);
}

/** A form the page refuses before asking the service; `field` names the input, `message` is fit to show. */
export class FormError extends Error {
  constructor(field, key) {
    super(t(key));
    this.name = 'FormError';
    this.field = field;
  }
}

/** The body of POST /api/v1/people for a person registered in the assign form. */
export function personBody(district, { name, phone }) {
  const n = String(name ?? '').trim();
  const p = String(phone ?? '').trim();
  if (!n) throw new FormError('name', 'required');
  if (!p) throw new FormError('phone', 'required');
  return { district: Number(district), name: n, phone: p };
}

/**
 * The body of POST /api/v1/assignments: `post` is `{ grid }` or `{ building }`; `unit` ("" for the
 * whole building) only on a building; `replaces` the assignment it ends.
 */
export function assignmentBody({ person, role, post, unit = '', replaces = null }) {
  if (person === null || person === undefined || person === '') throw new FormError('person', 'choose_person');
  const onBuilding = BUILDING_ROLES.includes(role);
  if (!onBuilding && !GRID_ROLES.includes(role)) throw new FormError('role', 'choose_team_role');
  const body = { person: Number(person), role };
  if (onBuilding) {
    if (post?.building === undefined || post?.building === null) throw new FormError('role', 'choose_team_role');
    body.building = Number(post.building);
    if (unit !== '' && unit !== null && unit !== undefined) body.unit = Number(unit);
  } else {
    if (post?.grid === undefined || post?.grid === null) throw new FormError('role', 'choose_team_role');
    body.grid = Number(post.grid);
  }
  if (replaces !== null && replaces !== undefined) body.replaces = Number(replaces);
  return body;
}

/** The prefix of the page's messages for the API's refusals ("units_refused_invalid_phone"). */
export const REFUSAL_PREFIX = 'units_refused_';

/**
 * A 409 `already_assigned` in words naming who holds the post now, from the post's team (the
 * service's own message names them too, in English); null for any other error.
 */
export function alreadyAssignedText(err, { role, unit = null, team = [] }) {
  if (err?.code !== 'already_assigned') return null;
  const holder = holderOf(team, role, unit);
  if (!holder) return null;
  return t('units_refused_already_assigned_holder', { role: teamRoleLabel(role), name: holder.name });
}

// ---------------------------------------------------------------------------------------------
// Coverage and workload

/** The figures of a coverage answer: `{ grids, gridGaps, buildings, buildingGaps, unadopted, unsettled }`. */
export function coverageCounts(coverage) {
  const n = (list) => (Array.isArray(list) ? list.length : 0);
  return {
    grids: Number(coverage?.grids) || 0,
    gridGaps: n(coverage?.grids_without_leader),
    buildings: Number(coverage?.buildings) || 0,
    buildingGaps: n(coverage?.buildings_without_leader),
    unadopted: n(coverage?.unadopted_grids),
    unsettled: n(coverage?.unsettled),
  };
}

/** The unadopted ground of a coverage answer as a FeatureCollection (empty when all is adopted). */
export function unadoptedFeatures(coverage) {
  const geometry = coverage?.unadopted_area;
  return { type: 'FeatureCollection', features: geometry ? [{ type: 'Feature', properties: {}, geometry }] : [] };
}

/** A person's roles in words: "网格长、网格员". */
export function rolesText(roles) {
  return (roles ?? []).map(teamRoleLabel).join('、') || t('missing');
}

/** "42%" of a share 0–1. */
export function percent(share) {
  return `${Math.round((Number(share) || 0) * 100)}%`;
}

/** An area in square metres as people read it: "850 平方米", "1.2 公顷". */
export function formatArea(m2) {
  const a = Number(m2) || 0;
  if (a >= 10_000) return t('area_hectares', { n: new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(a / 10_000) });
  return t('area_m2', { n: formatCount(Math.round(a)) });
}

// ---------------------------------------------------------------------------------------------
// Zones

/** A polygon ring of the clicked points, closed; null under three points. */
export function drawnPolygon(points) {
  const pts = (points ?? []).filter((p) => Array.isArray(p) && p.length >= 2 && p.every(Number.isFinite));
  if (pts.length < 3) return null;
  return { type: 'Polygon', coordinates: [[...pts.map((p) => [p[0], p[1]]), [pts[0][0], pts[0][1]]]] };
}

/** What the drawing shows on the map: its points, the line through them, the polygon once closed (or 3 points). */
export function draftFeatures(points, closed = false) {
  const pts = points ?? [];
  const features = pts.map((p, i) => ({ type: 'Feature', properties: { index: i }, geometry: { type: 'Point', coordinates: p } }));
  if (pts.length >= 2) {
    const line = closed && pts.length >= 3 ? [...pts, pts[0]] : pts;
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: line } });
  }
  const polygon = drawnPolygon(pts);
  if (polygon) features.push({ type: 'Feature', properties: { closed }, geometry: polygon });
  return { type: 'FeatureCollection', features };
}

/**
 * The body of POST /api/v1/zones: a co-building unit, a name, and either the ticked grids
 * (`mode` "grids") or the drawn polygon (`mode` "draw").
 */
export function zoneBody({ organisation, name, mode, grids = [], points = [] }) {
  if (organisation === null || organisation === undefined || organisation === '') throw new FormError('organisation', 'choose_partner_unit');
  const n = String(name ?? '').trim();
  if (!n) throw new FormError('name', 'required');
  const body = { organisation: Number(organisation), name: n };
  if (mode === 'grids') {
    const ids = [...new Set([...(grids ?? [])].map(Number))];
    if (ids.length === 0) throw new FormError('grids', 'zone_tick_grids');
    body.grids = ids.sort((a, b) => a - b);
  } else {
    const area = drawnPolygon(points);
    if (!area) throw new FormError('area', 'zone_draw_points');
    body.area = area;
  }
  return body;
}

/** The zones with an area now as a FeatureCollection (feature id = zone id). */
export function zoneFeatures(zones) {
  return {
    type: 'FeatureCollection',
    features: (zones ?? []).filter((z) => z.area).map((z) => ({
      type: 'Feature', id: Number(z.id), properties: { id: Number(z.id), name: z.name, organisation: z.organisation }, geometry: z.area,
    })),
  };
}

/** What a zone covers in words: its grid codes, or 绘制范围; with its area. */
export function zoneExtentText(zone) {
  const grids = zone?.grids ?? [];
  const what = grids.length
    ? t('zone_grids', { codes: grids.map((g) => (g.ended ? `${g.code}（${t('grid_ended')}）` : g.code)).join('、') })
    : t('zone_drawn');
  return `${what} · ${formatArea(zone?.area_m2)}`;
}

// ---------------------------------------------------------------------------------------------
// Categories and routing

/** A category's name in the page's language. */
export function categoryName(category) {
  return lang === 'en' ? String(category?.name_en || category?.name || category?.code || '') : String(category?.name || category?.code || '');
}

/** "1 · 社区/小区". */
export function tierLabel(tier) {
  return [1, 2, 3, 4].includes(Number(tier)) ? t(`tier_${Number(tier)}`) : t('missing');
}

export const DEADLINE_UNITS = Object.freeze(['same_day', 'working_hours', 'working_days']);

/** "当日办结", "4 个工作小时", "3 个工作日". */
export function deadlineLabel(deadline) {
  if (!deadline || !DEADLINE_UNITS.includes(deadline.unit)) return t('missing');
  return t(`deadline_${deadline.unit}`, { n: deadline.amount ?? '' });
}

/** The department handling each sub-category: Map code → [organisation]. */
export function categoryHandlers(organisations) {
  const out = new Map();
  for (const o of organisations ?? []) {
    if (o.kind !== 'department') continue;
    for (const code of o.categories ?? []) {
      if (!out.has(code)) out.set(code, []);
      out.get(code).push(o);
    }
  }
  return out;
}

/**
 * The categories as groups of rows: `[{ group, rows: [{ code, category, handlers, unhandled }] }]`,
 * `unhandled` for a tier-4 sub-category no department handles.
 */
export function categoryGroups(categories, organisations) {
  const handlers = categoryHandlers(organisations);
  const groups = [];
  const byCode = new Map();
  for (const c of categories ?? []) {
    if (!c.parent) {
      const group = { group: c, rows: [] };
      groups.push(group);
      byCode.set(c.code, group);
    }
  }
  for (const c of categories ?? []) {
    if (!c.parent) continue;
    const found = handlers.get(c.code) ?? [];
    let group = byCode.get(c.parent);
    if (!group) {
      group = { group: { code: c.parent, name: c.parent, name_en: c.parent }, rows: [] };
      groups.push(group);
      byCode.set(c.parent, group);
    }
    group.rows.push({ code: c.code, category: c, handlers: found, unhandled: Number(c.tier) === 4 && found.length === 0 });
  }
  return groups;
}

/**
 * The body of PATCH /api/v1/categories/{code} for what changed in a row (`tier` 1–4, deadline
 * `unit` and `amount`), or null when nothing did.
 */
export function categoryChange(category, { tier, unit, amount }) {
  const body = {};
  const newTier = Number(tier);
  if (!Number.isInteger(newTier) || newTier < 1 || newTier > 4) throw new FormError('tier', 'units_refused_invalid_tier');
  if (newTier !== Number(category?.tier)) body.tier = newTier;
  if (!DEADLINE_UNITS.includes(unit)) throw new FormError('deadline', 'units_refused_invalid_deadline');
  let deadline = { unit };
  if (unit !== 'same_day') {
    const n = Number(amount);
    if (!Number.isInteger(n) || n < 1 || n > 365) throw new FormError('deadline', 'units_refused_invalid_deadline');
    deadline = { unit, amount: n };
  }
  const old = category?.deadline ?? {};
  if (old.unit !== deadline.unit || (old.amount ?? null) !== (deadline.amount ?? null)) body.deadline = deadline;
  return Object.keys(body).length ? body : null;
}

/** The URL of GET /api/v1/routing for a point and a category. */
export function routingPath([lon, lat], category) {
  const q = new URLSearchParams({ lon: String(lon), lat: String(lat), category });
  return `/api/v1/routing?${q}`;
}

/** Why routing chose whom, in words ("无职能部门负责该类别，由街道兜底"). */
export function reasonLabel(reason) {
  const key = `route_reason_${reason}`;
  const text = t(key);
  return text === key ? String(reason ?? '') : text;
}

/**
 * A routing answer in words: `{ organisation, person, reason, marks }`, `marks` the flags to
 * show in red or amber (`fallback` 属地兜底, `unhandled` 无人负责, `nobody` 无人可派).
 */
export function routingSummary(routing) {
  const org = routing?.organisation;
  const person = routing?.person;
  const marks = [];
  if (routing?.unhandled) marks.push('unhandled');
  if (routing?.fallback) marks.push('fallback');
  if (!org) marks.push('nobody');
  return {
    organisation: org ? `${org.name}（${organisationKindLabel(org.kind)}）` : t('nobody'),
    person: person ? personLabel(person) : t('missing'),
    reason: reasonLabel(routing?.reason),
    marks,
  };
}

// ---------------------------------------------------------------------------------------------
// The map

/**
 * What a click hit, from the features under the pointer top first: the building (a tile
 * feature of `buildingLayer`) when one is there, else the grid (of `gridLayer`), else null.
 * `{ kind: 'building' | 'grid', id }`.
 */
export function clickTarget(features, { buildingLayer, gridLayer }) {
  const list = features ?? [];
  const id = (f) => normId(f?.properties?.id ?? f?.id);
  const building = list.find((f) => f?.layer?.id === buildingLayer && (f.properties?.id ?? f.id) !== undefined);
  if (building) return { kind: 'building', id: id(building) };
  const grid = list.find((f) => f?.layer?.id === gridLayer);
  return grid ? { kind: 'grid', id: id(grid) } : null;
}

/** The features' ids as numbers, for a map filter. */
export function idList(items) {
  return (items ?? []).map((item) => normId(item?.id ?? item)).filter((id) => typeof id === 'number');
}
