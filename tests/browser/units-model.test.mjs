// The responsible-units page's pure helpers (web/js/units-model.js), in node: roles, a grid's
// coverage and its team by role, building leaders and coverage, the people picker, the bodies
// of the assignment, zone and category requests, refusals and routing answers in words, and
// what a click on the map hit.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ApiError } from '../../web/js/api.js';
import { messages } from '../../web/js/i18n.js';
import {
  BUILDING_ROLES, FormError, GRID_ROLES, UNIT_LAYERS, alreadyAssignedText, assignmentBody, buildingCovered,
  buildingTeam, buildingTitle, canEdit, canRead, categoryChange, categoryGroups, categoryName, clickTarget,
  coverageCounts, deadlineLabel, decorateGrids, draftFeatures, drawnPolygon, filterPeople, formatArea, gridCoverage,
  gridTitle, holderOf, idList, organisationKindLabel, percent, personBody, personLabel, reasonLabel, rolesText,
  routingPath, routingSummary, teamByRole, teamRoleLabel, tierLabel, unadoptedFeatures, unitChoices, unitLabel,
  zoneBody, zoneExtentText, zoneFeatures,
} from '../../web/js/units-model.js';

const member = (role, name, assignment, extra = {}) => ({ assignment, role, person_id: assignment + 100, name, phone: `1390000${String(assignment).padStart(4, '0')}`, ...extra });
const FULL_TEAM = [
  member('supervisor', '周伟', 1), member('grid_leader', '王芳', 2), member('grid_worker', '李娜', 3),
  member('grid_worker', '张敏', 4), member('branch_secretary', '陈静', 5),
];

const throwsField = (fn, field) => assert.throws(fn, (err) => err instanceof FormError && err.field === field, `refused on ${field}`);

describe('roles', () => {
  test('admins change, planners and leaders read, others may not open the page', () => {
    assert.deepEqual(['admin', 'planner', 'leader', 'inspector', 'handler'].map((role) => canRead({ role })), [true, true, true, false, false]);
    assert.deepEqual(['admin', 'planner', 'leader'].map((role) => canEdit({ role })), [true, false, false]);
    assert.equal(canRead(null), false);
  });

  test('team roles and organisation kinds have Chinese labels', () => {
    assert.deepEqual(GRID_ROLES.map(teamRoleLabel), ['督导员', '网格长', '网格员', '网格党支部书记']);
    assert.deepEqual(BUILDING_ROLES.map(teamRoleLabel), ['楼栋长', '楼栋党小组长']);
    assert.equal(teamRoleLabel('mayor'), 'mayor');
    assert.equal(organisationKindLabel('partner_unit'), '共建单位');
    assert.equal(organisationKindLabel('guild'), 'guild');
    assert.equal(rolesText(['grid_leader', 'grid_worker']), '网格长、网格员');
    assert.equal(rolesText([]), '—');
  });
});

describe('grids and teams', () => {
  test('a grid without a grid leader is a gap; without a worker, secretary or supervisor it is short-handed', () => {
    assert.equal(gridCoverage({ team: FULL_TEAM }), 'complete');
    assert.equal(gridCoverage({ team: FULL_TEAM.filter((m) => m.role !== 'grid_leader') }), 'gap');
    assert.equal(gridCoverage({ team: FULL_TEAM.filter((m) => m.role !== 'branch_secretary') }), 'partial');
    assert.equal(gridCoverage({ team: [] }), 'gap');
    assert.equal(gridCoverage({}), 'gap');
  });

  test('decorated grids carry numeric ids, their coverage and the gap flag', () => {
    const fc = decorateGrids({
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', id: 7, properties: { id: 7, code: '420111006002001', name: '第1网格', team: FULL_TEAM, grid_leader: '王芳' }, geometry: null },
        { type: 'Feature', id: '8', properties: { id: '8', code: '420111006002002', name: '', team: [], grid_leader: null }, geometry: null },
      ],
    });
    assert.deepEqual(fc.features.map((f) => f.id), [7, 8]);
    assert.deepEqual(fc.features.map((f) => [f.properties.coverage, f.properties.gap]), [['complete', false], ['gap', true]]);
    assert.equal(gridTitle(fc.features[1].properties), '420111006002002', 'a grid without a name goes by its code');
    assert.deepEqual(decorateGrids(null).features, []);
  });

  test('the team by role lists single roles nobody holds as vacant', () => {
    const team = FULL_TEAM.filter((m) => m.role !== 'grid_leader');
    const groups = teamByRole(team);
    assert.deepEqual(groups.map((g) => [g.role, g.members.length, g.vacant]), [
      ['supervisor', 1, false], ['grid_leader', 0, true], ['grid_worker', 2, false], ['branch_secretary', 1, false],
    ]);
    assert.equal(groups[1].label, '网格长');
    assert.equal(teamByRole([], GRID_ROLES).find((g) => g.role === 'grid_worker').vacant, false, 'workers are many, never "vacant"');
    assert.equal(holderOf(FULL_TEAM, 'grid_leader').name, '王芳');
    assert.equal(holderOf(team, 'grid_leader'), null);
  });
});

describe('buildings', () => {
  const assignments = [
    { id: 31, person_id: 9, person: '刘洋', phone: '13900000031', role: 'party_group_leader', unit: null, valid_to: null },
    { id: 32, person_id: 8, person: '赵强', phone: '13900000032', role: 'building_leader', unit: 2, valid_to: null },
    { id: 33, person_id: 7, person: '孙磊', phone: '13900000033', role: 'building_leader', unit: 1, valid_to: null },
    { id: 30, person_id: 6, person: '吴军', phone: '13900000030', role: 'building_leader', unit: null, valid_to: '2026-11-01T00:00:00Z' },
  ];

  test('its current leaders, building leaders first and by unit', () => {
    const team = buildingTeam(assignments);
    assert.deepEqual(team.map((m) => [m.assignment, m.role, m.unit]), [[33, 'building_leader', 1], [32, 'building_leader', 2], [31, 'party_group_leader', null]]);
    assert.equal(team[0].name, '孙磊');
  });

  test('covered by a whole-building leader or one per unit', () => {
    const team = buildingTeam(assignments);
    assert.equal(buildingCovered({ households: 80, units: 2 }, team), true, 'both units led');
    assert.equal(buildingCovered({ households: 80, units: 3 }, team), false, 'unit 3 has nobody');
    assert.equal(buildingCovered({ households: 80, units: 3 }, [{ role: 'building_leader', unit: null }]), true);
    assert.equal(buildingCovered({ households: 80, units: 0 }, []), false);
    assert.equal(buildingCovered({ households: 0, units: 2 }, []), true, 'no households, no leader needed');
    assert.equal(buildingCovered({ households: 40, units: 1 }, [{ role: 'party_group_leader', unit: null }]), false);
  });

  test('units and titles', () => {
    assert.deepEqual(unitChoices(2), [{ value: '', label: '整栋' }, { value: '1', label: '单元 1' }, { value: '2', label: '单元 2' }]);
    assert.deepEqual(unitChoices(null), [{ value: '', label: '整栋' }]);
    assert.equal(unitLabel(null), '整栋');
    assert.equal(buildingTitle({ id: 12, name: '3号楼' }), '3号楼');
    assert.equal(buildingTitle({ id: 12, name: null }), '楼栋 #12');
  });
});

describe('people and assignments', () => {
  const people = [
    { id: 1, name: '王伟', phone: '13900010001' },
    { id: 2, name: '李娜', phone: '13900010002' },
    { id: 3, name: '王芳', phone: '13812345678' },
  ];

  test('the picker finds people by part of a name or phone, sorted by name', () => {
    assert.deepEqual(filterPeople(people, '王').map((p) => p.id).sort(), [1, 3]);
    assert.deepEqual(filterPeople(people, '1381234').map((p) => p.id), [3]);
    assert.deepEqual(filterPeople(people, '+86 138-1234-5678').map((p) => p.id), [3], '+86, spaces and dashes are dropped');
    assert.equal(filterPeople(people, '').length, 3);
    assert.equal(filterPeople(people, '', 2).length, 2);
    assert.deepEqual(filterPeople(people, '赵'), []);
    assert.equal(personLabel(people[0]), '王伟 13900010001');
  });

  test('registering a person needs a name and a phone', () => {
    assert.deepEqual(personBody('4', { name: ' 王伟 ', phone: ' 139 0001 0001 ' }), { district: 4, name: '王伟', phone: '139 0001 0001' });
    throwsField(() => personBody(4, { name: '', phone: '13900010001' }), 'name');
    throwsField(() => personBody(4, { name: '王伟', phone: ' ' }), 'phone');
  });

  test('assignment bodies: a grid role on a grid, a building role on a building (or a unit), replacing', () => {
    assert.deepEqual(assignmentBody({ person: '5', role: 'grid_leader', post: { grid: 7 } }), { person: 5, role: 'grid_leader', grid: 7 });
    assert.deepEqual(assignmentBody({ person: 5, role: 'grid_leader', post: { grid: 7 }, replaces: '11' }),
      { person: 5, role: 'grid_leader', grid: 7, replaces: 11 });
    assert.deepEqual(assignmentBody({ person: 5, role: 'building_leader', post: { building: 90 }, unit: '2' }),
      { person: 5, role: 'building_leader', building: 90, unit: 2 });
    assert.deepEqual(assignmentBody({ person: 5, role: 'party_group_leader', post: { building: 90 }, unit: '' }),
      { person: 5, role: 'party_group_leader', building: 90 });
    throwsField(() => assignmentBody({ person: '', role: 'grid_leader', post: { grid: 7 } }), 'person');
    throwsField(() => assignmentBody({ person: 5, role: 'building_leader', post: { grid: 7 } }), 'role');
    throwsField(() => assignmentBody({ person: 5, role: 'mayor', post: { grid: 7 } }), 'role');
  });

  test('a second grid leader is explained naming who holds the post', () => {
    const err = new ApiError('grid 420111006002001 already has a grid_leader: 王芳 (assignment 2)', { status: 409, code: 'already_assigned' });
    assert.equal(alreadyAssignedText(err, { role: 'grid_leader', team: FULL_TEAM }), '该岗位已有网格长：王芳。请先结束其任职，或点“更换”');
    assert.equal(alreadyAssignedText(err, { role: 'grid_leader', team: [] }), null, 'the holder unknown here: the generic text');
    assert.equal(alreadyAssignedText(new ApiError('x', { status: 422, code: 'invalid_phone' }), { role: 'grid_leader', team: FULL_TEAM }), null);
    for (const code of ['invalid_phone', 'already_assigned', 'duplicate_phone', 'outside_district', 'invalid_geometry', 'grid_ended']) {
      assert.ok(messages[`units_refused_${code}`], `${code} has a Chinese text`);
    }
  });
});

describe('coverage', () => {
  const coverage = {
    grids: 6, buildings: 120,
    grids_without_leader: [{ id: 9, code: 'c', name: '第6网格', households: 400, adopted_share: 0 }],
    buildings_without_leader: [{ id: 1 }, { id: '2' }, { id: 3 }],
    unadopted_grids: [{ id: 8 }, { id: 9 }],
    unadopted_area: { type: 'MultiPolygon', coordinates: [] },
    unsettled: [],
  };

  test('counts every kind of gap', () => {
    assert.deepEqual(coverageCounts(coverage), { grids: 6, gridGaps: 1, buildings: 120, buildingGaps: 3, unadopted: 2, unsettled: 0 });
    assert.deepEqual(coverageCounts(null), { grids: 0, gridGaps: 0, buildings: 0, buildingGaps: 0, unadopted: 0, unsettled: 0 });
    assert.deepEqual(idList(coverage.buildings_without_leader), [1, 2, 3]);
  });

  test('the unadopted ground is a feature when there is some', () => {
    assert.equal(unadoptedFeatures(coverage).features.length, 1);
    assert.deepEqual(unadoptedFeatures({ unadopted_area: null }).features, []);
  });

  test('shares and areas read as people read them', () => {
    assert.equal(percent(0.426), '43%');
    assert.equal(formatArea(850.4), '850 平方米');
    assert.equal(formatArea(12_345), '1.2 公顷');
  });
});

describe('zones', () => {
  const square = [[114.4, 30.5], [114.401, 30.5], [114.401, 30.501]];

  test('clicked points make a closed polygon from three on', () => {
    assert.equal(drawnPolygon(square.slice(0, 2)), null);
    assert.deepEqual(drawnPolygon(square), { type: 'Polygon', coordinates: [[...square, square[0]]] });
    const open = draftFeatures(square, false);
    assert.deepEqual(open.features.map((f) => f.geometry.type), ['Point', 'Point', 'Point', 'LineString', 'Polygon']);
    assert.equal(open.features[3].geometry.coordinates.length, 3, 'an open line');
    assert.equal(draftFeatures(square, true).features[3].geometry.coordinates.length, 4, 'a closed line');
    assert.deepEqual(draftFeatures([], false).features, []);
  });

  test('a zone is a unit, a name and either ticked grids or a drawn area', () => {
    assert.deepEqual(zoneBody({ organisation: '4', name: ' 交通局片区 ', mode: 'grids', grids: new Set([12, 10, 12]) }),
      { organisation: 4, name: '交通局片区', grids: [10, 12] });
    assert.deepEqual(zoneBody({ organisation: 4, name: '校园', mode: 'draw', points: square }),
      { organisation: 4, name: '校园', area: drawnPolygon(square) });
    throwsField(() => zoneBody({ organisation: '', name: 'x', mode: 'grids', grids: [1] }), 'organisation');
    throwsField(() => zoneBody({ organisation: 4, name: ' ', mode: 'grids', grids: [1] }), 'name');
    throwsField(() => zoneBody({ organisation: 4, name: 'x', mode: 'grids', grids: [] }), 'grids');
    throwsField(() => zoneBody({ organisation: 4, name: 'x', mode: 'draw', points: square.slice(0, 2) }), 'area');
  });

  test('zones on the map and in words', () => {
    const zones = [
      { id: 3, name: '交通局包保片区', organisation: '区交通运输局', area: { type: 'MultiPolygon', coordinates: [] }, area_m2: 52_000, grids: [{ id: 1, code: 'A1', ended: false }, { id: 2, code: 'A2', ended: true }] },
      { id: 4, name: '空', organisation: 'x', area: null, area_m2: 0, grids: [{ id: 5, code: 'B', ended: true }] },
      { id: 5, name: '校园周边责任区', organisation: '光谷第一小学', area: { type: 'Polygon', coordinates: [] }, area_m2: 900, grids: [] },
    ];
    assert.deepEqual(zoneFeatures(zones).features.map((f) => f.id), [3, 5], 'a zone whose grids all ended has no area');
    assert.equal(zoneExtentText(zones[0]), '网格 A1、A2（已停用） · 5.2 公顷');
    assert.equal(zoneExtentText(zones[2]), '绘制范围 · 900 平方米');
  });
});

describe('categories and routing', () => {
  const categories = [
    { code: 'facilities', parent: null, name: '设施', name_en: 'facilities', tier: null, deadline: null },
    { code: 'facilities.street_light', parent: 'facilities', name: '路灯损坏', name_en: 'broken street light', tier: 4, deadline: { unit: 'working_days', amount: 3 } },
    { code: 'facilities.manhole_cover', parent: 'facilities', name: '井盖缺失', name_en: 'missing manhole cover', tier: 4, deadline: { unit: 'working_hours', amount: 4 } },
    { code: 'sanitation', parent: null, name: '环境卫生', name_en: 'sanitation', tier: null, deadline: null },
    { code: 'sanitation.dead_spot', parent: 'sanitation', name: '卫生死角', name_en: 'hygiene dead spot', tier: 1, deadline: { unit: 'same_day' } },
  ];
  const organisations = [
    { id: 1, kind: 'department', name: '区市政设施管理处', categories: ['facilities.street_light'] },
    { id: 2, kind: 'partner_unit', name: '区交通运输局', categories: [] },
  ];

  test('tier-4 categories name their department or are marked unhandled', () => {
    const groups = categoryGroups(categories, organisations);
    assert.deepEqual(groups.map((g) => g.group.code), ['facilities', 'sanitation']);
    const rows = Object.fromEntries(groups.flatMap((g) => g.rows).map((r) => [r.code, r]));
    assert.deepEqual(rows['facilities.street_light'].handlers.map((o) => o.name), ['区市政设施管理处']);
    assert.equal(rows['facilities.street_light'].unhandled, false);
    assert.equal(rows['facilities.manhole_cover'].unhandled, true, '井盖缺失 is nobody\'s');
    assert.equal(rows['sanitation.dead_spot'].unhandled, false, 'a tier-1 category needs no department');
    assert.equal(categoryName(categories[2]), '井盖缺失');
  });

  test('tiers and deadlines in words', () => {
    assert.deepEqual([1, 2, 3, 4].map(tierLabel), ['1 · 社区/小区', '2 · 街道', '3 · 共建单位', '4 · 职能部门']);
    assert.equal(tierLabel(null), '—');
    assert.equal(deadlineLabel({ unit: 'same_day' }), '当日办结');
    assert.equal(deadlineLabel({ unit: 'working_hours', amount: 4 }), '4 个工作小时');
    assert.equal(deadlineLabel({ unit: 'working_days', amount: 3 }), '3 个工作日');
    assert.equal(deadlineLabel(null), '—');
  });

  test('a category change sends what changed, nothing when nothing did', () => {
    const light = categories[1];
    assert.equal(categoryChange(light, { tier: '4', unit: 'working_days', amount: '3' }), null);
    assert.deepEqual(categoryChange(light, { tier: '2', unit: 'working_days', amount: '3' }), { tier: 2 });
    assert.deepEqual(categoryChange(light, { tier: '4', unit: 'same_day', amount: '3' }), { deadline: { unit: 'same_day' } });
    assert.deepEqual(categoryChange(light, { tier: '3', unit: 'working_hours', amount: '8' }), { tier: 3, deadline: { unit: 'working_hours', amount: 8 } });
    throwsField(() => categoryChange(light, { tier: '5', unit: 'same_day' }), 'tier');
    throwsField(() => categoryChange(light, { tier: '4', unit: 'working_days', amount: '0' }), 'deadline');
    throwsField(() => categoryChange(light, { tier: '4', unit: 'fortnights', amount: '1' }), 'deadline');
  });

  test('a routing answer in words, with its fallback and unhandled marks', () => {
    assert.equal(routingPath([114.4, 30.5], 'facilities.manhole_cover'), '/api/v1/routing?lon=114.4&lat=30.5&category=facilities.manhole_cover');
    const fallback = routingSummary({
      organisation: { id: 1, name: '关山街道办事处', kind: 'district_office' }, person: { id: 2, name: '周伟', phone: '13900010001' },
      reason: 'no_department', fallback: true, unhandled: true,
    });
    assert.deepEqual(fallback, {
      organisation: '关山街道办事处（街道办事处）', person: '周伟 13900010001',
      reason: '没有职能部门负责该类别，由街道兜底', marks: ['unhandled', 'fallback'],
    });
    const nobody = routingSummary({ organisation: null, person: null, reason: 'no_office', fallback: false, unhandled: true });
    assert.deepEqual(nobody.marks, ['unhandled', 'nobody']);
    assert.equal(nobody.organisation, '无');
    assert.equal(reasonLabel('zone'), '位于共建单位责任区内，由该单位负责');
    assert.equal(reasonLabel('something_new'), 'something_new');
    for (const reason of ['estate_management', 'community_committee', 'district_office', 'zone', 'department', 'no_committee', 'no_zone', 'no_department', 'no_office']) {
      assert.ok(messages[`route_reason_${reason}`], `${reason} has a text`);
    }
  });
});

describe('the map', () => {
  const layers = { buildingLayer: 'buildings-fill', gridLayer: UNIT_LAYERS.gridFill };

  test('a click selects the building under the pointer, else the grid', () => {
    const building = { id: 55, properties: {}, layer: { id: 'buildings-fill' } };
    const grid = { id: 7, properties: { id: 7 }, layer: { id: UNIT_LAYERS.gridFill } };
    assert.deepEqual(clickTarget([building, grid], layers), { kind: 'building', id: 55 });
    assert.deepEqual(clickTarget([grid], layers), { kind: 'grid', id: 7 });
    assert.equal(clickTarget([{ id: 1, properties: {}, layer: { id: 'roads-line' } }], layers), null);
    assert.equal(clickTarget([], layers), null);
  });
});
