// The inspector page's service worker (web/sw.js), in node: what it keeps for opening offline
// is exactly what the page loads — its stylesheets and scripts, and every module the page's
// script imports, however deep — so that a module added to the page is not missing offline.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SHELL } from '../../web/sw.js';

const web = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/** `/js/x.js` and every module it imports, transitively. */
async function modules(start) {
  const found = new Set();
  const pending = [start];
  while (pending.length) {
    const url = pending.pop();
    if (found.has(url)) continue;
    found.add(url);
    const source = await readFile(path.join(web, url), 'utf8');
    for (const [, , relative] of source.matchAll(/(import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
      pending.push(path.posix.join(path.posix.dirname(url), relative));
    }
  }
  return found;
}

test('the worker keeps the inspector page, everything it links, and every module it imports', async () => {
  const html = await readFile(path.join(web, 'inspect.html'), 'utf8');
  const linked = [...html.matchAll(/(?:href|src)="(\/[^"]+\.(?:css|js))"/g)].map((m) => m[1]);
  assert.ok(linked.includes('/js/inspect.js'));
  const expected = new Set(['/inspect.html', ...linked, ...(await modules('/js/inspect.js'))]);
  assert.deepEqual([...SHELL].sort(), [...expected].sort());
});
