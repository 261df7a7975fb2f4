// The community map page (web/index.html) against the real service with its default demo,
// in headless Chromium with no network beyond the local service.
//
// Run from the repo root after `cargo build`:  node --test tests/browser/
// Leaves screenshots in tests/browser/artifacts/ (overview.png, map.png).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { LAYER_IDS } from '../../web/js/map.js';
import { launchBrowser, openOfflinePage } from './browser.mjs';
import { startServer, withServerLogsOnFailure } from './server.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const BUILDING_LAYER = LAYER_IDS.buildingFill;
const HAN = /[\u4e00-\u9fff]/;
const formatCount = (n) => new Intl.NumberFormat('zh-CN').format(n);

let server;
let browser;
let session;
let communities;

async function getApi(pathname) {
  const response = await fetch(`${server.url}${pathname}`);
  const body = await response.text();
  assert.equal(response.status, 200, `GET ${pathname} answered ${response.status}: ${body}`);
  return JSON.parse(body);
}

/** Resolves once the map has stopped moving and drawn every tile in view. */
async function waitForMapIdle(page) {
  await page.waitForFunction(() => {
    const map = window.wanggeMap;
    return map && map.loaded() && !map.isMoving() && map.areTilesLoaded();
  }, null, { timeout: 60_000, polling: 100 });
}

describe('community map page', { timeout: 420_000 }, () => {
  before(async () => {
    server = await startServer();
    await mkdir(artifacts, { recursive: true });
    communities = (await getApi('/api/v1/communities')).communities;
    browser = await launchBrowser();
    session = await openOfflinePage(browser, server.url);
  });

  after(async () => {
    await session?.context.close();
    await browser?.close();
    await server?.stop();
  });

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

  test('the page loads and lists the communities with Chinese names', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-map-ready="true"], body[data-map-error]', { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.mapError ?? null), null, 'the page loaded its data');
    assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');

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

  test('the page requested nothing outside the local service and raised no errors', () => {
    assert.deepEqual(session.external, [], 'no request left the local service');
    assert.ok(session.requested.some((url) => url.includes('/tiles/buildings/')), 'building tiles came from the service');
    assert.deepEqual(session.pageErrors.map(String), [], 'no uncaught page errors');
    assert.deepEqual(session.consoleErrors, [], 'no console errors');
  });
});
