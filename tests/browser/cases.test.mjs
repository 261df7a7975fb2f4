// The inspector's page (web/inspect.html) and the case page (web/cases.html) against the real
// service with its default demo, in headless Chromium with no network beyond the local service.
// On a phone (390×844, touch, GPS granted inside a building of the second demo community)
// demo_inspector drops a pin by tapping the map, picks 卫生死角, writes a note, attaches a photo
// and files; demo_handler (desktop) finds the case in the queue, starts it, is refused a report
// without a photo (in Chinese), reports back with one; demo_inspector verifies and closes it on
// the case page. The API agrees at each step. A filing made offline waits in the outbox and is
// sent once back online; a filing whose answer was lost is sent again with its Idempotency-Key:
// each makes exactly one case. Near an open case of the same category the inspector adds to it
// instead. The case page lists the community's dead spots and the month's blind spots. A step
// the case has moved past meanwhile is refused in Chinese.
//
// Run from the repo root after `cargo build`:  node --test tests/browser/
// Leaves screenshots in tests/browser/artifacts/ (inspect-gps.png, inspect-filling.png,
// inspect-filed.png, cases-queue.png, cases-refused.png, cases-handled.png, cases-photo.png,
// cases-closed.png, inspect-offline.png, inspect-sent.png, inspect-nearby.png, cases-places.png,
// cases-moved-on.png).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

import { apiCall, apiGet, apiSignIn, submitSignIn } from './accounts.mjs';
import { closeSuite, launchBrowser, openOfflinePage, unexpectedConsoleErrors, waitForMapIdle } from './browser.mjs';
import { startServer, withServerLogsOnFailure } from './server.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const PHONE = { width: 390, height: 844 };
const GPS_ACCURACY = 8;

let server;
let browser;
let phone;          // demo_inspector's phone
let desk;           // demo_handler's desktop
let tokens;         // by role
let place;          // { building, lon, lat, organisation }: a building whose 卫生死角 goes to the committee
let caseId;         // the case filed from the phone
let noiseId;        // the case filed offline, still open at the GPS position

const api = (role, pathname) => apiGet(server, tokens[role], pathname);

/** A small RGB PNG (a gradient), made here so the test needs no file. */
function png(width = 32, height = 24) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    rows.push(0); // no filter
    for (let x = 0; x < width; x += 1) rows.push((x * 8) % 256, (y * 10) % 256, 128);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0)),
  ]);
}

const photoFile = (name) => ({ name, mimeType: 'image/png', buffer: png() });

/** The first building of the community with households whose 卫生死角 is routed to the community committee. */
async function findPlace(community) {
  const [w, s, e, n] = community.bbox;
  const buildings = await api('inspector', `/api/v1/buildings?bbox=${w},${s},${e},${n}&limit=1000`);
  for (const feature of buildings.features) {
    if (!(feature.properties.households > 0)) continue;
    const { type, coordinates } = feature.geometry;
    const ring = (type === 'MultiPolygon' ? coordinates[0][0] : coordinates[0]).slice(0, -1);
    const lon = ring.reduce((a, p) => a + p[0], 0) / ring.length;
    const lat = ring.reduce((a, p) => a + p[1], 0) / ring.length;
    const routing = await api('admin', `/api/v1/routing?lon=${lon}&lat=${lat}&category=sanitation.dead_spot`);
    if (routing.reason === 'community_committee' && String(routing.place.building_id) === String(feature.properties.id ?? feature.id)) {
      return { building: routing.place.building_id, lon, lat, organisation: routing.organisation };
    }
  }
  throw new Error(`no building of ${community.name} routes 卫生死角 to its committee`);
}

/** Console errors besides the refusals the test provokes and the requests it cuts off. */
function unexpected(session, statuses = [401]) {
  return unexpectedConsoleErrors(session.consoleErrors, { statuses })
    .filter((text) => !/net::ERR_(INTERNET_DISCONNECTED|CONNECTION_RESET|FAILED)/.test(text));
}

async function counterAbove(page, name, before) {
  await page.waitForFunction(({ name: n, before: b }) => Number(document.body.dataset[n] ?? 0) > b, { name, before }, { timeout: 60_000, polling: 100 });
}

const counter = (page, name) => page.evaluate((n) => Number(document.body.dataset[n] ?? 0), name);

/** Waits for the inspector's page to be ready, with the pin on the GPS position and the map drawn. */
async function waitForInspectPage(page) {
  await page.waitForSelector('body[data-inspect-ready="true"], body[data-inspect-error]', { timeout: 60_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.inspectError ?? null), null, 'the page loaded its data');
  await page.waitForSelector('body[data-pin="gps"]', { timeout: 30_000 });
  await waitForMapIdle(page, 'inspectMap');
}

/** Picks a category by tapping its group and then it. */
async function pickCategory(page, group, category) {
  await page.locator('#group-choices label.chip', { hasText: group }).tap();
  await page.locator('#category-choices label.chip', { hasText: category }).tap();
  assert.ok(await page.getByRole('radio', { name: category }).isChecked(), `${category} is picked`);
}

async function attachPhoto(page, input, name) {
  const uploaded = await page.locator('.photo-item[data-state="uploaded"]').count();
  await page.locator(input).setInputFiles(photoFile(name));
  await page.waitForFunction((n) => document.querySelectorAll('.photo-item[data-state="uploaded"]').length > n, uploaded, { timeout: 30_000 });
}

async function openCasePage(page, id) {
  await page.goto(`${server.url}/cases.html#case=${id}`);
  await page.waitForSelector(`body[data-cases-ready="true"][data-case-id="${id}"]`, { timeout: 60_000 });
}

/** Takes a step through its button and its form; resolves once the page shows the case after it. */
async function takeStep(page, button, { note, expectStatus }) {
  await page.getByRole('button', { name: button, exact: true }).click();
  const dialog = page.locator('#action-dialog');
  await dialog.waitFor({ state: 'visible' });
  if (note !== undefined) await dialog.locator('textarea').fill(note);
  await dialog.getByRole('button', { name: '确认' }).click();
  if (expectStatus) {
    await page.waitForSelector(`body[data-case-status="${expectStatus}"][data-busy="false"]`, { timeout: 30_000 });
    await dialog.waitFor({ state: 'hidden' });
  }
}

describe('case pages', { timeout: 900_000 }, () => {
  before(async () => {
    server = await startServer();
    await mkdir(artifacts, { recursive: true });
    tokens = {};
    for (const role of ['inspector', 'handler', 'admin']) tokens[role] = (await apiSignIn(server, server.accounts[role])).token;
    const { communities } = await api('inspector', '/api/v1/communities');
    assert.equal(communities.length, 1, 'the inspector has one community');
    place = await findPlace(communities[0]);
    browser = await launchBrowser();
    phone = await openOfflinePage(browser, server.url, {
      viewport: PHONE,
      device: {
        isMobile: true, hasTouch: true, deviceScaleFactor: 2,
        geolocation: { longitude: place.lon, latitude: place.lat, accuracy: GPS_ACCURACY }, permissions: ['geolocation'],
      },
    });
    desk = await openOfflinePage(browser, server.url);
  });

  after(async () => {
    await phone?.context.close();
    await closeSuite({ session: desk, browser, server });
  });

  test('an inspector files a finding from the phone: pin, category, note, photo', () => withServerLogsOnFailure(server, async () => {
    const { page } = phone;
    await page.goto(`${server.url}/inspect.html`);
    await submitSignIn(page, server.accounts.inspector);
    await waitForInspectPage(page);
    assert.equal(await page.title(), '网格 · 巡查上报');
    assert.match(await page.locator('#gps-status').textContent(), new RegExp(`±${GPS_ACCURACY} 米`));
    assert.match(await page.locator('#pin-status').textContent(), /GPS/);
    const centre = await page.evaluate(() => window.inspectMap.getCenter().toArray());
    assert.ok(Math.abs(centre[0] - place.lon) < 1e-6 && Math.abs(centre[1] - place.lat) < 1e-6, 'the map centres on the GPS position');
    for (const [link, visible] of [['#cases-link', true], ['#admin-link', false], ['#planner-link', false]]) {
      assert.equal(await page.locator(link).isVisible(), visible, link);
    }
    await page.screenshot({ path: path.join(artifacts, 'inspect-gps.png') });

    // A fix worse than the service's limit (GET /api/v1/cases/settings: 50 m) is warned about.
    await phone.context.setGeolocation({ longitude: place.lon, latitude: place.lat, accuracy: 120 });
    await page.waitForSelector('#gps-status[data-kind="warn"]', { timeout: 30_000 });
    assert.equal((await page.locator('#gps-status').textContent()).trim(), '定位精度 ±120 米，低于要求（50 米）：请在地图上点选准确位置');
    await phone.context.setGeolocation({ longitude: place.lon, latitude: place.lat, accuracy: GPS_ACCURACY });
    await page.waitForSelector('#gps-status[data-kind="info"]', { timeout: 30_000 });

    // Every control is a touch target of at least 44 px.
    const small = await page.evaluate(() => [...document.querySelectorAll('#sheet button, #sheet label.chip, #sheet .photo-add, #locate')]
      .filter((n) => n.offsetParent !== null && n.getBoundingClientRect().height < 44).map((n) => n.id || n.textContent.trim()));
    assert.deepEqual(small, [], 'touch targets under 44 px');

    // A tap on the building places the pin by hand.
    const tap = await page.evaluate(([lon, lat]) => {
      const map = window.inspectMap;
      const rect = map.getCanvas().getBoundingClientRect();
      const p = map.project([lon, lat]);
      return { x: rect.left + p.x, y: rect.top + p.y };
    }, [place.lon, place.lat]);
    await page.touchscreen.tap(tap.x, tap.y);
    await page.waitForSelector('body[data-pin="manual"]');
    assert.match(await page.locator('#pin-status').textContent(), /地图点选/);

    await pickCategory(page, '环境卫生', '卫生死角');
    await page.getByLabel('说明').fill('3号楼后卫生死角堆满垃圾');
    await attachPhoto(page, '#photo-input', 'dead-spot.png');
    await page.screenshot({ path: path.join(artifacts, 'inspect-filling.png'), fullPage: true });

    await page.getByRole('button', { name: '提交' }).tap();
    await page.waitForSelector('#filed:not([hidden])', { timeout: 30_000 });
    caseId = Number(await page.evaluate(() => document.body.dataset.filedId));
    const number = (await page.locator('#filed-facts dd[data-field="number"]').textContent()).trim();
    assert.match(number, /^\d{8}-\d{6}$/, 'the case number is shown');
    await page.screenshot({ path: path.join(artifacts, 'inspect-filed.png') });

    const { case: filed, photos, events } = await api('inspector', `/api/v1/cases/${caseId}`);
    assert.equal(filed.number, number);
    assert.equal(filed.category, 'sanitation.dead_spot');
    assert.equal(filed.description, '3号楼后卫生死角堆满垃圾');
    assert.equal(filed.status, 'dispatched');
    assert.equal(filed.building_id, place.building, 'snapped onto the tapped building');
    assert.equal(filed.submitted_crs, 'wgs84');
    assert.equal(filed.accuracy_m, null, 'a tapped pin has no GPS accuracy');
    assert.equal(filed.organisation_id, place.organisation.id, 'routed to the committee');
    assert.equal(photos.length, 1);
    assert.deepEqual(events[0].photos, [photos[0].id], 'the photo is on the filing');
    const routed = await page.locator('#filed-facts dd[data-field="organisation"]').textContent();
    assert.ok(routed.includes(filed.organisation), `the page says who it went to: ${routed}`);
    assert.match(await page.locator('#filed-facts dd[data-field="deadline"]').textContent(), /到期|逾期/);
    assert.deepEqual(phone.pageErrors, []);
    assert.deepEqual(unexpected(phone), []);
    assert.deepEqual(phone.external, [], 'nothing fetched from outside');
  }));

  test('the handler finds it in the queue, starts it and reports back with a photo; a refusal is in Chinese', () => withServerLogsOnFailure(server, async () => {
    const { page } = desk;
    await page.goto(`${server.url}/cases.html`);
    await submitSignIn(page, server.accounts.handler);
    await page.waitForSelector('body[data-cases-ready="true"]', { timeout: 60_000 });
    assert.equal((await page.locator('#list-title').textContent()).trim(), '我的待办');
    const queue = await api('handler', '/api/v1/cases?queue=true');
    assert.ok(queue.cases.some((c) => c.id === caseId), 'the API puts it in the handler\'s queue');
    const item = page.locator(`#case-list li[data-case-id="${caseId}"]`);
    await item.waitFor();
    assert.match(await item.locator('.deadline').textContent(), /^(今天 \d\d:\d\d 到期|明天 \d\d:\d\d 到期|\d+月\d+日 \d\d:\d\d 到期|逾期 .+)$/);
    await page.screenshot({ path: path.join(artifacts, 'cases-queue.png') });

    // 已逾期 keeps what the API calls overdue in the queue.
    const overdue = await api('handler', '/api/v1/cases?queue=true&overdue=true&limit=500');
    const loaded = await counter(page, 'listLoaded');
    await page.getByLabel('已逾期').check();
    await counterAbove(page, 'listLoaded', loaded);
    const shown = await page.locator('#case-list li').evaluateAll((items) => items.map((li) => Number(li.dataset.caseId)));
    assert.deepEqual(shown, overdue.cases.map((c) => c.id), 'the overdue ones, in the API\'s order');
    for (const text of await page.locator('#case-list .deadline').allTextContents()) assert.match(text, /^逾期 /);
    await page.getByLabel('已逾期').uncheck();
    await item.waitFor();

    await item.locator('a').click();
    await page.waitForSelector(`body[data-case-id="${caseId}"]`);
    await waitForMapIdle(page, 'caseMap');
    assert.equal((await page.locator('#case-facts dd[data-field="category"]').textContent()).trim(), '卫生死角');
    assert.equal((await page.locator('#case-status-badge').textContent()).trim(), '派遣');
    assert.deepEqual(await page.locator('#timeline .event-action').allTextContents(), ['上报', '立案', '派遣']);
    const filingPhoto = page.locator('#timeline li.event').first().locator('.photo-thumb img');
    assert.equal(await filingPhoto.count(), 1, 'the inspector\'s photo is on the filing');
    await page.waitForFunction(() => document.querySelector('#timeline .photo-thumb img')?.naturalWidth > 0);
    const buttons = await page.locator('#action-buttons button').allTextContents();
    const allowed = (await api('handler', `/api/v1/cases/${caseId}`)).allowed;
    assert.deepEqual([...buttons].sort(), allowed.map((a) => ({
      start: '开始处置', return: '退回', backlog: '挂账', report: '处理反馈', duplicate: '重复',
    })[a]).sort(), 'a button for exactly each allowed step');

    await takeStep(page, '开始处置', { expectStatus: 'in_progress' });
    assert.equal((await api('handler', `/api/v1/cases/${caseId}`)).case.status, 'in_progress');
    assert.equal((await page.locator('#case-status-badge').textContent()).trim(), '处置中');

    // Reporting back without a photo is refused, in Chinese, next to the photos.
    await takeStep(page, '处理反馈', { note: '已清理完毕' });
    const refusal = page.locator('#action-dialog [data-field-error="photos"]');
    await refusal.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal((await refusal.textContent()).trim(), '处理反馈须附至少一张处置后的照片');
    assert.equal((await api('handler', `/api/v1/cases/${caseId}`)).case.status, 'in_progress', 'nothing changed');
    await page.screenshot({ path: path.join(artifacts, 'cases-refused.png') });

    await attachPhoto(page, '#action-photo-input', 'cleaned.png');
    await page.locator('#action-dialog').getByRole('button', { name: '确认' }).click();
    await page.waitForSelector('body[data-case-status="handled"][data-busy="false"]', { timeout: 30_000 });
    const { case: handled, events } = await api('handler', `/api/v1/cases/${caseId}`);
    assert.equal(handled.status, 'handled');
    const report = events.at(-1);
    assert.deepEqual([report.action, report.note, report.photos.length], ['report', '已清理完毕', 1]);
    assert.equal((await page.locator('#timeline li.event').last().locator('.event-action').textContent()).trim(), '处理反馈');
    assert.equal((await page.locator('#action-notice').textContent()).trim(), '已完成：处理反馈');
    await page.screenshot({ path: path.join(artifacts, 'cases-handled.png'), fullPage: true });

    assert.equal(await page.locator('#action-buttons button').count(), 0, 'nothing left for the handler');

    // A camera-sized photo travels as the service would keep it: 2,000 px at most, JPEG.
    const shrunk = await page.evaluate(async () => {
      const { shrinkPhoto } = await import('/js/photos.js');
      // Noise, which no format shrinks much: a photo's worth of megabytes.
      const [width, height] = [2400, 1800];
      const pixels = new ImageData(width, height);
      for (let i = 0; i < pixels.data.length; i += 1) pixels.data[i] = (i % 4 === 3) ? 255 : Math.floor(Math.random() * 256);
      const canvas = new OffscreenCanvas(width, height);
      canvas.getContext('2d').putImageData(pixels, 0, 0);
      const camera = await canvas.convertToBlob({ type: 'image/png' });
      const sent = await shrinkPhoto(camera);
      const bitmap = await createImageBitmap(sent);
      return { type: sent.type, width: bitmap.width, height: bitmap.height, smaller: sent.size < camera.size };
    });
    assert.deepEqual(shrunk, { type: 'image/jpeg', width: 2000, height: 1500, smaller: true });
    assert.deepEqual(desk.pageErrors, []);
    assert.deepEqual(unexpected(desk, [401, 422]), []);
    assert.deepEqual(desk.external, []);
  }));

  test('the inspector verifies and closes it on the case page, with the photos enlarged', () => withServerLogsOnFailure(server, async () => {
    const { page } = phone;
    await page.getByRole('button', { name: '继续上报' }).tap();
    await page.getByRole('tab', { name: '我的上报' }).tap();
    const link = page.locator(`#my-cases li[data-case-id="${caseId}"] a`);
    await link.waitFor();
    assert.equal((await link.locator('.status-badge').textContent()).trim(), '已处置');
    await link.tap();
    await page.waitForSelector('body[data-cases-ready="true"]', { timeout: 60_000 });
    await page.waitForSelector(`body[data-case-id="${caseId}"]`);
    assert.equal((await page.locator('#list-title').textContent()).trim(), '我上报的案件');

    const thumbs = page.locator('#timeline .photo-thumb');
    assert.equal(await thumbs.count(), 2, 'the filing\'s photo and the report\'s');
    await thumbs.last().tap();
    const large = page.locator('#photo-dialog img');
    await large.waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelector('#photo-dialog img').naturalWidth > 0);
    await page.screenshot({ path: path.join(artifacts, 'cases-photo.png') });
    await page.locator('#photo-dialog').tap();
    await large.waitFor({ state: 'hidden' });

    await takeStep(page, '核查通过', { expectStatus: 'verified' });
    assert.equal((await api('inspector', `/api/v1/cases/${caseId}`)).case.status, 'verified');
    await takeStep(page, '结案', { note: '现场已清理干净', expectStatus: 'closed' });
    const { case: closed, events } = await api('inspector', `/api/v1/cases/${caseId}`);
    assert.equal(closed.status, 'closed');
    assert.ok(closed.closed_at);
    assert.deepEqual(events.map((e) => e.action), ['report', 'register', 'dispatch', 'start', 'report', 'verify', 'close']);
    assert.equal((await page.locator('#case-status-badge').textContent()).trim(), '结案');
    assert.deepEqual(await page.locator('#timeline .event-action').allTextContents(),
      ['上报', '立案', '派遣', '开始处置', '处理反馈', '核查通过', '结案']);
    await page.screenshot({ path: path.join(artifacts, 'cases-closed.png'), fullPage: true });
    assert.deepEqual(phone.pageErrors, []);
    assert.deepEqual(unexpected(phone), []);
  }));

  test('a filing made offline waits in the outbox and is sent once back online, as one case', () => withServerLogsOnFailure(server, async () => {
    const { page, context } = phone;
    await page.goto(`${server.url}/inspect.html`);
    await waitForInspectPage(page);
    const before = (await api('inspector', '/api/v1/cases?sort=-created')).cases.length;

    await context.setOffline(true);
    await pickCategory(page, '秩序', '噪音扰民');
    await page.getByLabel('说明').fill('夜间施工噪音');
    await page.locator('#photo-input').setInputFiles(photoFile('noise.png'));
    await page.waitForSelector('.photo-item[data-state="waiting"]', { timeout: 30_000 });
    await page.getByRole('button', { name: '提交' }).tap();
    await page.waitForSelector('body[data-outbox="1"]', { timeout: 30_000 });
    assert.equal((await page.locator('#queue-count').textContent()).trim(), '待发送 1');
    assert.match(await page.locator('#filing-notice').textContent(), /已保存/);
    assert.equal(await page.locator('.photo-item').count(), 0, 'a fresh form for the next finding');
    await page.screenshot({ path: path.join(artifacts, 'inspect-offline.png') });
    assert.equal((await api('inspector', '/api/v1/cases?sort=-created')).cases.length, before, 'nothing sent yet');

    const sent = await counter(page, 'outboxSent');
    await context.setOffline(false);
    await counterAbove(page, 'outboxSent', sent);
    await page.waitForSelector('body[data-outbox="0"]');
    assert.ok(await page.locator('#queue-count').isHidden());
    const after = (await api('inspector', '/api/v1/cases?sort=-created')).cases;
    assert.equal(after.length, before + 1, 'exactly one case');
    noiseId = after[0].id;
    const { case: noise, photos } = await api('inspector', `/api/v1/cases/${noiseId}`);
    assert.deepEqual([noise.category, noise.description, noise.accuracy_m], ['order.noise', '夜间施工噪音', GPS_ACCURACY], 'the GPS pin carries its accuracy');
    assert.equal(photos.length, 1, 'the photo kept offline was uploaded');
    assert.match(await page.locator('#filing-notice').textContent(), new RegExp(noise.number));
    await page.screenshot({ path: path.join(artifacts, 'inspect-sent.png') });
  }));

  test('once opened, the inspector page opens again with no connection and files into the outbox', () => withServerLogsOnFailure(server, async () => {
    // A context of its own: the others block service workers, so that their routes see every request.
    const offline = await openOfflinePage(browser, server.url, {
      viewport: PHONE,
      device: {
        isMobile: true, hasTouch: true, serviceWorkers: 'allow',
        geolocation: { longitude: place.lon, latitude: place.lat, accuracy: GPS_ACCURACY }, permissions: ['geolocation'],
      },
    });
    try {
      const { page, context } = offline;
      await page.goto(`${server.url}/inspect.html`);
      await submitSignIn(page, server.accounts.inspector);
      await waitForInspectPage(page);
      await page.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, { timeout: 30_000 });
      await page.reload();
      await waitForInspectPage(page);
      assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the worker controls the page');
      const before = (await api('inspector', '/api/v1/cases?sort=-created')).cases.length;

      await context.setOffline(true);
      await page.reload();
      await waitForInspectPage(page);
      assert.match(await page.locator('#user-box').textContent(), new RegExp(server.accounts.inspector.username));
      await pickCategory(page, '设施', '路灯损坏');
      await page.getByLabel('说明').fill('小区东门路灯不亮');
      await page.getByRole('button', { name: '提交' }).tap();
      await page.waitForSelector('body[data-outbox="1"]', { timeout: 30_000 });
      await page.screenshot({ path: path.join(artifacts, 'inspect-opened-offline.png') });

      const sent = await counter(page, 'outboxSent');
      await context.setOffline(false);
      await counterAbove(page, 'outboxSent', sent);
      await page.waitForSelector('body[data-outbox="0"]');
      const after = (await api('inspector', '/api/v1/cases?sort=-created')).cases;
      assert.equal(after.length, before + 1, 'exactly one case');
      assert.equal(after[0].description, '小区东门路灯不亮');
      assert.deepEqual(offline.pageErrors, []);
    } finally {
      await offline.context.close();
    }
  }));

  test('an inspector walks a patrol: the track follows the GPS and the buildings near it count as checked', () => withServerLogsOnFailure(server, async () => {
    const { page, context } = phone;
    await page.goto(`${server.url}/inspect.html`);
    await waitForInspectPage(page);
    const { communities } = await api('inspector', '/api/v1/communities');
    const month = await page.evaluate(() => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7));
    const coverage = () => api('inspector', `/api/v1/patrols/coverage?community=${communities[0].id}&month=${month}`);
    const checked = (c) => c.grids.reduce((sum, g) => sum + g.checked, 0);

    await page.getByRole('tab', { name: '巡查' }).tap();
    await page.getByRole('button', { name: '开始巡查' }).tap();
    // About 80 m walked north from the building, a fix every 10 m.
    try {
      for (let step = 1; step <= 8; step += 1) {
        await context.setGeolocation({ longitude: place.lon, latitude: place.lat + (step * 10) / 111_195, accuracy: GPS_ACCURACY });
        await page.waitForSelector(`body[data-patrol-points="${step + 1}"]`, { timeout: 15_000 });
      }
      assert.match(await page.locator('#patrol-status').textContent(), /巡查中：9 个定位点，8\d 米/);
      const recorded = await counter(page, 'patrolsRecorded');
      await page.getByRole('button', { name: '结束并提交' }).tap();
      await counterAbove(page, 'patrolsRecorded', recorded);
    } finally {
      await context.setGeolocation({ longitude: place.lon, latitude: place.lat, accuracy: GPS_ACCURACY });
    }
    const status = await page.locator('#patrol-status').textContent();
    const count = Number(status.match(/检查了 (\d+) 栋楼/)?.[1]);
    assert.ok(count >= 1, `the building the walk started at is checked: ${status}`);
    assert.ok(checked(await coverage()) >= count, 'the month\'s coverage counts them');
    assert.ok(await page.getByRole('button', { name: '开始巡查' }).isVisible(), 'ready for the next patrol');
    await page.screenshot({ path: path.join(artifacts, 'inspect-patrol.png') });
    await page.getByRole('tab', { name: '上报', exact: true }).tap();
    await page.locator('#filing-form').waitFor({ state: 'visible' });
  }));

  test('a filing whose answer is lost is sent again with its key and makes one case', () => withServerLogsOnFailure(server, async () => {
    const { page } = phone;
    const before = (await api('inspector', '/api/v1/cases?sort=-created')).cases.length;
    // The first POST reaches the service, then the connection drops before the answer arrives.
    let lost = 0;
    await page.route('**/api/v1/cases', async (route) => {
      if (route.request().method() !== 'POST' || lost > 0) return route.continue();
      lost += 1;
      await route.fetch();
      return route.abort('connectionreset');
    });
    await pickCategory(page, '环境卫生', '楼道堆物');
    await page.getByLabel('说明').fill('楼道堆满纸箱');
    await page.getByRole('button', { name: '提交' }).tap();
    await page.waitForSelector('body[data-outbox="1"]', { timeout: 30_000 });
    assert.equal((await api('inspector', '/api/v1/cases?sort=-created')).cases.length, before + 1, 'the service made the case');

    const sent = await counter(page, 'outboxSent');
    await page.getByRole('tab', { name: '我的上报' }).tap();
    await page.getByRole('button', { name: '立即发送' }).tap();
    await counterAbove(page, 'outboxSent', sent);
    await page.waitForSelector('body[data-outbox="0"]');
    const cases = (await api('inspector', '/api/v1/cases?sort=-created')).cases;
    assert.equal(cases.length, before + 1, 'the retry answered the same case');
    assert.equal(cases.filter((c) => c.description === '楼道堆满纸箱').length, 1);
    assert.equal(lost, 1);
    await page.unroute('**/api/v1/cases');
    assert.deepEqual(phone.pageErrors, []);
    assert.deepEqual(phone.external, []);
  }));

  test('near an open case of the same category the inspector adds to it instead of filing again', () => withServerLogsOnFailure(server, async () => {
    const { page } = phone;
    const before = (await api('inspector', '/api/v1/cases?sort=-created')).cases.length;
    const { case: noise } = await api('inspector', `/api/v1/cases/${noiseId}`);
    await page.getByRole('tab', { name: '上报', exact: true }).tap();
    await pickCategory(page, '秩序', '噪音扰民');
    await page.getByLabel('说明').fill('晚上十点后仍在施工');
    await page.getByRole('button', { name: '提交' }).tap();
    const nearby = page.locator(`#nearby-list li[data-case-id="${noiseId}"]`);
    await nearby.waitFor({ timeout: 30_000 });
    assert.match(await page.locator('#nearby-title').textContent(), /附近 50 米内已有同类案件/);
    assert.equal((await nearby.locator('.case-number').textContent()).trim(), noise.number);
    await page.screenshot({ path: path.join(artifacts, 'inspect-nearby.png'), fullPage: true });

    await nearby.getByRole('button', { name: '补充到此案' }).tap();
    await page.waitForSelector('#filed:not([hidden])', { timeout: 30_000 });
    assert.equal((await page.locator('#filed-title').textContent()).trim(), '已补充到案件');
    assert.equal((await page.locator('#filed-facts dd[data-field="number"]').textContent()).trim(), noise.number);
    assert.equal((await api('inspector', '/api/v1/cases?sort=-created')).cases.length, before, 'no new case');
    const { events } = await api('inspector', `/api/v1/cases/${noiseId}`);
    assert.deepEqual([events.at(-1).action, events.at(-1).note], ['addition', '晚上十点后仍在施工']);
    await page.getByRole('button', { name: '继续上报' }).tap();
    assert.deepEqual(phone.pageErrors, []);
    assert.deepEqual(unexpected(phone), []);
  }));

  test('the case page lists the community\'s dead spots and the month\'s blind spots as the API has them', () => withServerLogsOnFailure(server, async () => {
    const { page } = phone;
    // A third sanitation finding at the building within 30 days makes it a dead spot.
    const filed = await apiCall(server, tokens.inspector, '/api/v1/cases', {
      method: 'POST', body: { lon: place.lon, lat: place.lat, category: 'sanitation.exposed_garbage', description: '又有垃圾' },
    });
    assert.equal(filed.status, 201, JSON.stringify(filed.body));
    await page.goto(`${server.url}/cases.html`);
    await page.waitForSelector('body[data-cases-ready="true"]', { timeout: 60_000 });
    const { communities } = await api('inspector', '/api/v1/communities');
    const community = communities[0].id;
    const loaded = await counter(page, 'placesLoaded');
    await page.getByText('卫生死角与巡查盲区').tap();
    await counterAbove(page, 'placesLoaded', loaded);
    const { dead_spots: spots } = await api('inspector', `/api/v1/dead-spots?community=${community}`);
    const ids = await page.locator('#dead-spots li[data-dead-spot-id]').evaluateAll((items) => items.map((li) => Number(li.dataset.deadSpotId)));
    assert.deepEqual(ids, spots.map((d) => d.id));
    const spot = spots.find((d) => d.case_count === 3);
    assert.ok(spot, `a dead spot of the three sanitation cases: ${JSON.stringify(spots)}`);
    const item = page.locator(`#dead-spots li[data-dead-spot-id="${spot.id}"]`);
    assert.match(await item.textContent(), /^3 次上报 · 首次 \d+月\d+日 · 最近 \d+月\d+日/);
    await item.getByRole('button', { name: '查看案件' }).tap();
    const links = item.locator('.place-cases a');
    await links.first().waitFor();
    const { cases: made } = await api('inspector', `/api/v1/dead-spots/${spot.id}`);
    assert.deepEqual(await links.allTextContents(), made.map((c) => `${c.number} · ${{ closed: '结案', dispatched: '派遣' }[c.status] ?? c.status}`));
    assert.ok(made.some((c) => c.id === caseId), 'the first finding is one of them');
    const coverage = await api('inspector', `/api/v1/patrols/coverage?community=${community}`);
    assert.equal((await page.locator('#coverage-summary').textContent()).trim(),
      `巡查覆盖 ${Math.round(coverage.coverage * 100)}%（${coverage.checked}/${coverage.buildings} 栋）`);
    const blind = await page.locator('#blind-spots li[data-building-id]').evaluateAll((items) => items.map((li) => Number(li.dataset.buildingId)));
    assert.deepEqual(blind, coverage.blind_spots.slice(0, 50).map((b) => b.id), 'the first blind spots, in the API\'s order');
    await page.screenshot({ path: path.join(artifacts, 'cases-places.png'), fullPage: true });
    assert.deepEqual(phone.pageErrors, []);
    assert.deepEqual(unexpected(phone), []);
  }));

  test('a step the case has moved past meanwhile is refused in Chinese and the case reloads; handlers file nothing', () => withServerLogsOnFailure(server, async () => {
    const { page } = desk;
    const { cases } = await api('handler', '/api/v1/cases?queue=true&status=dispatched');
    assert.ok(cases.length > 0, 'the handler has dispatched cases');
    const { id } = cases[0];
    await openCasePage(page, id);
    assert.ok(await page.getByRole('button', { name: '开始处置' }).isVisible());
    // An administrator starts it while the handler's page still offers 开始处置.
    const started = await fetch(`${server.url}/api/v1/cases/${id}/actions`, {
      method: 'POST', headers: { Authorization: `Bearer ${tokens.admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ action: 'start' }),
    });
    assert.equal(started.status, 200);
    const loaded = await counter(page, 'caseLoaded');
    await takeStep(page, '开始处置', {});
    await counterAbove(page, 'caseLoaded', loaded);
    await page.waitForSelector('#action-dialog', { state: 'hidden' });
    assert.equal((await page.locator('#action-error').textContent()).trim(), '案件状态已变化，不能再执行此操作（已刷新）');
    assert.equal((await page.locator('#case-status-badge').textContent()).trim(), '处置中', 'the page shows the case as it is now');
    assert.equal(await page.getByRole('button', { name: '开始处置' }).count(), 0);
    await page.screenshot({ path: path.join(artifacts, 'cases-moved-on.png') });

    await page.goto(`${server.url}/inspect.html`);
    await page.waitForSelector('body[data-session="forbidden"]', { timeout: 30_000 });
    assert.match(await page.locator('#forbidden').textContent(), /只有巡查员和管理员可以巡查上报/, 'a handler files nothing');
    assert.deepEqual(desk.pageErrors, []);
    assert.deepEqual(unexpected(desk, [401, 409, 422]), []);
  }));
});
