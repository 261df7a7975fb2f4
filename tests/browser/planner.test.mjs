// The grid planner (web/planner.html) against the real service with its default demo, in
// headless Chromium with no network beyond the local service. demo_planner (whose area is the
// first demo community) picks the community, generates grids, sees the grids and their
// tallies, clicks a building and moves it to another grid through the side panel (both tallies
// change by its households, as the API says), undoes and redoes it (buttons and Ctrl+Z /
// Ctrl+Shift+Z), locks a grid (and is told why the next move is refused), splits and merges,
// lassoes buildings, publishes (through the violations, when there are any),
// copies the published plan to a new draft, changes it and compares the two; demo_leader sees
// the plans read only; demo_inspector gets no link to the planner and is refused by it.
//
// Run from the repo root after `cargo build`:  node --test tests/browser/
// Leaves screenshots in tests/browser/artifacts/ (planner-generated.png, planner-moved.png,
// planner-lasso.png, planner-publish.png, planner-published.png, planner-compare.png,
// planner-leader.png, planner-forbidden.png).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PLAN_LAYERS, householdMark, lassoSelect, planBounds } from '../../web/js/planner-model.js';
import { apiCall, apiGet, apiSignIn, signInForm, submitSignIn } from './accounts.mjs';
import { launchBrowser, openOfflinePage, unexpectedConsoleErrors, closeSuite, waitForMapIdle as waitForMapIdleOf } from './browser.mjs';
import { startServer, withServerLogsOnFailure } from './server.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const formatCount = (n) => new Intl.NumberFormat('zh-CN').format(n);

let server;
let browser;
let session;
let plannerToken;
let community;
let planId;         // the generated draft, later published
let draftId;        // its copy
let moved;          // { building, households, from, to }

const api = (pathname) => apiGet(server, plannerToken, pathname);

/** The tallies the page shows: { number: households } from the grid table. */
async function tableTallies(page) {
  return page.locator('#grid-rows tr').evaluateAll((rows) => Object.fromEntries(rows.map((row) => [
    row.dataset.gridNumber, Number(row.querySelector('td.households').dataset.households),
  ])));
}

const apiTallies = (plan) => Object.fromEntries(plan.grids.map((g) => [String(g.number), g.households]));

/** Waits until nothing is under way and the panel and the map show the same plan. */
async function waitForIdle(page) {
  await page.waitForFunction(() => document.body.dataset.busy === 'false', null, { timeout: 120_000, polling: 100 });
}

/** Runs `action` (a click) and waits for the page to redraw the plan and reload its map data. */
async function planRedrawn(page, action) {
  const before = await page.evaluate(() => ({
    plan: Number(document.body.dataset.planRendered ?? 0), map: Number(document.body.dataset.mapDataLoaded ?? 0),
  }));
  await action();
  await page.waitForFunction((b) => Number(document.body.dataset.planRendered ?? 0) > b.plan
    && Number(document.body.dataset.mapDataLoaded ?? 0) > b.map && document.body.dataset.busy === 'false',
  before, { timeout: 120_000, polling: 100 });
  const error = page.locator('#planner-error');
  if (await error.isVisible()) assert.fail(`the page shows an error: ${await error.textContent()}`);
}

const waitForMapIdle = (page) => waitForMapIdleOf(page, 'plannerMap');

/** Centres the map on a building and returns a page pixel where that building is on top. */
async function pixelOfBuilding(page, building) {
  const ring = building.geometry.type === 'Polygon' ? building.geometry.coordinates[0] : building.geometry.coordinates[0][0];
  const pts = ring.slice(0, -1);
  const centre = [pts.reduce((a, p) => a + p[0], 0) / pts.length, pts.reduce((a, p) => a + p[1], 0) / pts.length];
  await page.evaluate((c) => window.plannerMap.jumpTo({ center: c, zoom: 17.5 }), centre);
  await waitForMapIdle(page);
  return page.evaluate(({ layer, id }) => {
    const map = window.plannerMap;
    const canvas = map.getCanvas().getBoundingClientRect();
    const cx = canvas.width / 2;
    const cy = canvas.height / 2;
    for (let r = 0; r <= 60; r += 3) {
      for (let a = 0; a < 360; a += r === 0 ? 360 : 30) {
        const x = cx + r * Math.cos((a * Math.PI) / 180);
        const y = cy + r * Math.sin((a * Math.PI) / 180);
        const top = map.queryRenderedFeatures([x, y])[0];
        if (top && top.layer.id === layer && String(top.properties.id) === String(id)) return { x: canvas.left + x, y: canvas.top + y };
      }
    }
    return null;
  }, { layer: PLAN_LAYERS.buildingFill, id: building.properties.id });
}

async function signOut(page) {
  const reloaded = page.waitForEvent('load', { timeout: 30_000 });
  await page.getByRole('button', { name: '退出' }).click();
  await reloaded;
  await signInForm(page);
}

async function waitForPlannerReady(page) {
  await page.waitForSelector('body[data-planner-ready="true"], body[data-planner-error]', { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.plannerError ?? null), null, 'the page loaded its data');
  await waitForIdle(page);
}

describe('grid planner page', { timeout: 900_000 }, () => {
  before(async () => {
    server = await startServer();
    await mkdir(artifacts, { recursive: true });
    plannerToken = (await apiSignIn(server, server.accounts.planner)).token;
    [community] = (await api('/api/v1/communities')).communities;
    browser = await launchBrowser();
    session = await openOfflinePage(browser, server.url, { viewport: { width: 1440, height: 900 } });
  });

  after(() => closeSuite({ session, browser, server }));

  test('a planner picks the community, generates grids and sees them with their tallies', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await page.goto(`${server.url}/planner.html`);
    await submitSignIn(page, server.accounts.planner);
    await waitForPlannerReady(page);
    assert.equal((await page.locator('#user-name').textContent()).trim(), 'demo_planner');
    assert.equal(await page.title(), '网格 · 网格规划');
    assert.ok(await page.locator('#map-link').isVisible(), 'a link back to the map');
    assert.ok(await page.locator('#admin-link').isHidden(), 'no 系统管理 link for a planner');

    const picker = page.getByLabel('社区', { exact: true });
    assert.ok((await picker.locator('option').allTextContents()).some((text) => text.includes(community.name)),
      `the picker offers ${community.name}`);
    await picker.selectOption(String(community.id));
    await waitForIdle(page);
    assert.deepEqual((await api(`/api/v1/communities/${community.id}/plans`)).plans, [], 'no plan before generating');

    await planRedrawn(page, () => page.getByRole('button', { name: '生成网格' }).click());
    planId = Number(await page.evaluate(() => document.body.dataset.planId));
    const plans = (await api(`/api/v1/communities/${community.id}/plans`)).plans;
    assert.equal(plans.length, 1, 'generating made one plan');
    assert.equal(plans[0].id, planId, 'the page opened it');
    assert.equal(plans[0].status, 'draft');

    const plan = await api(`/api/v1/plans/${planId}`);
    assert.ok(plan.grids.length >= 2, `the community has several grids (${plan.grids.length})`);
    assert.match(await page.locator('#plan-status').textContent(), /草稿/);
    assert.deepEqual(await tableTallies(page), apiTallies(plan), 'the grid table shows the API\'s tallies');
    const bounds = planBounds(plan);
    for (const g of plan.grids) {
      const row = page.locator(`#grid-rows tr[data-grid-number="${g.number}"]`);
      assert.equal((await row.locator('td.households').textContent()).trim(), formatCount(g.households));
      assert.equal(await row.getAttribute('data-mark'), householdMark(g.households, bounds), `grid ${g.number}'s mark`);
      assert.equal(await row.getAttribute('data-mark'), g.status, `grid ${g.number}'s mark is the API's status`);
      assert.ok((await row.textContent()).includes(g.code), `grid ${g.number} shows its code ${g.code}`);
    }
    // A tally label on the map per grid with buildings.
    const labels = await page.locator('.grid-label').evaluateAll((nodes) => nodes.map((n) => ({
      number: n.dataset.gridNumber, mark: n.dataset.mark, text: n.textContent,
    })));
    const withBuildings = plan.grids.filter((g) => g.buildings > 0);
    assert.equal(labels.length, withBuildings.length, 'one label per grid');
    for (const g of withBuildings) {
      const label = labels.find((l) => l.number === String(g.number));
      assert.ok(label, `grid ${g.number} has a label`);
      assert.ok(label.text.includes(`${formatCount(g.households)} 户`), `label of grid ${g.number}: ${label.text}`);
      assert.equal(label.mark, g.status);
    }
    // Violations, in red, one per violation of the plan.
    const violations = page.locator('#violation-list li.violation');
    assert.equal(await violations.count(), plan.violations.length, 'every violation is listed');
    if (plan.violations.length === 0) assert.ok(await page.locator('#violation-list .violations-ok').isVisible());
    // Buildings are drawn in their grid's colour from the plan's GeoJSON.
    await waitForMapIdle(page);
    const drawn = await page.evaluate((layer) => window.plannerMap.queryRenderedFeatures({ layers: [layer] }).length, PLAN_LAYERS.buildingFill);
    assert.ok(drawn > 0, 'the plan\'s buildings are on the map');
    assert.ok(await page.locator('#undo').isDisabled(), 'nothing to undo yet');
    const exportCsv = page.getByRole('link', { name: '导出 CSV' });
    assert.equal(await exportCsv.getAttribute('href'), `/api/v1/plans/${planId}/export.csv`);
    assert.equal(await page.getByRole('link', { name: '导出 GeoJSON' }).getAttribute('href'), `/api/v1/plans/${planId}/grids`);
    const csv = await apiCall(server, plannerToken, `/api/v1/plans/${planId}/export.csv`);
    assert.equal(csv.status, 200, 'the CSV export answers');
    await page.screenshot({ path: path.join(artifacts, 'planner-generated.png') });
  }));

  test('clicking a building and moving it to another grid changes both tallies by its households; undo and redo', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const plan = await api(`/api/v1/plans/${planId}`);
    const grids = new Map(plan.grids.map((g) => [g.number, g]));
    const buildings = (await api(`/api/v1/plans/${planId}/buildings`)).features;
    const centre = (f) => {
      const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      return [ring.reduce((a, p) => a + p[0], 0) / ring.length, ring.reduce((a, p) => a + p[1], 0) / ring.length];
    };
    // Whole buildings with households in a grid of several buildings (a move may not empty a grid).
    const candidates = buildings.filter((f) => f.properties.households > 0 && f.properties.grid !== null
      && (f.properties.parts ?? []).length === 0 && grids.get(f.properties.grid)?.buildings > 1 && !grids.get(f.properties.grid)?.locked);
    assert.ok(candidates.length > 0, 'some building can move');

    let target = null;
    for (const building of candidates.slice(0, 12)) {
      const point = await pixelOfBuilding(page, building);
      if (!point) continue;
      // The nearest building of another grid names the grid to move to.
      const c = centre(building);
      const other = buildings.filter((f) => f.properties.grid !== null && f.properties.grid !== building.properties.grid)
        .sort((a, b) => Math.hypot(centre(a)[0] - c[0], centre(a)[1] - c[1]) - Math.hypot(centre(b)[0] - c[0], centre(b)[1] - c[1]))[0];
      target = { building, point, to: other.properties.grid };
      break;
    }
    assert.ok(target, 'found a clickable pixel on a building');
    const { building, point, to } = target;
    moved = { building: building.properties.id, households: building.properties.households, from: building.properties.grid, to };

    await page.mouse.move(point.x, point.y);
    await page.waitForFunction(() => window.plannerMap.getCanvas().style.cursor === 'pointer', null, { timeout: 5_000 });
    await page.mouse.click(point.x, point.y);
    const info = page.locator('#selection-info');
    await page.waitForFunction(() => document.getElementById('selection-info').dataset.count === '1', null, { timeout: 10_000 });
    assert.equal(await info.getAttribute('data-households'), String(moved.households));
    assert.match(await info.textContent(), new RegExp(`已选 1 栋楼，共 ${formatCount(moved.households)} 户`));
    const selectedFilter = await page.evaluate((layer) => JSON.stringify(window.plannerMap.getFilter(layer)), PLAN_LAYERS.buildingSelected);
    assert.ok(selectedFilter.includes(String(moved.building)), 'the building is highlighted');

    const original = apiTallies(plan);
    await page.getByLabel('移至网格').selectOption(String(moved.to));
    await planRedrawn(page, () => page.getByRole('button', { name: '移动', exact: true }).click());

    const expected = { ...original };
    expected[moved.from] -= moved.households;
    expected[moved.to] += moved.households;
    const after = await api(`/api/v1/plans/${planId}`);
    assert.deepEqual(apiTallies(after), expected, 'the API moved the building\'s households');
    assert.deepEqual(await tableTallies(page), expected, 'the page shows both tallies changed');
    const placed = (await api(`/api/v1/plans/${planId}/buildings`)).features.find((f) => f.properties.id === moved.building);
    assert.equal(placed.properties.grid, moved.to, 'the building is in the target grid');
    const label = page.locator(`.grid-label[data-grid-number="${moved.to}"]`);
    assert.ok((await label.textContent()).includes(`${formatCount(expected[moved.to])} 户`), 'the target grid\'s label follows');
    assert.ok(await page.locator('#undo').isEnabled(), '撤销 can be pressed');
    await waitForMapIdle(page);
    await page.screenshot({ path: path.join(artifacts, 'planner-moved.png') });

    // 撤销: both tallies restored.
    await planRedrawn(page, () => page.getByRole('button', { name: '撤销' }).click());
    assert.deepEqual(apiTallies(await api(`/api/v1/plans/${planId}`)), original, 'undone in the API');
    assert.deepEqual(await tableTallies(page), original, 'undone on the page');
    assert.ok(await page.locator('#redo').isEnabled(), '重做 can be pressed');

    // 重做: moved again.
    await planRedrawn(page, () => page.getByRole('button', { name: '重做' }).click());
    assert.deepEqual(apiTallies(await api(`/api/v1/plans/${planId}`)), expected, 'redone in the API');
    assert.deepEqual(await tableTallies(page), expected, 'redone on the page');

    // The same with the keyboard.
    await page.locator('#planner-map canvas').focus();
    await planRedrawn(page, () => page.keyboard.press('Control+z'));
    assert.deepEqual(await tableTallies(page), original, 'Ctrl+Z undoes');
    assert.deepEqual(apiTallies(await api(`/api/v1/plans/${planId}`)), original);
    await planRedrawn(page, () => page.keyboard.press('Control+Shift+Z'));
    assert.deepEqual(await tableTallies(page), expected, 'Ctrl+Shift+Z redoes');
    assert.deepEqual(apiTallies(await api(`/api/v1/plans/${planId}`)), expected);
  }));

  test('a locked grid keeps its buildings (the API\'s refusal is shown); split and merge change the grids', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const plan = await api(`/api/v1/plans/${planId}`);
    assert.equal(await page.locator('#selection-info').getAttribute('data-count'), '1', 'the moved building is still selected');
    const row = page.locator(`#grid-rows tr[data-grid-number="${moved.to}"]`);
    await planRedrawn(page, () => row.locator('.lock-toggle').click());
    assert.equal((await api(`/api/v1/plans/${planId}`)).grids.find((g) => g.number === moved.to).locked, true, 'locked in the API');
    assert.equal(await row.getAttribute('data-locked'), 'true');
    assert.ok(await row.locator('.lock-toggle').isChecked());

    // Taking a building out of a locked grid is refused; the page shows the reason in Chinese.
    const refusal = await apiCall(server, plannerToken, `/api/v1/plans/${planId}/edits`, {
      method: 'POST', body: { op: 'move', parcels: [{ building: moved.building }], to: moved.from },
    });
    assert.equal(refusal.status, 422, `the API refuses: ${JSON.stringify(refusal.body)}`);
    assert.equal(refusal.body.error.code, 'grid_locked');
    await page.getByLabel('移至网格').selectOption(String(moved.from));
    await page.getByRole('button', { name: '移动', exact: true }).click();
    const error = page.locator('#planner-error');
    await error.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal((await error.textContent()).trim(), '操作失败：网格已锁定，其楼栋不能移出');
    await waitForIdle(page);
    assert.deepEqual(apiTallies(await api(`/api/v1/plans/${planId}`)), apiTallies(plan), 'nothing moved');

    await planRedrawn(page, () => page.getByRole('button', { name: '全部解锁' }).click());
    assert.ok((await api(`/api/v1/plans/${planId}`)).grids.every((g) => !g.locked), 'every grid unlocked');
    assert.ok(await error.isHidden(), 'the error went with the next action');

    // The selected building becomes a grid of its own, then merges back.
    await planRedrawn(page, () => page.getByRole('button', { name: '拆分为新网格' }).click());
    const split = await api(`/api/v1/plans/${planId}`);
    assert.equal(split.grids.length, plan.grids.length + 1, 'one more grid');
    const fresh = split.grids.find((g) => !plan.grids.some((o) => o.number === g.number));
    assert.equal(fresh.households, moved.households, 'the new grid holds the building\'s households');
    assert.equal(split.grids.find((g) => g.number === moved.to).households, apiTallies(plan)[moved.to] - moved.households);
    assert.deepEqual(await tableTallies(page), apiTallies(split), 'the table shows the new grid');

    await page.getByLabel('保留').selectOption(String(moved.to));
    await page.getByLabel('并入').selectOption(String(fresh.number));
    await planRedrawn(page, () => page.getByRole('button', { name: '合并', exact: true }).click());
    const merged = await api(`/api/v1/plans/${planId}`);
    assert.deepEqual(apiTallies(merged), apiTallies(plan), 'merged back');
    assert.deepEqual(await tableTallies(page), apiTallies(plan));
  }));

  test('the lasso (button or shift-drag) selects the buildings it encloses', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const buildings = (await api(`/api/v1/plans/${planId}/buildings`)).features;
    await page.getByRole('button', { name: '清除选择' }).click();
    assert.equal(await page.locator('#selection-info').getAttribute('data-count'), '0');
    await page.evaluate(() => window.plannerMap.setZoom(16.5));
    await waitForMapIdle(page);
    const box = await page.locator('#planner-map canvas').boundingBox();
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    // A pentagon around the middle of the map, drawn in small steps.
    const corners = [[-120, -90], [110, -100], [150, 40], [0, 120], [-140, 60]].map(([dx, dy]) => [cx + dx, cy + dy]);
    const path2 = [];
    for (let i = 0; i < corners.length; i += 1) {
      const [a, b] = [corners[i], corners[(i + 1) % corners.length]];
      for (let s = 0; s < 6; s += 1) path2.push([a[0] + ((b[0] - a[0]) * s) / 6, a[1] + ((b[1] - a[1]) * s) / 6]);
    }
    const ring = await page.evaluate(({ points, left, top }) => points.map(([x, y]) => window.plannerMap.unproject([x - left, y - top]).toArray()),
      { points: path2, left: box.x, top: box.y });
    const expected = lassoSelect(buildings, ring);
    assert.ok(expected.length > 0, 'the lasso encloses buildings');

    const draw = async () => {
      await page.mouse.move(...path2[0]);
      await page.mouse.down();
      for (const p of path2.slice(1)) await page.mouse.move(...p, { steps: 2 });
      await page.mouse.up();
    };
    const lassoButton = page.getByRole('button', { name: '套索选择' });
    await lassoButton.click();
    assert.equal(await lassoButton.getAttribute('aria-pressed'), 'true');
    const centreBefore = await page.evaluate(() => window.plannerMap.getCenter().toArray());
    await draw();
    await page.waitForFunction((n) => document.getElementById('selection-info').dataset.count === String(n), expected.length, { timeout: 10_000 });
    assert.deepEqual(await page.evaluate(() => window.plannerMap.getCenter().toArray()), centreBefore, 'the map did not pan');
    const households = expected.reduce((a, id) => a + buildings.find((f) => f.properties.id === id).properties.households, 0);
    assert.equal(await page.locator('#selection-info').getAttribute('data-households'), String(households));
    await page.screenshot({ path: path.join(artifacts, 'planner-lasso.png') });
    await lassoButton.click();
    assert.equal(await lassoButton.getAttribute('aria-pressed'), 'false');

    // Shift-drag, without the tool.
    await page.getByRole('button', { name: '清除选择' }).click();
    await page.keyboard.down('Shift');
    await draw();
    await page.keyboard.up('Shift');
    await page.waitForFunction((n) => document.getElementById('selection-info').dataset.count === String(n), expected.length, { timeout: 10_000 });
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('#selection-info').getAttribute('data-count'), '0', 'Escape clears the selection');
  }));

  test('find detached parts lists the grids the API says are in pieces', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const plan = await api(`/api/v1/plans/${planId}`);
    const detached = plan.grids.filter((g) => g.connected === false).map((g) => String(g.number));
    await page.getByRole('button', { name: '查找分离部分' }).click();
    const result = page.locator('#detached-result');
    await result.waitFor({ state: 'visible' });
    assert.equal(await result.getAttribute('data-count'), String(detached.length));
    assert.deepEqual(await result.locator('[data-grid-number]').evaluateAll((nodes) => nodes.map((n) => n.dataset.gridNumber)), detached);
    if (detached.length === 0) assert.match(await result.textContent(), /没有分离成几部分的网格/);
  }));

  test('publishing asks first, shows the violations the API answers, and publishes', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const validation = await api(`/api/v1/plans/${planId}/validate`);
    const { version } = await api(`/api/v1/plans/${planId}`);
    await page.getByRole('button', { name: '发布', exact: true }).click();
    const dialog = page.locator('#publish-dialog');
    await dialog.waitFor({ state: 'visible' });
    assert.match(await dialog.textContent(), new RegExp(`确定发布第 ${version} 版`));
    await page.getByRole('button', { name: '确认发布' }).click();
    if (!validation.valid) {
      const force = page.getByRole('button', { name: '仍然发布' });
      await force.waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await dialog.locator('#publish-violation-list li').count(), validation.violations.length,
        'the dialog lists the API\'s violations');
      await page.screenshot({ path: path.join(artifacts, 'planner-publish.png') });
      await force.click();
    }
    await page.waitForSelector('body[data-plan-status="published"]', { timeout: 60_000 });
    await waitForIdle(page);
    assert.ok(await dialog.isHidden(), 'the dialog closed');

    const plan = await api(`/api/v1/plans/${planId}`);
    assert.equal(plan.status, 'published', 'the API says published');
    assert.ok(plan.published_at, 'with a time');
    assert.match(await page.locator('#plan-status').textContent(), /已发布/);
    assert.match(await page.locator('#planner-notice').textContent(), new RegExp(`已发布第 ${plan.version} 版`));
    assert.ok(await page.locator('#publish-plan').isHidden(), 'no 发布 on a published plan');
    assert.ok(await page.getByRole('button', { name: '复制为新草稿' }).isVisible(), 'but 复制为新草稿');
    assert.ok(await page.locator('#move-selection').isDisabled(), 'no moves');
    assert.ok(await page.locator('#undo').isDisabled(), 'no undo');
    assert.match(await page.locator('#plan-read-only').textContent(), /复制为新草稿/);
    const refused = await apiCall(server, plannerToken, `/api/v1/plans/${planId}/edits`, {
      method: 'POST', body: { op: 'lock', locked: true },
    });
    assert.equal(refused.status, 409, 'the API refuses edits of a published plan');
    await page.screenshot({ path: path.join(artifacts, 'planner-published.png') });
  }));

  test('a copy of the published plan is a new draft; its changes show against the published plan', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await planRedrawn(page, () => page.getByRole('button', { name: '复制为新草稿' }).click());
    draftId = Number(await page.evaluate(() => document.body.dataset.planId));
    assert.notEqual(draftId, planId, 'a new plan is open');
    const draft = await api(`/api/v1/plans/${draftId}`);
    assert.equal(draft.status, 'draft');
    assert.match(await page.locator('#plan-status').textContent(), new RegExp(`第 ${draft.version} 版 · 草稿`));
    const options = await page.locator('#plan-select option').allTextContents();
    assert.equal(options.length, 2, `the plan picker lists both plans: ${options}`);

    // Move the building back to where the generator put it.
    const building = (await api(`/api/v1/plans/${draftId}/buildings`)).features.find((f) => f.properties.id === moved.building);
    const point = await pixelOfBuilding(page, building);
    assert.ok(point, 'the moved building can be clicked again');
    await page.mouse.click(point.x, point.y);
    await page.waitForFunction(() => document.getElementById('selection-info').dataset.count === '1', null, { timeout: 10_000 });
    await page.getByLabel('移至网格').selectOption(String(moved.from));
    await planRedrawn(page, () => page.getByRole('button', { name: '移动', exact: true }).click());

    const diff = await api(`/api/v1/plans/${planId}/diff/${draftId}`);
    assert.equal(diff.changes.length, 1, `one building differs: ${JSON.stringify(diff.changes)}`);
    assert.equal(diff.changes[0].building, moved.building);

    await page.getByLabel('对比方案').selectOption(String(planId));
    const loaded = Number(await page.evaluate(() => document.body.dataset.compareLoaded ?? 0));
    await page.getByRole('button', { name: '对比', exact: true }).click();
    await page.waitForFunction((n) => Number(document.body.dataset.compareLoaded ?? 0) > n, loaded, { timeout: 60_000 });
    assert.equal(await page.locator('#diff-summary').getAttribute('data-changes'), '1');
    assert.match(await page.locator('#diff-summary').textContent(), new RegExp(`1 栋楼网格变更，共 ${formatCount(moved.households)} 户`));
    assert.equal(await page.locator('#diff-list li').count(), 1);
    assert.ok(await page.locator('#compare-map').isVisible(), 'the other plan is on a second map');
    const changed = await page.evaluate((layer) => JSON.stringify(window.plannerMap.getFilter(layer)), PLAN_LAYERS.buildingChanged);
    assert.ok(changed.includes(String(moved.building)), 'the changed building is outlined');
    await page.waitForFunction((layer) => {
      const m = window.plannerCompareMap;
      return m && m.loaded() && !m.isMoving() && m.queryRenderedFeatures({ layers: [layer] }).length > 0;
    }, PLAN_LAYERS.gridFill, { timeout: 60_000, polling: 200 });
    const published = await api(`/api/v1/plans/${planId}`);
    assert.match(await page.locator('#compare-caption').textContent(), new RegExp(`对比：第 ${published.version} 版 · 已发布`));
    await waitForMapIdle(page);
    await page.screenshot({ path: path.join(artifacts, 'planner-compare.png') });
    await page.getByRole('button', { name: '关闭对比' }).click();
    assert.ok(await page.locator('#compare-map').isHidden());
  }));

  test('a leader sees the plans read only', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await signOut(page);
    await submitSignIn(page, server.accounts.leader);
    await waitForPlannerReady(page);
    assert.equal((await page.locator('#user-role').textContent()).trim(), '领导');
    await page.getByLabel('社区', { exact: true }).selectOption(String(community.id));
    await waitForIdle(page);
    await page.waitForSelector('#grid-rows tr');
    assert.ok(Number(await page.evaluate(() => document.body.dataset.planId)) > 0, 'a plan is open');
    for (const name of ['生成网格', '发布', '复制为新草稿', '撤销', '重做', '移动', '拆分为新网格', '合并', '全部锁定', '全部解锁']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count() === 0
        || await page.getByRole('button', { name, exact: true }).isHidden(), true, `no ${name} button for a leader`);
    }
    assert.ok(await page.locator('.lock-toggle').first().isDisabled(), 'the lock toggles are read only');
    assert.match(await page.locator('#plan-read-only').textContent(), /只读/);
    await page.screenshot({ path: path.join(artifacts, 'planner-leader.png') });

    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-session="signed-in"]');
    assert.ok(await page.locator('#planner-link').isVisible(), 'leaders get the 网格规划 link');
    assert.equal(new URL(await page.locator('#planner-link').evaluate((a) => a.href)).pathname, '/planner.html');
    await signOut(page);
  }));

  test('an inspector gets no link to the planner and is refused by it', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await submitSignIn(page, server.accounts.inspector);
    await page.waitForSelector('body[data-session="signed-in"]');
    assert.ok(await page.locator('#planner-link').isHidden(), 'no 网格规划 link for an inspector');
    await page.goto(`${server.url}/planner.html`);
    await page.waitForSelector('body[data-session="forbidden"]', { timeout: 30_000 });
    assert.match(await page.locator('#forbidden').textContent(), /无权访问/);
    assert.match(await page.locator('#forbidden').textContent(), /只有规划员、管理员和领导/);
    assert.ok(await page.locator('#planner-page').isHidden());
    await page.screenshot({ path: path.join(artifacts, 'planner-forbidden.png') });
  }));

  test('the page requested nothing outside the local service and raised no errors', () => {
    assert.deepEqual(session.external, [], 'no request left the local service');
    assert.deepEqual(session.pageErrors.map(String), [], 'no uncaught page errors');
    // A publish refused for its violations (422) is logged by the browser itself.
    assert.deepEqual(unexpectedConsoleErrors(session.consoleErrors, { statuses: [401, 422] }), [], 'no console errors');
  });
});
