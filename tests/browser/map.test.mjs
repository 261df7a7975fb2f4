// The community map page (web/index.html) against the real service with its default demo,
// in headless Chromium with no network beyond the local service: the sign-in form first, a
// wrong password, the map as demo_admin, an ended session, signing out, the map as
// demo_planner (one community), and a locked account.
//
// Run from the repo root after `cargo build`:  node --test tests/browser/
// Leaves screenshots in tests/browser/artifacts/ (sign-in.png, overview.png, map.png,
// session-expired.png, planner.png, locked.png).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { LAYER_IDS } from '../../web/js/map.js';
import {
  apiCall, apiGet, apiSignIn, clockInTestZone, signInError, signInForm, submitSignIn,
} from './accounts.mjs';
import { launchBrowser, openOfflinePage, unexpectedConsoleErrors, closeSuite, waitForMapIdle as waitForMapIdleOf } from './browser.mjs';
import { startServer, withServerLogsOnFailure } from './server.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const BUILDING_LAYER = LAYER_IDS.buildingFill;
const HAN = /[\u4e00-\u9fff]/;
const formatCount = (n) => new Intl.NumberFormat('zh-CN').format(n);

let server;
let browser;
let session;
let communities;
let adminToken;

async function getApi(pathname) {
  return apiGet(server, adminToken, pathname);
}

const waitForMapIdle = (page) => waitForMapIdleOf(page, 'wanggeMap');

/** Waits for the map page to have loaded its data as a signed-in user. */
async function waitForMapReady(page) {
  await page.waitForSelector('body[data-map-ready="true"], body[data-map-error]', { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.mapError ?? null), null, 'the page loaded its data');
}

describe('community map page', { timeout: 420_000 }, () => {
  before(async () => {
    server = await startServer();
    await mkdir(artifacts, { recursive: true });
    adminToken = (await apiSignIn(server, server.accounts.admin)).token;
    communities = (await getApi('/api/v1/communities')).communities;
    browser = await launchBrowser();
    session = await openOfflinePage(browser, server.url);
  });

  after(() => closeSuite({ session, browser, server }));

  test('the service printed the five demo accounts and wants a session', () => withServerLogsOnFailure(server, async () => {
    assert.deepEqual(Object.keys(server.accounts).sort(), ['admin', 'handler', 'inspector', 'leader', 'planner']);
    for (const [role, account] of Object.entries(server.accounts)) {
      assert.equal(account.username, `demo_${role}`);
      assert.ok(account.password.length >= 10, `the ${role} password is long enough`);
    }
    for (const pathname of ['/api/v1/session', '/api/v1/communities', '/tiles/communities/0/0/0.mvt']) {
      const { status, body } = await apiCall(server, null, pathname);
      assert.equal(status, 401, `${pathname} without a session`);
      assert.equal(body?.error?.code, 'unauthenticated', `${pathname} answers code unauthenticated`);
    }
    const me = await apiGet(server, adminToken, '/api/v1/session');
    assert.equal(me.user.username, 'demo_admin');
    assert.equal(me.user.role, 'admin');
    assert.deepEqual(me.user.areas.map((a) => a.kind), ['district']);
  }));

  test('the API answers the shapes the page reads', () => withServerLogsOnFailure(server, async () => {
    assert.ok(Array.isArray(communities), 'communities is an array');
    assert.ok(communities.length > 0, 'the demo has communities');
    for (const c of communities) {
      for (const key of ['id', 'name', 'code', 'district', 'households', 'buildings', 'estates', 'bbox', 'label_point']) {
        assert.ok(key in c, `community ${JSON.stringify(c.name)} has "${key}"`);
      }
      assert.ok(c.district && 'id' in c.district && 'name' in c.district, 'district is {id, name}');
      assert.equal(c.bbox.length, 4, 'bbox is [minlon, minlat, maxlon, maxlat]');
      assert.ok(c.bbox[0] <= c.bbox[2] && c.bbox[1] <= c.bbox[3], `bbox ${c.bbox} is ordered`);
      assert.equal(c.label_point.length, 2, 'label_point is [lon, lat]');
    }
  }));

  test('signed out, the page shows the sign-in form and nothing else', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await page.goto(`${server.url}/`);
    const form = await signInForm(page);
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
    assert.equal((await form.form.locator('h2').textContent()).trim(), '登录');
    assert.ok(await form.username.isVisible(), 'a 用户名 field');
    assert.ok(await form.password.isVisible(), 'a 密码 field');
    assert.equal(await form.password.getAttribute('type'), 'password');
    assert.ok(await form.submit.isVisible(), 'a 登录 button');
    assert.ok(await page.locator('#map-page').isHidden(), 'the map content is hidden');
    assert.ok(await page.locator('#user-box').isHidden(), 'no user in the header');
    assert.ok(await page.locator('#admin-link').isHidden(), 'no 系统管理 link');
    assert.equal(await page.evaluate(() => window.wanggeMap ?? null), null, 'no map was created');
    assert.ok(!session.requested.some((url) => url.includes('/tiles/') || url.includes('/api/v1/communities')),
      'nothing but the session was asked for');
    await page.screenshot({ path: path.join(artifacts, 'sign-in.png') });
  }));

  test('a wrong password shows 用户名或密码错误', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await submitSignIn(page, { username: 'demo_admin', password: 'not-the-password' });
    assert.equal(await signInError(page), '用户名或密码错误');
    assert.equal(await page.evaluate(() => document.body.dataset.session), 'signed-out');
    assert.equal(await page.locator('#sign-in-password').inputValue(), '', 'the password field is cleared');
    assert.ok(await page.locator('#map-page').isHidden(), 'still no map');
  }));

  test('signed in as demo_admin, the page loads and lists the communities with Chinese names', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await submitSignIn(page, server.accounts.admin);
    await waitForMapReady(page);
    assert.equal(await page.evaluate(() => document.body.dataset.session), 'signed-in');
    assert.ok(await page.locator('#sign-in').isHidden(), 'the form is gone');
    assert.equal((await page.locator('#user-name').textContent()).trim(), 'demo_admin');
    assert.equal((await page.locator('#user-role').textContent()).trim(), '管理员');
    assert.ok(await page.getByRole('button', { name: '退出' }).isVisible(), 'a 退出 button');
    const adminLink = page.locator('#admin-link');
    assert.ok(await adminLink.isVisible(), 'admins get a 系统管理 link');
    assert.equal((await adminLink.textContent()).trim(), '系统管理');
    assert.equal(new URL(await adminLink.evaluate((a) => a.href)).pathname, '/admin.html');

    const items = page.locator('#community-list li');
    assert.equal(await items.count(), communities.length, 'one list item per community');
    const names = await page.locator('#community-list .community-name').allTextContents();
    assert.deepEqual(names, communities.map((c) => c.name));
    assert.ok(names.every((name) => HAN.test(name)), `community names are Chinese: ${names.join(', ')}`);
    const first = await items.first().textContent();
    assert.match(first, /户数/);
    assert.match(first, /楼栋数/);
    assert.ok(first.includes(formatCount(communities[0].households)), `first item shows households: ${first}`);

    const labels = await page.locator('.community-label').allTextContents();
    assert.deepEqual([...labels].sort(), communities.map((c) => c.name).sort(), 'a map label per community');
    const attribution = await page.locator('.maplibregl-ctrl-attrib').textContent();
    assert.match(attribution, /OpenStreetMap contributors/);
    assert.match(await page.locator('.legend').textContent(), /户数/);

    await waitForMapIdle(page);
    await page.screenshot({ path: path.join(artifacts, 'overview.png') });
  }));

  test('clicking a building shows its households in a popup', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const community = communities.find((c) => c.buildings > 0) ?? communities[0];
    await page.locator(`#community-list li[data-community-id="${community.id}"] button`).click();
    await page.waitForFunction((layer) => {
      const map = window.wanggeMap;
      return !map.isMoving() && map.areTilesLoaded() && map.queryRenderedFeatures({ layers: [layer] }).length > 0;
    }, BUILDING_LAYER, { timeout: 60_000, polling: 200 });

    // Rendered buildings, households-bearing ones first; for each candidate, centre the map on it
    // and look near the canvas centre for a pixel that is that building on top.
    const candidates = await page.evaluate((layer) => {
      const seen = new Set();
      const out = [];
      for (const f of window.wanggeMap.queryRenderedFeatures({ layers: [layer] })) {
        const id = f.properties.id ?? f.id; // ST_AsMVT may carry it as the feature id
        if (seen.has(id)) continue;
        seen.add(id);
        const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
        const pts = ring.slice(0, -1);
        const centre = [pts.reduce((a, p) => a + p[0], 0) / pts.length, pts.reduce((a, p) => a + p[1], 0) / pts.length];
        out.push({ id, households: Number(f.properties.households) || 0, centre });
      }
      out.sort((a, b) => (b.households > 0) - (a.households > 0));
      return out.slice(0, 8);
    }, BUILDING_LAYER);
    assert.ok(candidates.length > 0, 'buildings are rendered');

    let target = null;
    for (const candidate of candidates) {
      await page.evaluate(({ centre }) => window.wanggeMap.jumpTo({ center: centre, zoom: 17 }), candidate);
      await waitForMapIdle(page);
      const point = await page.evaluate(({ layer, id }) => {
        const map = window.wanggeMap;
        const canvas = map.getCanvas().getBoundingClientRect();
        const cx = canvas.width / 2;
        const cy = canvas.height / 2;
        for (let r = 0; r <= 60; r += 4) {
          for (let a = 0; a < 360; a += r === 0 ? 360 : 30) {
            const x = cx + r * Math.cos((a * Math.PI) / 180);
            const y = cy + r * Math.sin((a * Math.PI) / 180);
            const top = map.queryRenderedFeatures([x, y], { layers: [layer] })[0];
            if (top && String(top.properties.id ?? top.id) === String(id)) return { x: canvas.left + x, y: canvas.top + y };
          }
        }
        return null;
      }, { layer: BUILDING_LAYER, id: candidate.id });
      if (point) {
        target = { ...candidate, point };
        break;
      }
    }
    assert.ok(target, `found a clickable pixel on one of the buildings ${candidates.map((c) => c.id).join(', ')}`);

    const building = await getApi(`/api/v1/buildings/${encodeURIComponent(target.id)}`);
    assert.equal(building.type, 'Feature', 'GET /api/v1/buildings/{id} answers a GeoJSON Feature');
    const props = building.properties;
    for (const key of ['id', 'name', 'kind', 'floors', 'units', 'households', 'address', 'estate', 'community',
      'district', 'unit_list', 'source', 'source_id']) {
      assert.ok(key in props, `building properties have "${key}"`);
    }
    assert.equal(String(props.id), String(target.id));

    assert.equal(await page.evaluate(() => window.wanggeMap.getCanvas().style.cursor), '', 'no hand before hovering');
    await page.mouse.move(target.point.x, target.point.y);
    await page.waitForFunction(() => window.wanggeMap.getCanvas().style.cursor === 'pointer', null, { timeout: 5_000 });
    await page.mouse.click(target.point.x, target.point.y);

    const popup = page.locator('.building-popup');
    await popup.waitFor({ state: 'visible', timeout: 15_000 });
    const households = popup.locator('dd[data-field="households"]');
    await households.waitFor({ timeout: 15_000 });
    const expected = props.households === null ? '—' : formatCount(props.households);
    assert.equal((await households.textContent()).trim(), expected);
    const text = await popup.textContent();
    assert.match(text, /户数/);
    assert.match(text, /所属社区/);
    assert.ok(text.includes(props.community.name), `popup names the community ${props.community.name}: ${text}`);
    if (props.name) assert.ok(text.includes(props.name), `popup names the building ${props.name}`);
    if (props.estate?.name) assert.ok(text.includes(props.estate.name), `popup names the estate ${props.estate.name}`);
    if (props.unit_list?.length > 0) {
      assert.equal(await popup.locator('.unit-list li').count(), props.unit_list.length, 'popup lists every unit');
    }

    await page.screenshot({ path: path.join(artifacts, 'map.png') });
  }));

  test('an ended session brings the sign-in form back, and signing in again reloads the map', () => withServerLogsOnFailure(server, async () => {
    const { page, context } = session;
    // The session ends under the page's feet (as when it expires): the next tiles are refused.
    await context.clearCookies();
    await page.evaluate(() => window.wanggeMap.jumpTo({ center: [2.35, 48.85], zoom: 14 }));
    await page.waitForSelector('body[data-session="signed-out"]', { timeout: 30_000 });
    assert.equal(await signInError(page), '登录已过期，请重新登录');
    assert.ok(await page.locator('#map-page').isHidden(), 'the map is hidden behind the form');
    assert.ok(await page.locator('#user-box').isHidden(), 'the user left the header');
    assert.ok(await page.locator('#admin-link').isHidden(), 'and so did the 系统管理 link');
    await page.screenshot({ path: path.join(artifacts, 'session-expired.png') });

    const reloaded = page.waitForEvent('load', { timeout: 30_000 });
    await submitSignIn(page, server.accounts.admin);
    await reloaded;
    await waitForMapReady(page);
    assert.equal((await page.locator('#user-name').textContent()).trim(), 'demo_admin');
    assert.equal(await page.locator('#community-list li').count(), communities.length);
  }));

  test('退出 ends the session and shows the form again', () => withServerLogsOnFailure(server, async () => {
    const { page, context } = session;
    const cookie = (await context.cookies(server.url)).find((c) => c.name === 'wangge_session');
    assert.ok(cookie, 'the session is a cookie');
    assert.ok(cookie.httpOnly, 'the cookie is HttpOnly');
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal((await apiCall(server, cookie.value, '/api/v1/session')).status, 200, 'the session is valid');

    const reloaded = page.waitForEvent('load', { timeout: 30_000 });
    await page.getByRole('button', { name: '退出' }).click();
    await reloaded;
    await signInForm(page);
    assert.ok(await page.locator('#map-page').isHidden(), 'the map is gone');
    assert.ok(await page.locator('#user-box').isHidden(), 'no user in the header');
    const after = (await context.cookies(server.url)).find((c) => c.name === 'wangge_session' && c.value);
    assert.equal(after, undefined, 'the cookie is cleared');
    assert.equal((await apiCall(server, cookie.value, '/api/v1/session')).status, 401, 'the old session is dead');
  }));

  test('signed in as demo_planner, the side panel lists exactly one community', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const planner = await apiSignIn(server, server.accounts.planner);
    const own = (await apiGet(server, planner.token, '/api/v1/communities')).communities;
    assert.equal(own.length, 1, `the planner's API answers one community: ${own.map((c) => c.name)}`);
    assert.equal(own[0].name, communities[0].name, 'the first demo community');

    await submitSignIn(page, server.accounts.planner);
    await waitForMapReady(page);
    assert.equal((await page.locator('#user-name').textContent()).trim(), 'demo_planner');
    assert.equal((await page.locator('#user-role').textContent()).trim(), '规划员');
    assert.ok(await page.locator('#admin-link').isHidden(), 'no 系统管理 link for a planner');
    assert.deepEqual(await page.locator('#community-list .community-name').allTextContents(), [own[0].name]);
    assert.deepEqual(await page.locator('.community-label').allTextContents(), [own[0].name]);
    await waitForMapIdle(page);
    await page.screenshot({ path: path.join(artifacts, 'planner.png') });

    const reloaded = page.waitForEvent('load', { timeout: 30_000 });
    await page.getByRole('button', { name: '退出' }).click();
    await reloaded;
    await signInForm(page);
  }));

  test('five wrong passwords lock the account: 账户已锁定至 HH:MM', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    const leader = server.accounts.leader;
    for (let i = 1; i <= 5; i += 1) {
      await submitSignIn(page, { username: leader.username, password: `wrong password ${i}` });
      assert.equal(await signInError(page), '用户名或密码错误', `attempt ${i}`);
      await page.waitForFunction(() => !document.querySelector('#sign-in-form button[type="submit"]').disabled);
    }
    // Locked now, even with the right password.
    await submitSignIn(page, leader);
    await page.waitForFunction(() => document.getElementById('sign-in-error').textContent.includes('锁定'), null, { timeout: 15_000 });
    const users = (await getApi('/api/v1/users')).users;
    const until = users.find((u) => u.username === leader.username).locked_until;
    assert.ok(until, 'the service records the lock');
    assert.equal(await signInError(page), `登录失败次数过多，账户已锁定至 ${clockInTestZone(until)}`);
    assert.equal(await page.evaluate(() => document.body.dataset.session), 'signed-out');
    await page.screenshot({ path: path.join(artifacts, 'locked.png') });
  }));

  test('the page requested nothing outside the local service and raised no errors', () => {
    assert.deepEqual(session.external, [], 'no request left the local service');
    assert.ok(session.requested.some((url) => url.includes('/tiles/buildings/')), 'building tiles came from the service');
    assert.deepEqual(session.pageErrors.map(String), [], 'no uncaught page errors');
    // The refusals the tests provoke (signed out, wrong passwords, the ended session, the locked
    // account) are logged by the browser itself; nothing else may be.
    assert.deepEqual(unexpectedConsoleErrors(session.consoleErrors, { statuses: [401, 403] }), [], 'no console errors');
  });
});
