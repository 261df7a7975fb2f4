// The leaders' page's pure logic (web/js/leaders-model.js): slider periods, zoom layers, query
// strings, pin boxes, heatmap features, indicator texts, the trend's points and ranking rows.
// Run: node --test tests/browser/leaders-model.test.mjs

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  SLIDER_DAYS, addDays, areaParams, heatmapFeatures, indicatorRows, layerForZoom, mapQuery, movementText, percent,
  pinBox, rankingRows, resolutionForZoom, sliderPeriod, trendPoints, trendWeeks,
} from '../../web/js/leaders-model.js';

test('the slider counts back from today, by day or by the week ending on the day', () => {
  assert.equal(addDays('2026-03-01', -1), '2026-02-28');
  assert.equal(addDays('2026-12-31', 1), '2027-01-01');
  assert.deepEqual(sliderPeriod('2026-11-22', SLIDER_DAYS - 1, 'day'), { from: '2026-11-22', to: '2026-11-22' });
  assert.deepEqual(sliderPeriod('2026-11-22', SLIDER_DAYS - 1, 'week'), { from: '2026-11-16', to: '2026-11-22' });
  assert.deepEqual(sliderPeriod('2026-11-22', 0, 'day'), { from: '2026-08-25', to: '2026-08-25' });
});

test('zooming in goes from the heatmap to the grids to the pins, with smaller hexagons', () => {
  assert.deepEqual([12, 14.9, 15, 16.9, 17, 18].map(layerForZoom), ['heatmap', 'heatmap', 'choropleth', 'choropleth', 'pins', 'pins']);
  const sizes = [10, 12, 13, 14, 17].map(resolutionForZoom);
  assert.ok(sizes.every((s, i) => i === 0 || s <= sizes[i - 1]), String(sizes));
  assert.ok(sizes.every((s) => s >= 50 && s <= 2000), String(sizes));
});

test('queries leave out empty values and name a community before the sub-district', () => {
  assert.deepEqual(areaParams({ district: 1, community: '' }), { district: 1 });
  assert.deepEqual(areaParams({ district: 1, community: '7' }), { community: '7' });
  assert.equal(mapQuery({ district: 1, from: '2026-11-01', category: '', status: null }), 'district=1&from=2026-11-01');
});

test('pins are asked only for a box the service answers', () => {
  assert.equal(pinBox([114.4, 30.5, 114.41, 30.51]), '114.400000,30.500000,114.410000,30.510000');
  assert.equal(pinBox([114.4, 30.5, 114.5, 30.51]), null);
});

test('heatmap cells become points weighted by their share of the largest', () => {
  const features = heatmapFeatures({ max: 4, cells: [[114.4, 30.5, 4], [114.41, 30.5, 1]] }).features;
  assert.deepEqual(features.map((f) => f.properties), [{ count: 4, weight: 1 }, { count: 1, weight: 0.25 }]);
  assert.deepEqual(heatmapFeatures(null).features, []);
});

test('rates read as percentages and nothing to measure as a dash', () => {
  assert.equal(percent(0.8567), '85.7%');
  assert.equal(percent(null), '—');
  const rows = indicatorRows({ filed: 12, open_overdue: 2, closure_rate: 0.5, on_time_rate: null, rework_rate: 0, dead_spots_per_1000_households: 1.234, patrol_coverage: null });
  assert.deepEqual(rows.map((r) => r[1]), ['12', '50.0%', '—', '0.0%', '2', '1.23', '—']);
});

test('the trend has twelve weeks ending today and its largest value at the top', () => {
  const weeks = trendWeeks('2026-11-22');
  assert.equal(weeks.length, 12);
  assert.deepEqual(weeks.at(-1), { from: '2026-11-16', to: '2026-11-22' });
  assert.equal(weeks[0].to, '2026-09-06');
  assert.equal(trendPoints([0, 5, 10], 100, 50), '0.0,50.0 50.0,25.0 100.0,0.0');
  assert.equal(trendPoints([], 100, 50), '');
});

test('ranking rows name red flags, yellow cards, movement and escalation in Chinese', () => {
  const rows = rankingRows({ entries: [
    { community_id: 1, community: '关山社区', score: 91.25, rank: 1, mark: 'red_flag', movement: 2, escalation: null },
    { community_id: 2, community: '光谷社区', score: 40, rank: 6, mark: 'yellow_card', movement: -1, escalation: 'explain' },
    { community_id: 3, community: '新社区', score: 70, rank: 3, mark: null, movement: null, escalation: 'unsatisfactory' },
  ] });
  assert.deepEqual(rows.map((r) => [r.score, r.markText, r.movement, r.escalation]), [
    ['91.3', '流动红旗', '↑2', ''], ['40.0', '黄牌', '↓1', '书记说明'], ['70.0', '', '新', '年度不称职'],
  ]);
  assert.equal(movementText(0), '—');
});
