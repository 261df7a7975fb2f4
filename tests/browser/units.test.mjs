// The responsible units page (web/units.html) against the real service with its default demo, in
// headless Chromium with no network beyond the local service. demo_admin (whose area is the whole
// sub-district) picks the second demo community, sees the grids without a grid leader counted and
// the gap grid highlighted, clicks that grid on the map, tries to register a grid leader with a
// wrong phone (and is told why in Chinese), registers one with a good phone and sees the gap
// close (as the API says), is told who holds the post when assigning a second grid leader, draws
// a zone for 区交通运输局 point by point (a crossed one first, refused in Chinese) and saves it,
// and routes a 井盖缺失 at a point of the map to the sub-district office as nobody's category;
// demo_leader sees the page read only; demo_inspector gets no link and is refused by the page.
//
// Run from the repo root after `cargo build`:  node --test tests/browser/
// Leaves screenshots in tests/browser/artifacts/ (units-coverage.png, units-grid.png,
// units-assigned.png, units-conflict.png, units-zone.png, units-routing.png, units-leader.png,
// units-forbidden.png).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { interiorPoint } from '../../web/js/geometry.js';
import { LAYER_IDS } from '../../web/js/map.js';
import { UNIT_LAYERS } from '../../web/js/units-model.js';
import { apiGet, apiSignIn, signInForm, submitSignIn } from './accounts.mjs';
import { closeSuite, launchBrowser, openOfflinePage, unexpectedConsoleErrors, waitForMapIdle as waitForMapIdleOf } from './browser.mjs';
import { startServer, withServerLogsOnFailure } from './server.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

const NEW_LEADER = { name: '测试网格长', phone: '13712345678' };
const ZONE_NAME = '交通局测试责任区';

let server;
let browser;
let session;
let adminToken;
let community;      // the second demo community
let gap;            // the grid without a grid leader: { id, code, name, feature }

const api = (pathname) => apiGet(server, adminToken, pathname);
const waitForMapIdle = (page) => waitForMapIdleOf(page, 'unitsMap');

async function waitForIdle(page) {
  await page.waitForFunction(() => document.body.dataset.busy === 'false', null, { timeout: 120_000, polling: 100 });
}

const counter = (page, name) => page.evaluate((n) => Number(document.body.dataset[n] ?? 0), name);

/** Runs `action` and waits until the counter `name` went up and nothing is under way. */
async function bumped(page, name, action) {
  const was = await counter(page, name);
  await action();
  await page.waitForFunction(({ n, b }) => Number(document.body.dataset[n] ?? 0) > b && document.body.dataset.busy === 'false',
    { n: name, b: was }, { timeout: 120_000, polling: 100 });
}

async function waitForUnitsReady(page) {
  await page.waitForSelector('body[data-units-ready="true"], body[data-units-error]', { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.unitsError ?? null), null, 'the page loaded its data');
  await waitForIdle(page);
}

async function pickCommunity(page, id) {
  await bumped(page, 'coverageLoaded', () => page.getByLabel('社区', { exact: true }).selectOption(String(id)));
  assert.equal(await page.evaluate(() => document.body.dataset.communityId), String(id));
}

/** Centres the map on `lngLat` at `zoom`; the page pixel of the map's centre. */
async function centreOn(page, lngLat, zoom) {
  await page.evaluate(({ c, z }) => window.unitsMap.jumpTo({ center: c, zoom: z }), { c: lngLat, z: zoom });
  await waitForMapIdle(page);
  return page.evaluate(() => {
    const r = window.unitsMap.getCanvas().getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  });
}

/** A page pixel near the map's centre where grid `id` is on top and no building is. */
async function pixelOfGrid(page, id) {
  await centreOn(page, interiorPoint(gap.feature), 16.5);
  return page.evaluate(({ layers, gridLayer, id: wanted }) => {
    const map = window.unitsMap;
    const canvas = map.getCanvas().getBoundingClientRect();
    for (let r = 0; r <= 150; r += 4) {
      for (let a = 0; a < 360; a += r === 0 ? 360 : 20) {
        const x = canvas.width / 2 + r * Math.cos((a * Math.PI) / 180);
        const y = canvas.height / 2 + r * Math.sin((a * Math.PI) / 180);
        const top = map.queryRenderedFeatures([x, y], { layers })[0];
        if (top && top.layer.id === gridLayer && Number(top.properties.id) === wanted) return { x: canvas.left + x, y: canvas.top + y };
      }
    }
    return null;
  }, { layers: [LAYER_IDS.buildingFill, UNIT_LAYERS.gridFill], gridLayer: UNIT_LAYERS.gridFill, id: gap.id });
}

async function signOut(page) {
  const reloaded = page.waitForEvent('load', { timeout: 30_000 });
  await page.getByRole('button', { name: '退出' }).click();
  await reloaded;
  await signInForm(page);
}

async function assignForm(page) {
  const form = page.locator('#assign-form');
  await form.waitFor({ state: 'visible' });
  return form;
}

describe('responsible units page', { timeout: 900_000 }, () => {
  before(async () => {
    server = await startServer();
    await mkdir(artifacts, { recursive: true });
    adminToken = (await apiSignIn(server, server.accounts.admin)).token;
    community = (await api('/api/v1/communities')).communities[1];
    browser = await launchBrowser();
    session = await openOfflinePage(browser, server.url, { viewport: { width: 1440, height: 900 } });
  });

  after(() => closeSuite({ session, browser, server }));

  test('an administrator picks a community and sees the grids without a grid leader', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await page.goto(`${server.url}/units.html`);
    await submitSignIn(page, server.accounts.admin);
    await waitForUnitsReady(page);
    assert.equal(await page.title(), '网格 · 责任主体');
    assert.ok(await page.locator('#planner-link').isVisible(), 'a link to the planner');
    assert.ok(await page.locator('#admin-link').isVisible(), 'and to the administration');

    await pickCommunity(page, community.id);
    const coverage = await api(`/api/v1/communities/${community.id}/coverage`);
    assert.ok(coverage.grids_without_leader.length >= 1, 'the demo leaves a grid without a grid leader');
    const grids = await api(`/api/v1/communities/${community.id}/grids`);
    const feature = grids.features.find((f) => f.id === coverage.grids_without_leader.at(-1).id);
    gap = { id: feature.id, code: feature.properties.code, name: feature.properties.name, feature };
    assert.equal(feature.properties.grid_leader, null);

    await page.getByRole('tab', { name: /覆盖情况/ }).click();
    assert.equal(await page.locator('#gap-grid-count').getAttribute('data-count'), String(coverage.grids_without_leader.length),
      'the page counts the grids the API lists');
    assert.equal(await page.locator('#gap-building-count').getAttribute('data-count'), String(coverage.buildings_without_leader.length));
    assert.ok(await page.locator(`#gap-grid-list [data-grid-id="${gap.id}"]`).isVisible(), 'the gap grid is listed');
    assert.equal(await page.locator('.coverage-figure[data-kind="grids"]').getAttribute('data-count'), String(coverage.grids_without_leader.length));
    // Highlighted on the map: its label, and the gap outline layer.
    const label = page.locator(`.unit-grid-label[data-grid-id="${gap.id}"]`);
    assert.equal(await label.getAttribute('data-gap'), 'true');
    assert.match(await label.textContent(), /无网格长/);
    await waitForMapIdle(page);
    const outlined = await page.evaluate((layer) => window.unitsMap.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.id), UNIT_LAYERS.gridGap);
    assert.ok(outlined.includes(gap.id), 'the gap grid is outlined as a gap');
    const others = grids.features.filter((f) => f.properties.grid_leader).map((f) => f.id);
    assert.ok(others.every((id) => !outlined.includes(id)), 'grids with a leader are not');
    await page.screenshot({ path: path.join(artifacts, 'units-coverage.png') });
  }));

  test('clicking the gap grid on the map and registering a grid leader closes the gap', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const point = await pixelOfGrid(page, gap.id);
    assert.ok(point, 'found a pixel of the gap grid with no building on it');
    await page.mouse.move(point.x, point.y);
    await page.waitForFunction(() => window.unitsMap.getCanvas().style.cursor === 'pointer', null, { timeout: 5_000 });
    await page.mouse.click(point.x, point.y);
    await page.waitForFunction((id) => document.body.dataset.selected === `grid:${id}`, gap.id, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.tab), 'team', 'the team tab opens');
    assert.equal((await page.locator('#selection-title').textContent()).trim(), gap.name || gap.code);
    assert.match(await page.locator('#selection-meta').textContent(), new RegExp(gap.code));
    const leaderRow = page.locator('#team-rows tr[data-role="grid_leader"]');
    assert.match(await leaderRow.textContent(), /网格长.*空缺/);
    const team = gap.feature.properties.team;
    for (const m of team) assert.ok((await page.locator('#team-rows').textContent()).includes(m.phone), `${m.name}'s phone is shown`);
    await page.screenshot({ path: path.join(artifacts, 'units-grid.png') });

    // A wrong phone: refused by the API, explained in Chinese under the phone field.
    const form = await assignForm(page);
    await form.getByLabel('职务').selectOption('grid_leader');
    await form.getByLabel('登记新人员').check();
    await form.getByLabel('姓名', { exact: true }).fill(NEW_LEADER.name);
    await form.getByLabel('手机号码', { exact: true }).fill('12345');
    await form.getByRole('button', { name: '任命' }).click();
    const phoneError = page.locator('#person-phone-error');
    await phoneError.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await phoneError.textContent(), /手机号码无效/);
    await waitForIdle(page);
    const people = (await api(`/api/v1/people?district=${community.district.id}`)).people;
    assert.ok(!people.some((p) => p.name === NEW_LEADER.name), 'nobody was registered');

    // A good phone: registered, assigned, and the gap closes.
    const gaps = (await api(`/api/v1/communities/${community.id}/coverage`)).grids_without_leader.length;
    await form.getByLabel('手机号码', { exact: true }).fill(NEW_LEADER.phone);
    await bumped(page, 'coverageLoaded', () => form.getByRole('button', { name: '任命' }).click());
    assert.ok(await phoneError.isHidden(), 'the phone error is gone');
    assert.match(await page.locator('#units-notice').textContent(), new RegExp(`已任命${NEW_LEADER.name}为网格长`));
    const coverage = await api(`/api/v1/communities/${community.id}/coverage`);
    assert.equal(coverage.grids_without_leader.length, gaps - 1, 'the API counts one gap less');
    assert.ok(!coverage.grids_without_leader.some((g) => g.id === gap.id), 'and no longer lists the grid');
    assert.equal(await page.locator('#gap-grid-count').getAttribute('data-count'), String(gaps - 1), 'the page counts one gap less');
    const label = page.locator(`.unit-grid-label[data-grid-id="${gap.id}"]`);
    assert.equal(await label.getAttribute('data-gap'), 'false', 'the label is no longer a gap');
    assert.match(await label.textContent(), new RegExp(`网格长 ${NEW_LEADER.name}`));
    await waitForMapIdle(page);
    const outlined = await page.evaluate((layer) => window.unitsMap.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.id), UNIT_LAYERS.gridGap);
    assert.ok(!outlined.includes(gap.id), 'the grid is no longer outlined as a gap');
    const grid = (await api(`/api/v1/communities/${community.id}/grids`)).features.find((f) => f.id === gap.id);
    assert.equal(grid.properties.grid_leader, NEW_LEADER.name, 'the API names the new grid leader');
    assert.match(await page.locator('#team-rows tr[data-role="grid_leader"]').textContent(), new RegExp(`${NEW_LEADER.name}.*${NEW_LEADER.phone}`));
    await page.screenshot({ path: path.join(artifacts, 'units-assigned.png') });
  }));

  test('a second grid leader is refused, naming who holds the post', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const people = (await api(`/api/v1/people?district=${community.district.id}`)).people;
    const other = people.find((p) => p.name !== NEW_LEADER.name);
    const form = await assignForm(page);
    await form.getByLabel('职务').selectOption('grid_leader');
    await form.getByLabel('选择已登记人员').check();
    await form.getByLabel('搜索姓名或电话').fill(other.phone);
    await form.locator('#person-select').selectOption(String(other.id));
    await form.getByRole('button', { name: '任命' }).click();
    const error = page.locator('#assign-error');
    await error.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal((await error.textContent()).trim(), `该岗位已有网格长：${NEW_LEADER.name}。请先结束其任职，或点“更换”`);
    await waitForIdle(page);
    const leaders = (await api(`/api/v1/assignments?community=${community.id}&grid=${gap.id}`)).assignments.filter((a) => a.role === 'grid_leader');
    assert.deepEqual(leaders.map((a) => a.person), [NEW_LEADER.name], 'still one grid leader');
    await page.screenshot({ path: path.join(artifacts, 'units-conflict.png') });
  }));

  test('a zone drawn point by point for 区交通运输局 is saved; a crossed one is refused', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await page.getByRole('tab', { name: '责任区' }).click();
    await page.getByRole('button', { name: '新建责任区' }).click();
    const form = page.locator('#zone-form');
    await form.getByLabel('共建单位').selectOption({ label: '区交通运输局' });
    await form.getByLabel('责任区名称').fill(ZONE_NAME);
    await form.getByLabel('绘制范围').check();
    assert.equal(await page.evaluate(() => document.body.dataset.tool), 'draw');
    const c = await centreOn(page, interiorPoint(gap.feature), 17);
    const d = 50;
    const [nw, ne, se, sw] = [[c.x - d, c.y - d], [c.x + d, c.y - d], [c.x + d, c.y + d], [c.x - d, c.y + d]];
    const points = page.locator('#zone-points');

    // Corners in a crossing order: a bow tie, which the service refuses.
    for (const [x, y] of [nw, se, ne, sw]) await page.mouse.click(x, y);
    assert.equal(await points.getAttribute('data-count'), '4');
    await form.getByRole('button', { name: '完成' }).click();
    assert.equal(await points.getAttribute('data-closed'), 'true');
    await form.getByRole('button', { name: '保存责任区' }).click();
    const error = page.locator('#zone-area-error');
    await error.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await error.textContent(), /范围无效：边线不能交叉/);
    await waitForIdle(page);
    assert.ok(!(await api(`/api/v1/zones?district=${community.district.id}`)).zones.some((z) => z.name === ZONE_NAME), 'nothing saved');

    // 取消, then a square: three clicks and a double-click on the fourth corner, which closes it.
    await form.getByRole('button', { name: '取消' }).click();
    assert.equal(await points.getAttribute('data-count'), '0');
    for (const [x, y] of [nw, ne, se]) await page.mouse.click(x, y);
    await page.mouse.dblclick(sw[0], sw[1]);
    await page.waitForFunction(() => document.getElementById('zone-points').dataset.closed === 'true', null, { timeout: 5_000 });
    assert.equal(await points.getAttribute('data-count'), '4', 'the double-click added one corner');
    // 撤销 reopens the ring, 完成 closes it again.
    await form.getByRole('button', { name: '撤销' }).click();
    assert.equal(await points.getAttribute('data-closed'), 'false');
    assert.equal(await points.getAttribute('data-count'), '4');
    await form.getByRole('button', { name: '完成' }).click();
    await bumped(page, 'zonesLoaded', () => form.getByRole('button', { name: '保存责任区' }).click());
    assert.ok(await form.isHidden(), 'the editor closed');

    const zones = (await api(`/api/v1/zones?district=${community.district.id}`)).zones;
    const zone = zones.find((z) => z.name === ZONE_NAME);
    assert.ok(zone, 'the API has the zone');
    assert.equal(zone.organisation, '区交通运输局');
    assert.deepEqual(zone.grids, [], 'a drawn zone, not a grid set');
    assert.equal(zone.area.type, 'MultiPolygon');
    assert.equal(zone.area.coordinates[0][0].length, 5, 'four corners, closed');
    const item = page.locator(`#zone-list li[data-zone-id="${zone.id}"]`);
    assert.match(await item.textContent(), new RegExp(`区交通运输局 · ${ZONE_NAME}`));
    assert.match(await page.locator('#units-notice').textContent(), /已保存区交通运输局的责任区/);
    await waitForMapIdle(page);
    const drawn = await page.evaluate((layer) => window.unitsMap.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties.id), UNIT_LAYERS.zoneFill);
    assert.ok(drawn.includes(zone.id), 'the zone is on the map');
    await page.screenshot({ path: path.join(artifacts, 'units-zone.png') });
  }));

  test('routing 井盖缺失 at a point falls to the sub-district office, marked as nobody\'s', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await page.getByRole('tab', { name: '派单规则' }).click();
    const row = page.locator('#category-rows tr[data-code="facilities.manhole_cover"]');
    assert.equal(await row.getAttribute('data-unhandled'), 'true');
    assert.match(await row.locator('.mark-unhandled').textContent(), /无人负责/);
    const lights = page.locator('#category-rows tr[data-code="facilities.street_light"]');
    assert.equal(await lights.locator('.mark-unhandled').count(), 0, 'street lights have a department');
    assert.match(await lights.locator('.handler').textContent(), /区市政设施管理处/);

    await page.getByLabel('类别', { exact: true }).selectOption('facilities.manhole_cover');
    await page.getByRole('button', { name: '在地图上选点' }).click();
    assert.equal(await page.evaluate(() => document.body.dataset.tool), 'route');
    const lngLat = interiorPoint(gap.feature);
    const c = await centreOn(page, lngLat, 17);
    await bumped(page, 'routeLoaded', () => page.mouse.click(c.x, c.y));
    const clicked = await page.evaluate(({ x, y }) => {
      const r = window.unitsMap.getCanvas().getBoundingClientRect();
      return window.unitsMap.unproject([x - r.left, y - r.top]).toArray();
    }, c);
    const routing = await api(`/api/v1/routing?lon=${clicked[0]}&lat=${clicked[1]}&category=facilities.manhole_cover`);
    assert.equal(routing.reason, 'no_department');
    assert.ok(routing.fallback && routing.unhandled);
    const result = page.locator('#route-result');
    assert.equal(await result.getAttribute('data-reason'), 'no_department');
    assert.equal(await result.getAttribute('data-marks'), 'unhandled fallback');
    const text = await result.textContent();
    for (const expected of ['无人负责', '属地兜底', '没有职能部门负责该类别，由街道兜底', routing.organisation.name, '4 个工作小时']) {
      assert.ok(text.includes(expected), `the result says ${expected}: ${text}`);
    }
    await page.screenshot({ path: path.join(artifacts, 'units-routing.png') });
  }));

  test('a leader sees the page read only', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await signOut(page);
    await submitSignIn(page, server.accounts.leader);
    await waitForUnitsReady(page);
    assert.ok(await page.locator('#units-read-only').isVisible(), 'the page says it is read only');
    await pickCommunity(page, community.id);
    await page.locator(`#grid-list [data-grid-id="${gap.id}"]`).click();
    await page.waitForFunction((id) => document.body.dataset.selected === `grid:${id}`, gap.id);
    assert.match(await page.locator('#team-rows').textContent(), new RegExp(NEW_LEADER.name), 'the team is shown');
    assert.ok(await page.locator('#assign-form').isHidden(), 'no assign form');
    for (const name of ['任命', '结束', '更换']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `no ${name} button for a leader`);
    }
    await page.getByRole('tab', { name: '责任区' }).click();
    assert.ok(await page.getByRole('button', { name: '新建责任区' }).isHidden(), 'no zone editor');
    assert.equal(await page.locator('#zone-list button', { hasText: '结束' }).count(), 0);
    await page.getByRole('tab', { name: '派单规则' }).click();
    assert.equal(await page.locator('#category-rows select').count(), 0, 'the rules are read only');
    await page.screenshot({ path: path.join(artifacts, 'units-leader.png') });

    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-session="signed-in"]');
    assert.ok(await page.locator('#units-link').isVisible(), 'leaders get the 责任主体 link');
    assert.equal(new URL(await page.locator('#units-link').evaluate((a) => a.href)).pathname, '/units.html');
    await signOut(page);
  }));

  test('an inspector gets no link to the page and is refused by it', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await submitSignIn(page, server.accounts.inspector);
    await page.waitForSelector('body[data-session="signed-in"]');
    assert.ok(await page.locator('#units-link').isHidden(), 'no 责任主体 link for an inspector');
    await page.goto(`${server.url}/units.html`);
    await page.waitForSelector('body[data-session="forbidden"]', { timeout: 30_000 });
    assert.match(await page.locator('#forbidden').textContent(), /无权访问/);
    assert.match(await page.locator('#forbidden').textContent(), /只有管理员、规划员和领导可以查看责任主体/);
    assert.ok(await page.locator('#units-page').isHidden());
    await page.screenshot({ path: path.join(artifacts, 'units-forbidden.png') });
  }));

  test('the page requested nothing outside the local service and raised no errors', () => {
    assert.deepEqual(session.external, [], 'no request left the local service');
    assert.deepEqual(session.pageErrors.map(String), [], 'no uncaught page errors');
    // The refusals the test provoked (a wrong phone, a second grid leader, a crossed zone).
    assert.deepEqual(unexpectedConsoleErrors(session.consoleErrors, { statuses: [401, 409, 422] }), [], 'no console errors');
  });
});
