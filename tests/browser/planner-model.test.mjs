// The grid planner's pure helpers (web/js/planner-model.js), in node: grid colours, tallies and
// their marks, violations in words, the lasso's point in polygon, selections, the bodies of the
// edit requests, undo/redo availability and shortcuts, plan labels and the diff.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { messages } from '../../web/js/i18n.js';
import {
  DEFAULT_BOUNDS, EditError, MARK_SYMBOLS, PLAN_LAYERS, addToSelection, canEdit, canRead,
  comparablePlans, decorateBuildings, decorateGrids, defaultPlan, detachedGrids, diffBuildingIds, diffChangeText,
  diffSummaryText, exportLinks, gridColor, gridLabelPoints, gridTitle, historyState, hslToHex,
  householdMark, indexBuildings, isEditable, lassoSelect, lockAllEdit, lockEdit, markLabel, mergeEdit, moveEdit,
  parcelsOf, planBounds, planOptionLabel, planStatusLabel, pruneSelection,
  publishViolations, renameEdit, selectionSummary, selectionText, shortcutAction,
  splitEdit, tallyLabel, toggleSelection, violationText, violationsByGrid,
} from '../../web/js/planner-model.js';

/** A rectangle building feature [w, s]–[e, n]. */
function box(id, w, s, e, n, properties = {}) {
  return {
    type: 'Feature',
    id,
    properties: { id, households: 10, grid: 1, parts: [], ...properties },
    geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] },
  };
}

const PLAN = {
  id: 7, community_id: 3, community: '关山社区', status: 'draft', version: 2, author: 'demo_planner',
  created_at: '2026-11-22T02:30:00Z', published_at: null,
  bounds: { min: 300, max: 700, target: 500 },
  feasible: true, explanation: null, moved_households: 0, households: 1563, unassigned_households: 12,
  grids: [
    { number: 1, code: '420111006001001', name: '第1网格', households: 512, buildings: 23, connected: true, status: 'within', locked: false },
    { number: 2, code: '420111006001002', name: '第2网格', households: 251, buildings: 9, connected: true, status: 'under', locked: false },
    { number: 3, code: '420111006001003', name: '', households: 800, buildings: 30, connected: false, status: 'over', locked: true },
  ],
  violations: [
    { grid: 2, code: '420111006001002', kind: 'under', message: '第2网格 has 251 households, below the minimum of 300' },
    { grid: 3, code: '420111006001003', kind: 'over', message: 'grid 3 has 800 households, above the maximum of 700' },
    { grid: 3, code: '420111006001003', kind: 'detached', message: 'grid 3 is in 2 pieces' },
    { grid: null, code: null, kind: 'unassigned', message: '12 households are in no grid' },
  ],
  can_undo: true,
  can_redo: false,
};

describe('planner messages', () => {
  test('every planner key has a Chinese and an English text', () => {
    for (const key of ['planner_page', 'planner_title', 'generate_grids', 'publish_plan', 'publish_force', 'undo', 'redo',
      'tool_lasso', 'find_detached', 'copy_plan', 'compare', 'export_csv', 'export_geojson', 'forbidden_planner']) {
      assert.ok(messages[key], key);
      assert.equal(messages[key].length, 2, key);
    }
  });
});

describe('roles and plans', () => {
  test('planners and administrators edit, leaders read, others neither', () => {
    assert.equal(canRead({ role: 'leader' }), true);
    assert.equal(canEdit({ role: 'leader' }), false);
    assert.equal(canEdit({ role: 'planner' }), true);
    assert.equal(canEdit({ role: 'admin' }), true);
    assert.equal(canRead({ role: 'inspector' }), false);
    assert.equal(canRead({ role: 'handler' }), false);
    assert.equal(canRead(null), false);
  });

  test('only drafts are editable', () => {
    const planner = { role: 'planner' };
    assert.equal(isEditable(PLAN, planner), true);
    assert.equal(isEditable({ ...PLAN, status: 'published' }, planner), false);
    assert.equal(isEditable({ ...PLAN, status: 'archived' }, planner), false);
    assert.equal(isEditable(PLAN, { role: 'leader' }), false);
    assert.equal(isEditable(null, planner), false);
  });

  test('plans read in Chinese in the picker', () => {
    assert.equal(planStatusLabel('draft'), '草稿');
    assert.equal(planStatusLabel('published'), '已发布');
    assert.equal(planStatusLabel('archived'), '已归档');
    assert.equal(planStatusLabel('odd'), 'odd');
    const label = planOptionLabel({ id: 9, version: 3, status: 'published', grid_count: 7, created_at: 'nope' });
    assert.equal(label, '第 3 版 · 已发布 · 7 个网格');
    assert.match(planOptionLabel({ ...PLAN }), /^第 2 版 · 草稿 · 3 个网格 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  });

  test('the newest draft opens first, then the published plan; a wanted plan wins', () => {
    const plans = [
      { id: 5, status: 'archived' }, { id: 4, status: 'draft' }, { id: 3, status: 'published' }, { id: 2, status: 'draft' },
    ];
    assert.equal(defaultPlan(plans).id, 4);
    assert.equal(defaultPlan(plans.filter((p) => p.status !== 'draft')).id, 3);
    assert.equal(defaultPlan([{ id: 1, status: 'archived' }]).id, 1);
    assert.equal(defaultPlan(plans, '2').id, 2);
    assert.equal(defaultPlan(plans, 99).id, 4);
    assert.equal(defaultPlan([]), null);
    assert.deepEqual(comparablePlans(plans, 4).map((p) => p.id), [3, 5, 2]);
  });

  test('export links name the plan', () => {
    assert.deepEqual(exportLinks(7), { csv: '/api/v1/plans/7/export.csv', geojson: '/api/v1/plans/7/grids' });
  });
});

describe('grid colours', () => {
  test('hslToHex converts the primaries', () => {
    assert.equal(hslToHex(0, 100, 50), '#ff0000');
    assert.equal(hslToHex(120, 100, 50), '#00ff00');
    assert.equal(hslToHex(240, 100, 50), '#0000ff');
    assert.equal(hslToHex(0, 0, 100), '#ffffff');
    assert.equal(hslToHex(360 + 240, 100, 50), '#0000ff');
  });

  test('are stable by number and distinct within a plan', () => {
    assert.equal(gridColor(3), gridColor(3));
    assert.equal(gridColor('3'), gridColor(3));
    const colours = Array.from({ length: 40 }, (_, i) => gridColor(i + 1));
    assert.equal(new Set(colours).size, 40, 'forty grids, forty colours');
    for (const c of colours) assert.match(c, /^#[0-9a-f]{6}$/);
    // Neighbouring numbers (often neighbouring grids: codes run west to east) are far apart.
    const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    for (let i = 1; i < colours.length; i += 1) {
      const [a, b] = [rgb(colours[i - 1]), rgb(colours[i])];
      const d = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
      assert.ok(d > 60, `grids ${i} and ${i + 1} differ enough (${colours[i - 1]} / ${colours[i]}: ${d.toFixed(0)})`);
    }
  });

  test('a building in no grid is grey', () => {
    assert.equal(gridColor(null), gridColor(undefined));
    assert.equal(gridColor(''), gridColor(null));
    assert.notEqual(gridColor(null), gridColor(1));
  });
});

describe('tallies', () => {
  test('marks households against the bounds, inclusive', () => {
    const bounds = { min: 300, max: 700 };
    assert.equal(householdMark(299, bounds), 'under');
    assert.equal(householdMark(300, bounds), 'within');
    assert.equal(householdMark(700, bounds), 'within');
    assert.equal(householdMark(701, bounds), 'over');
    assert.equal(householdMark(null, bounds), 'under');
    assert.equal(householdMark(450), 'within');
    assert.equal(householdMark(120, { min: 100, max: 200 }), 'within');
  });

  test('labels read 第N网格 N户 and a mark', () => {
    const bounds = planBounds(PLAN);
    const within = tallyLabel(PLAN.grids[0], bounds);
    assert.equal(within.text, '第1网格 512 户 ✓');
    assert.equal(within.mark, 'within');
    assert.equal(within.hint, '在 300–700 户之间');
    const under = tallyLabel(PLAN.grids[1], bounds);
    assert.equal(under.mark, 'under');
    assert.equal(under.symbol, MARK_SYMBOLS.under);
    assert.equal(under.hint, '低于下限 300 户');
    const over = tallyLabel({ number: 3, households: 1234 }, bounds);
    assert.equal(over.text, '第3网格 1,234 户 ↑');
    assert.equal(over.hint, '超过上限 700 户');
    assert.equal(tallyLabel({ number: 5, households: 650, status: 'over' }, bounds).mark, 'over', 'the service\'s status wins');
    assert.equal(tallyLabel({ number: 5, households: 650, status: '?' }, bounds).mark, 'within');
    assert.equal(markLabel('under'), '偏少');
    assert.equal(markLabel('within'), '适中');
    assert.equal(markLabel('over'), '偏多');
  });

  test('plans without bounds use 300, 700, 500', () => {
    assert.deepEqual(planBounds({}), DEFAULT_BOUNDS);
    assert.deepEqual(planBounds({ bounds: { min: 100 } }), { min: 100, max: 700, target: 500 });
  });

  test('a grid without a name is 第N网格', () => {
    assert.equal(gridTitle({ number: 4 }), '第4网格');
    assert.equal(gridTitle({ number: 4, name: '花园网格' }), '花园网格');
  });
});

describe('violations', () => {
  test('read in Chinese with the grid, its code and figures', () => {
    const [under, over, detached, unassigned] = PLAN.violations.map((v) => violationText(v, PLAN));
    assert.equal(under, '第2网格（420111006001002）：251 户，低于下限 300 户');
    assert.equal(over, '第3网格（420111006001003）：800 户，超过上限 700 户');
    assert.equal(detached, '第3网格（420111006001003）：分成了互不相连的几部分');
    assert.equal(unassigned, '12 户尚未划入任何网格');
  });

  test('an unknown kind shows the service\'s message', () => {
    assert.equal(violationText({ grid: 1, kind: 'crosses_estate', message: 'grid 1 cuts 花园小区' }, PLAN), 'grid 1 cuts 花园小区');
    assert.equal(violationText({ grid: 99, kind: 'under', message: 'grid 99 is small' }, PLAN), 'grid 99 is small');
  });

  test('are grouped by grid; detached grids are listed', () => {
    const byGrid = violationsByGrid(PLAN);
    assert.equal(byGrid.get(2).length, 1);
    assert.equal(byGrid.get(3).length, 2);
    assert.equal(byGrid.get(null).length, 1);
    assert.equal(byGrid.has(1), false);
    assert.deepEqual(detachedGrids(PLAN).map((g) => g.number), [3]);
    assert.deepEqual(detachedGrids({ grids: [] }), []);
  });

  test('a refused publish carries its violations in details', () => {
    assert.equal(publishViolations({ status: 422, details: { violations: PLAN.violations } }).length, 4);
    assert.deepEqual(publishViolations({ status: 409 }), []);
    assert.deepEqual(publishViolations(null), []);
  });
});

describe('lasso and labels', () => {
  test('the lasso selects the buildings whose centre it encloses', () => {
    const features = [
      box(1, 0, 0, 1, 1),       // centre 0.5, 0.5
      box(2, 2, 0, 3, 1),       // centre 2.5, 0.5
      box(3, 0, 2, 1, 3),       // centre 0.5, 2.5
      box(4, 1.8, 1.8, 4, 4),   // centre 2.9, 2.9: its corner is inside, its centre is not
    ];
    // A triangle over the lower left: buildings 1 and 2, not 3 or 4.
    const lasso = [[-1, -1], [6, -1], [-1, 2.2]];
    assert.deepEqual(lassoSelect(features, lasso), [1, 2]);
    // A concave lasso around 1 and 3 but not 2, given as a closed ring.
    const u = [[-1, -1], [1.5, -1], [1.5, 1.5], [0.8, 1.5], [0.8, 1.8], [1.5, 1.8], [1.5, 4], [-1, 4], [-1, -1]];
    assert.deepEqual(lassoSelect(features, u), [1, 3]);
    assert.deepEqual(lassoSelect(features, [[0, 0], [5, 5]]), [], 'two points are no lasso');
    assert.deepEqual(lassoSelect(features, null), []);
    assert.deepEqual(lassoSelect([{ properties: {}, geometry: null }], lasso), [], 'features without id or shape are skipped');
  });

  test('labels sit on a building of their grid, near its middle', () => {
    const buildings = [
      box(1, 0, 0, 1, 1, { grid: 1 }), box(2, 2, 0, 3, 1, { grid: 1 }), box(3, 4, 0, 5, 1, { grid: 1 }),
      box(4, 0, 5, 1, 6, { grid: 2 }),
      box(5, 9, 9, 10, 10, { grid: null }),
    ];
    const grids = [
      { properties: { number: 1 }, geometry: { type: 'Polygon', coordinates: [[[0, 0], [5, 0], [5, 1], [0, 1], [0, 0]]] } },
      { properties: { number: 9 }, geometry: { type: 'Polygon', coordinates: [[[20, 20], [22, 20], [22, 22], [20, 22], [20, 20]]] } },
    ];
    const points = gridLabelPoints(buildings, grids);
    assert.deepEqual(points.get(1), [2.5, 0.5], 'the middle building');
    assert.deepEqual(points.get(2), [0.5, 5.5]);
    assert.deepEqual(points.get(9), [21, 21], 'a grid without buildings: its polygon');
    assert.equal(points.size, 3);
  });
});

describe('map data', () => {
  test('buildings get their grid\'s colour and numeric ids', () => {
    const fc = decorateBuildings({
      type: 'FeatureCollection',
      features: [
        box('12', 0, 0, 1, 1, { id: '12', grid: 2 }),
        box(13, 0, 0, 1, 1, { grid: null }),
        box(14, 0, 0, 1, 1, { grid: 1, parts: [{ units: [1, 2], households: 40, grid: 1 }, { units: [3, 4], households: 40, grid: 3 }] }),
      ],
    });
    assert.deepEqual(fc.features.map((f) => f.properties.id), [12, 13, 14]);
    assert.deepEqual(fc.features.map((f) => f.id), [12, 13, 14]);
    assert.equal(fc.features[0].properties.color, gridColor(2));
    assert.equal(fc.features[1].properties.color, gridColor(null));
    assert.equal(fc.features[2].properties.split, true);
    assert.equal(fc.features[2].properties.multi_grid, true);
    assert.equal(fc.features[0].properties.split, false);
    assert.equal(decorateBuildings(null).features.length, 0);
  });

  test('grids get colours and an alert when they break a rule', () => {
    const fc = decorateGrids({
      type: 'FeatureCollection',
      features: [1, 2, 3].map((n) => ({ type: 'Feature', properties: { number: n, connected: n !== 3 }, geometry: null })),
    }, { ...PLAN, violations: PLAN.violations.filter((v) => v.grid === 2) });
    assert.deepEqual(fc.features.map((f) => f.properties.alert), [false, true, true]);
    assert.equal(fc.features[0].properties.color, gridColor(1));
  });

  test('the layer ids are distinct', () => {
    const ids = Object.values(PLAN_LAYERS);
    assert.equal(new Set(ids).size, ids.length);
  });
});

describe('selection', () => {
  const byId = indexBuildings(decorateBuildings({
    type: 'FeatureCollection',
    features: [
      box(1, 0, 0, 1, 1, { households: 40, grid: 1 }),
      box(2, 0, 0, 1, 1, { households: 60, grid: 2 }),
      box(3, 0, 0, 1, 1, { households: 80, grid: 2, parts: [{ units: [1, 2], households: 50, grid: 2 }, { units: [3, 3], households: 30, grid: 3 }] }),
    ],
  }));

  test('click toggles, the lasso adds, stale ids go', () => {
    let sel = new Set();
    sel = toggleSelection(sel, 1);
    sel = toggleSelection(sel, '2');
    assert.deepEqual([...sel], [1, 2]);
    sel = toggleSelection(sel, 1);
    assert.deepEqual([...sel], [2]);
    sel = addToSelection(sel, [2, 3, 9]);
    assert.deepEqual([...sel].sort(), [2, 3, 9]);
    assert.deepEqual([...pruneSelection(sel, byId)].sort(), [2, 3]);
  });

  test('sums households and names the grids it touches', () => {
    assert.deepEqual(selectionSummary(new Set([1, 3, 77]), byId), { count: 2, households: 120, grids: [1, 2, 3] });
    assert.deepEqual(selectionSummary(new Set(), byId), { count: 0, households: 0, grids: [] });
    assert.equal(selectionText(selectionSummary(new Set([1, 2]), byId), PLAN), '已选 2 栋楼，共 100 户（第1网格、第2网格）');
    assert.match(selectionText({ count: 0 }), /^未选择楼栋/);
  });
});

describe('edit requests', () => {
  const byId = indexBuildings(decorateBuildings({
    type: 'FeatureCollection',
    features: [box(5, 0, 0, 1, 1, { grid: 1 }), box(3, 0, 0, 1, 1, { grid: 1 }), box(8, 0, 0, 1, 1, { grid: 2 })],
  }));

  test('move: whole buildings by ascending id to a grid number', () => {
    assert.deepEqual(moveEdit(new Set([5, 3]), '2', byId), { op: 'move', parcels: [{ building: 3 }, { building: 5 }], to: 2 });
    assert.deepEqual(parcelsOf(new Set(['5', 5, 3])), [{ building: 3 }, { building: 5 }]);
    assert.throws(() => moveEdit(new Set(), 2), (err) => err instanceof EditError && err.message === '请先选择楼栋');
    assert.throws(() => moveEdit(new Set([5]), ''), /请选择目标网格/);
    assert.throws(() => moveEdit(new Set([5, 3]), 1, byId), /所选楼栋已在该网格中/);
    assert.deepEqual(moveEdit(new Set([5, 8]), 1, byId).to, 1, 'some of it moves');
  });

  test('split: the parcels of one grid', () => {
    assert.deepEqual(splitEdit(new Set([3, 5]), byId), { op: 'split', parcels: [{ building: 3 }, { building: 5 }] });
    assert.throws(() => splitEdit(new Set([3, 8]), byId), /同一网格/);
    assert.throws(() => splitEdit(new Set()), /请先选择楼栋/);
  });

  test('merge, lock, lock all, rename', () => {
    assert.deepEqual(mergeEdit('4', 7), { op: 'merge', grids: [4, 7] });
    assert.throws(() => mergeEdit(4, 4), /不能与自身合并/);
    assert.throws(() => mergeEdit('', 4), /请选择两个网格/);
    assert.deepEqual(lockEdit(4, true), { op: 'lock', grid: 4, locked: true });
    assert.deepEqual(lockEdit('4', 0), { op: 'lock', grid: 4, locked: false });
    assert.deepEqual(lockAllEdit(true), { op: 'lock', locked: true });
    assert.deepEqual(lockAllEdit(false), { op: 'lock', locked: false });
    assert.deepEqual(renameEdit(4, ' 花园网格 '), { op: 'rename', grid: 4, name: '花园网格' });
    assert.throws(() => renameEdit(4, ' '), /必填/);
  });
});

describe('undo and redo', () => {
  test('follow the plan, and nothing while read only or busy', () => {
    assert.deepEqual(historyState(PLAN), { undo: true, redo: false });
    assert.deepEqual(historyState({ ...PLAN, can_undo: false, can_redo: true }), { undo: false, redo: true });
    assert.deepEqual(historyState(PLAN, { busy: true }), { undo: false, redo: false });
    assert.deepEqual(historyState(PLAN, { editable: false }), { undo: false, redo: false });
    assert.deepEqual(historyState(null), { undo: false, redo: false });
  });

  test('Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo, Escape clears; not while typing', () => {
    const body = { tagName: 'BODY' };
    assert.equal(shortcutAction({ key: 'z', ctrlKey: true, target: body }), 'undo');
    assert.equal(shortcutAction({ key: 'Z', ctrlKey: true, shiftKey: true, target: body }), 'redo');
    assert.equal(shortcutAction({ key: 'z', metaKey: true, target: body }), 'undo');
    assert.equal(shortcutAction({ key: 'y', ctrlKey: true, target: body }), 'redo');
    assert.equal(shortcutAction({ key: 'z', target: body }), null);
    assert.equal(shortcutAction({ key: 'Escape', target: body }), 'clear');
    assert.equal(shortcutAction({ key: 'z', ctrlKey: true, target: { tagName: 'INPUT', type: 'number' } }), null);
    assert.equal(shortcutAction({ key: 'z', ctrlKey: true, target: { tagName: 'INPUT', type: 'checkbox' } }), 'undo');
    assert.equal(shortcutAction({ key: 'z', ctrlKey: true, target: { tagName: 'SELECT' } }), 'undo');
    assert.equal(shortcutAction({ key: 'z', ctrlKey: true, altKey: true, target: body }), null);
  });
});

describe('diff', () => {
  const diff = {
    changes: [
      { building: 12, source_id: 'b12', households: 40, from: '420111006001001', to: '420111006001002' },
      { building: '13', source_id: 'b13', households: 20, from: null, to: '420111006001002' },
    ],
    moved_households: 60,
  };

  test('names the changed buildings and sums them', () => {
    assert.deepEqual(diffBuildingIds(diff), [12, 13]);
    assert.equal(diffSummaryText(diff), '2 栋楼网格变更，共 60 户');
    assert.equal(diffSummaryText({ changes: [] }), '两个方案的楼栋划分相同');
    assert.equal(diffSummaryText({ changes: [{ households: 5 }, { households: 6 }] }), '2 栋楼网格变更，共 11 户');
    assert.equal(diffChangeText(diff.changes[0]), '420111006001001 → 420111006001002');
    assert.equal(diffChangeText(diff.changes[1]), '— → 420111006001002');
  });
});
