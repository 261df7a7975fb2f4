// The web page's pure helpers (no browser, no service): the message table, the map style,
// the households ramp and bounding boxes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { messages, t } from '../../web/js/i18n.js';
import {
  HOUSEHOLD_CLASSES, LAYER_IDS, TILE_LAYERS, TILE_MAXZOOM, boundsOfBboxes, buildStyle,
  householdClassLabel, householdColor,
} from '../../web/js/map.js';

describe('i18n', () => {
  test('every message has a Chinese and an English text', () => {
    for (const [key, entry] of Object.entries(messages)) {
      assert.equal(entry.length, 2, `${key} has two texts`);
      assert.ok(entry.every((text) => typeof text === 'string' && text.length > 0), `${key} texts are non-empty`);
    }
  });

  test('t fills placeholders and falls back to the key', () => {
    assert.equal(t('households'), '户数');
    assert.equal(t('unit_number', { n: 3 }), '单元 3');
    assert.equal(t('no_such_key'), 'no_such_key');
  });
});

describe('map style', () => {
  const style = buildStyle('http://127.0.0.1:8080');

  test('has a source per service layer with absolute tile URLs and maxzoom 16', () => {
    assert.deepEqual(Object.keys(style.sources).sort(), [...TILE_LAYERS].sort());
    for (const [name, source] of Object.entries(style.sources)) {
      assert.deepEqual(source.tiles, [`http://127.0.0.1:8080/tiles/${name}/{z}/{x}/{y}.mvt`]);
      assert.equal(source.maxzoom, TILE_MAXZOOM);
    }
  });

  test('each vector layer reads the tile layer named like its source', () => {
    for (const layer of style.layers.filter((l) => l.source)) {
      assert.equal(layer['source-layer'], layer.source, layer.id);
    }
  });

  test('uses no glyphs, sprites or symbol layers (nothing to fetch offline)', () => {
    assert.equal(style.glyphs, undefined);
    assert.equal(style.sprite, undefined);
    assert.ok(style.layers.every((l) => l.type !== 'symbol'));
  });

  test('names every layer id it exports', () => {
    const ids = new Set(style.layers.map((l) => l.id));
    for (const id of Object.values(LAYER_IDS)) assert.ok(ids.has(id), id);
  });
});

describe('households ramp', () => {
  test('classes are contiguous from 0 up', () => {
    assert.equal(HOUSEHOLD_CLASSES[0].min, 0);
    for (let i = 1; i < HOUSEHOLD_CLASSES.length; i += 1) {
      assert.equal(HOUSEHOLD_CLASSES[i].min, HOUSEHOLD_CLASSES[i - 1].max + 1);
    }
    assert.equal(HOUSEHOLD_CLASSES.at(-1).max, null);
  });

  test('colours by class, with no households grey', () => {
    assert.equal(householdColor(0), HOUSEHOLD_CLASSES[0].color);
    assert.equal(householdColor(null), HOUSEHOLD_CLASSES[0].color);
    assert.equal(householdColor(1), HOUSEHOLD_CLASSES[1].color);
    assert.equal(householdColor(300), HOUSEHOLD_CLASSES[4].color);
    assert.equal(householdColor(699), HOUSEHOLD_CLASSES[4].color);
    assert.equal(householdColor(5000), HOUSEHOLD_CLASSES[5].color);
  });

  test('labels classes for the legend', () => {
    assert.deepEqual(HOUSEHOLD_CLASSES.map(householdClassLabel), ['0', '1–49', '50–149', '150–299', '300–699', '≥700']);
  });
});

describe('boundsOfBboxes', () => {
  test('unions boxes and skips invalid ones', () => {
    assert.deepEqual(boundsOfBboxes([[1, 2, 3, 4], null, [0, 3, 2, 5], [1, 2, 3]]), [[0, 2], [3, 5]]);
  });

  test('is null when there is no box', () => {
    assert.equal(boundsOfBboxes([]), null);
    assert.equal(boundsOfBboxes(undefined), null);
  });
});
