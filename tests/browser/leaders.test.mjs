// The leaders' page (web/leaders.html) and the printable ranking against the real service with its
// default demo (which files a quarter of cases through the real workflow), in headless Chromium
// with no network beyond the local service. demo_leader opens the page from the header link, sees
// the heatmap counted by the service, moves the time slider back and sees it change, zooms in to
// the grids and the pins (never a private case), switches the indicators to the whole city, opens the month's ranking with its red flags
// and yellow cards, prints it, and downloads the register (a BOM, the columns).
//
// Run from the repo root after `cargo build`:  node --test tests/browser/leaders.test.mjs
// Leaves screenshots in tests/browser/artifacts/ (leaders-heatmap.png, leaders-slider.png,
// leaders-grids.png, leaders-ranking.png, ranking-print.png).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { apiGet, apiSignIn, submitSignIn } from './accounts.mjs';
import { closeSuite, launchBrowser, openOfflinePage, unexpectedConsoleErrors, waitForMapIdle } from './browser.mjs';
import { startServer, withServerLogsOnFailure } from './server.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');

let server;
let browser;
let session;
let token;

const counter = (page, name) => page.evaluate((n) => Number(document.body.dataset[n] ?? 0), name);

/** Runs `action` and waits until the counter `name` went up and nothing is under way. */
async function bumped(page, name, action) {
  const was = await counter(page, name);
  await action();
  await page.waitForFunction(({ n, b }) => Number(document.body.dataset[n] ?? 0) > b && document.body.dataset.busy === 'false',
    { n: name, b: was }, { timeout: 60_000, polling: 100 });
}

const heatmapOf = (page) => page.evaluate(() => window.leadersPage.heatmap);

describe('leaders page', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer();
    await mkdir(artifacts, { recursive: true });
    token = (await apiSignIn(server, server.accounts.leader)).token;
    browser = await launchBrowser();
    session = await openOfflinePage(browser, server.url, { viewport: { width: 1440, height: 900 } });
  });

  after(() => closeSuite({ session, browser, server }));

  test('the demo leader sees the heatmap change with the time slider, the grids and the ranking', () => withServerLogsOnFailure(server, async () => {
    const { page } = session;
    await page.goto(`${server.url}/`);
    await submitSignIn(page, server.accounts.leader);
    const link = page.locator('#leaders-link');
    await link.waitFor({ state: 'visible' });
    await link.click();
    await page.waitForSelector('body[data-leaders-ready="true"], body[data-leaders-error]', { timeout: 60_000 });
    assert.equal(await page.evaluate(() => document.body.dataset.leadersError ?? null), null, 'the page loaded');
    await waitForMapIdle(page, 'leadersMap');

    const first = await heatmapOf(page);
    assert.ok(first.total > 0 && first.cells.length > 0, `the last week has cases: ${JSON.stringify(first).slice(0, 200)}`);
    await bumped(page, 'heatmapLoaded', () => page.evaluate(() => window.leadersMap.zoomTo(13, { duration: 0 })));
    await waitForMapIdle(page, 'leadersMap');
    assert.equal(await page.evaluate(() => document.body.dataset.mapLayer), 'heatmap');
    assert.ok(await page.evaluate(() => window.leadersMap.querySourceFeatures('cells').length > 0), 'the heatmap is drawn from the cells');
    assert.match(await page.locator('#indicators').innerText(), /结案率/);
    assert.equal(await page.locator('#trend polyline').count(), 2, 'the trend of cases filed and closed');
    await page.screenshot({ path: path.join(artifacts, 'leaders-heatmap.png') });

    // Three weeks back: another week, other cells.
    const slider = page.locator('#time-slider');
    await bumped(page, 'heatmapLoaded', () => slider.fill(String(89 - 21)));
    const earlier = await heatmapOf(page);
    assert.notDeepEqual(earlier.cells, first.cells, 'the heatmap follows the slider');
    const query = await page.evaluate(() => window.leadersPage.heatmapQuery);
    assert.match(query, /from=.*&to=/);
    const counted = await apiGet(server, token, `/api/v1/heatmap?${query}`);
    assert.deepEqual(counted.cells, earlier.cells, 'the page shows what the service counts for the period');
    // By day, a single day.
    await bumped(page, 'heatmapLoaded', () => page.getByLabel('按日').check());
    assert.doesNotMatch(await page.locator('#period-text').innerText(), /—/);
    await page.screenshot({ path: path.join(artifacts, 'leaders-slider.png') });

    // Zoomed in: the grids coloured by cases per 1,000 households, then pins without disputes.
    await bumped(page, 'heatmapLoaded', () => page.getByLabel('按周').check());
    const centre = first.cells[0];
    await page.evaluate((c) => window.leadersMap.jumpTo({ center: [c[0], c[1]], zoom: 15.5 }), centre);
    await waitForMapIdle(page, 'leadersMap');
    assert.equal(await page.evaluate(() => document.body.dataset.mapLayer), 'choropleth');
    assert.ok(await page.evaluate(() => window.leadersMap.queryRenderedFeatures({ layers: ['grid-fill'] }).length > 0), 'grids are drawn');
    await page.screenshot({ path: path.join(artifacts, 'leaders-grids.png') });
    await page.evaluate((c) => window.leadersMap.jumpTo({ center: [c[0], c[1]], zoom: 17.5 }), centre);
    await waitForMapIdle(page, 'leadersMap');
    await page.waitForFunction(() => window.leadersMap.querySourceFeatures('pins').length > 0, null, { timeout: 30_000 });
    const pinned = await page.evaluate(() => window.leadersMap.querySourceFeatures('pins').map((f) => f.properties.category));
    assert.ok(pinned.every((c) => !/纠纷|矛盾/.test(c)), `no private case is a pin: ${pinned}`);

    // The demo leader's area is the whole demo city: the indicators can be the city's.
    const scope = page.locator('#indicator-scope');
    await scope.waitFor({ state: 'visible' });
    await bumped(page, 'indicatorsLoaded', () => scope.selectOption('city'));
    const shown = await page.evaluate(() => ({ answer: window.leadersPage.indicators, query: window.leadersPage.indicatorsQuery }));
    assert.match(shown.query, /^unit=city&from=.*&to=/);
    assert.equal(shown.answer.unit, 'city');
    const city = await apiGet(server, token, `/api/v1/indicators?${shown.query}`);
    assert.deepEqual(shown.answer, city, 'the panel shows the city as the service counts it');
    assert.match(await page.locator('#indicators').innerText(), new RegExp(`立案\\D*${city.indicators.filed}`));

    // The month's ranking.
    await bumped(page, 'rankingLoaded', () => page.getByRole('button', { name: '查看排名' }).click());
    const rows = page.locator('#ranking tbody tr');
    assert.ok(await rows.count() >= 4, 'the demo communities are ranked');
    assert.ok(await page.locator('#ranking .mark.red_flag', { hasText: '流动红旗' }).count() >= 1, 'a red flag');
    assert.ok(await page.locator('#ranking .mark.yellow_card', { hasText: '黄牌' }).count() >= 1, 'a yellow card');
    await page.screenshot({ path: path.join(artifacts, 'leaders-ranking.png') });

    // The register from the page's export link: UTF-8 with a BOM, the columns.
    const href = await page.locator('#export-register').getAttribute('href');
    const bytes = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer()).slice(0, 300)), href);
    assert.deepEqual(bytes.slice(0, 3), [0xef, 0xbb, 0xbf], 'a BOM');
    const text = new TextDecoder().decode(new Uint8Array(bytes));
    assert.match(text, /案卷号,立案时间,类别,问题描述,社区,网格,楼栋,责任单位,处置时限,状态/);

    // The printable ranking.
    const printHref = await page.locator('#export-ranking').getAttribute('href');
    await page.goto(`${server.url}${printHref}`);
    await page.waitForFunction(() => Number(document.body.dataset.rankingLoaded ?? 0) > 0, null, { timeout: 30_000 });
    assert.match(await page.locator('#print-title').innerText(), /社区月度考评排名/);
    assert.ok(await page.locator('#ranking tbody tr.red_flag').count() >= 1);
    await page.emulateMedia({ media: 'print' });
    assert.ok(await page.locator('.print-actions').isHidden(), 'the print button is not printed');
    await page.screenshot({ path: path.join(artifacts, 'ranking-print.png'), fullPage: true });

    assert.deepEqual(session.external, [], 'nothing outside the service was requested');
    assert.deepEqual(session.pageErrors, []);
    assert.deepEqual(unexpectedConsoleErrors(session.consoleErrors), []);
  }));
});
