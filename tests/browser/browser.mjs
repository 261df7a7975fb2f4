// Headless Chromium for browser tests: Debian's /usr/bin/chromium (never a downloaded
// browser), and pages that may reach nothing but the local service.
//
//   const browser = await launchBrowser();
//   const session = await openOfflinePage(browser, server.url);
//   ... session.page ...
//   assert.deepEqual(session.external, []);   // no request left the machine
//
// Pages run in the zh-CN locale and the Asia/Shanghai time zone.
//
// Environment: CHROMIUM_PATH overrides /usr/bin/chromium.

import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The pages' time zone in tests (times shown as HH:MM are checked in it). */
export const TIMEZONE = 'Asia/Shanghai';

/**
 * Console errors other than the browser's own note of a refusal the test provoked on purpose:
 * a request answered with one of `statuses` (by default 401: signed out, a wrong password, an
 * ended session; a test may add 400, 403, 409 for the form errors it checks).
 */
export function unexpectedConsoleErrors(messages, { statuses = [401] } = {}) {
  const refused = /^Failed to load resource: the server responded with a status of (\d{3})\b/;
  return messages.filter((text) => {
    const m = refused.exec(text);
    return !(m && statuses.includes(Number(m[1])));
  });
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/**
 * A new context and page in which every request that is not to `baseUrl`'s origin is
 * aborted and recorded in `external` (as is any such request seen by other means).
 * `pageErrors` collects uncaught exceptions, `consoleErrors` console.error messages.
 * `device` adds context options (a phone: `isMobile`, `hasTouch`, `geolocation`, `permissions`).
 */
export async function openOfflinePage(browser, baseUrl, { viewport = { width: 1280, height: 800 }, device = {} } = {}) {
  const origin = new URL(baseUrl).origin;
  const isLocal = (url) => url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:');

  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: TIMEZONE, serviceWorkers: 'block', ...device });
  const external = [];
  const requested = [];
  const note = (url) => {
    if (!isLocal(url) && !external.includes(url)) external.push(url);
  };

  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    note(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => {
    requested.push(request.url());
    note(request.url());
  });

  const page = await context.newPage();
  const pageErrors = [];
  const consoleErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });

  return { context, page, external, requested, pageErrors, consoleErrors };
}

/**
 * Resolves once the MapLibre map the page exposes as `window[mapGlobal]` has stopped moving
 * and drawn every tile in view.
 */
export async function waitForMapIdle(page, mapGlobal) {
  await page.waitForFunction((name) => {
    const map = window[name];
    return map && map.loaded() && !map.isMoving() && map.areTilesLoaded();
  }, mapGlobal, { timeout: 60_000, polling: 100 });
}

/** Closes what a suite opened, in order: its page's context, the browser, the service. */
export async function closeSuite({ session, browser, server }) {
  await session?.context.close();
  await browser?.close();
  await server?.stop();
}
