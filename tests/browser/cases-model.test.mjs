// The case pages' pure helpers (web/js/cases-model.js, web/js/inspect-model.js), in node:
// labels of states, steps and events, deadlines relative to now in China time, list queries per
// role, the bodies of steps and filings, refusals in Chinese, the GPS accuracy and its circle,
// the outbox entries whose body never changes between retries, and dead spots and blind spots in
// words.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { isConnectionFailure } from '../../web/js/api.js';
import {
  ACTIONS, OPEN_STATUSES, STATUSES, actionBody, actionForm, actionLabel, blindSpotText, canOpenCases, canReadCoverage,
  caseHref, caseIdFrom, categoryName, categoryTree, chinaClock, chinaDateTime, chinaMonth, chinaToday, coverageText,
  deadSpotText, deadlineInfo, durationText, eventDetailText, eventLabel, listKind, listQuery, myCases, photoLinks,
  placeText, refusalText, resolveCaseRef, statusLabel,
} from '../../web/js/cases-model.js';
import { messages } from '../../web/js/i18n.js';
import {
  TRACK_STEP_M, accuracyState, canInspect, circlePolygon, communityAt, distanceM, extendTrack, filingBody, nearbyPath,
  outboxBody, outboxEntry, patrolBody, pinText, trackLength, userEntries, withUploadedPhoto,
} from '../../web/js/inspect-model.js';

const HOUR = 3600_000;
const MINUTE = 60_000;
// 2026-11-23 (a Monday) 10:00 in China is 02:00 UTC.
const NOW = Date.parse('2026-11-23T02:00:00Z');

describe('labels', () => {
  test('every state and step has a Chinese label', () => {
    for (const status of STATUSES) assert.ok(messages[`case_status_${status}`], status);
    for (const action of ACTIONS) assert.ok(messages[`case_action_${action}`], action);
    assert.equal(statusLabel('in_progress'), '处置中');
    assert.equal(statusLabel('backlog'), '挂账');
    assert.equal(statusLabel('closed'), '结案');
    assert.equal(statusLabel('cancelled'), '作废');
    assert.equal(actionLabel('report'), '处理反馈');
    assert.equal(actionLabel('return'), '退回');
    assert.equal(actionLabel('reject'), '返工');
    assert.equal(actionLabel('feedback'), '回访');
    assert.equal(statusLabel('weird'), 'weird', 'an unknown state is shown as it is');
  });

  test('the filing is 上报, a later report is 处理反馈, other events by their action', () => {
    assert.equal(eventLabel({ action: 'report', from_status: null, to_status: 'reported' }), '上报');
    assert.equal(eventLabel({ action: 'report', from_status: 'in_progress', to_status: 'handled' }), '处理反馈');
    assert.equal(eventLabel({ action: 'addition', from_status: 'dispatched', to_status: 'dispatched' }), '补充');
    assert.equal(eventLabel({ action: 'verify', from_status: 'handled', to_status: 'verified' }), '核查通过');
  });

  test('events say where they sent the case, until when, which duplicate', () => {
    const dispatch = { action: 'dispatch', details: { organisation: { id: 3, name: '关山社区居委会' }, person: { id: 9, name: '王芳' } } };
    assert.equal(eventDetailText(dispatch), '派遣至 关山社区居委会（王芳）');
    assert.equal(eventDetailText({ action: 'backlog', details: { until: '2026-11-30' } }), '预计 2026-11-30 解决');
    assert.equal(eventDetailText({ action: 'duplicate_linked', details: { duplicate: 5, number: '20261123-000005' } }), '与案件 20261123-000005 重复');
    assert.equal(eventDetailText({ action: 'start', details: {} }), '');
  });

  test('categories: groups with their sub-categories, private ones kept', () => {
    const tree = categoryTree([
      { code: 'sanitation', parent: null, name: '环境卫生', name_en: 'sanitation' },
      { code: 'sanitation.dead_spot', parent: 'sanitation', name: '卫生死角', name_en: 'hygiene dead spot', private: false },
      { code: 'empty', parent: null, name: '空', name_en: 'empty' },
      { code: 'disputes', parent: null, name: '矛盾纠纷', private: true },
      { code: 'disputes.family', parent: 'disputes', name: '家庭矛盾', private: true },
    ]);
    assert.deepEqual(tree.map((g) => [g.code, g.children.map((c) => c.code)]), [
      ['sanitation', ['sanitation.dead_spot']], ['disputes', ['disputes.family']],
    ]);
    assert.equal(categoryName(tree[0].children[0]), '卫生死角');
  });

  test('the place names what the case has', () => {
    assert.equal(placeText({ community: '关山社区', grid_code: '420111006001001', building: '3号楼' }), '关山社区 · 网格 420111006001001 · 3号楼');
    assert.equal(placeText({ community: '关山社区', grid_code: null, building: null }), '关山社区');
  });
});

describe('deadlines in China time', () => {
  const open = (deadline) => ({ status: 'dispatched', deadline });

  test('China wall clock whatever the device zone', () => {
    assert.deepEqual(chinaClock('2026-11-23T09:30:00Z'), { year: 2026, month: 11, day: 23, hour: 17, minute: 30, dayNumber: chinaClock('2026-11-23T00:00:00Z').dayNumber });
    assert.equal(chinaClock('2026-11-23T16:00:00Z').day, 24, 'midnight in China is 16:00 UTC');
    assert.equal(chinaDateTime('2026-11-23T09:30:00Z'), '11月23日 17:30');
    assert.equal(chinaToday(Date.parse('2026-11-23T16:30:00Z')), '2026-11-24');
    assert.equal(chinaClock('not a time'), null);
  });

  test('overdue, today, tomorrow, later', () => {
    assert.deepEqual(deadlineInfo(open(new Date(NOW - 2 * HOUR - 5 * MINUTE).toISOString()), NOW), { kind: 'overdue', text: '逾期 2 小时' });
    assert.deepEqual(deadlineInfo(open('2026-11-23T09:30:00Z'), NOW), { kind: 'today', text: '今天 17:30 到期' });
    assert.deepEqual(deadlineInfo(open('2026-11-24T09:30:00Z'), NOW), { kind: 'tomorrow', text: '明天 17:30 到期' });
    assert.deepEqual(deadlineInfo(open('2026-11-26T04:00:00Z'), NOW), { kind: 'later', text: '11月26日 12:00 到期' });
    // 23:00 UTC on the 23rd is already the 24th in China.
    assert.equal(deadlineInfo(open('2026-11-23T23:00:00Z'), NOW).kind, 'tomorrow');
  });

  test('a finished case or one without a deadline is not counted down', () => {
    assert.deepEqual(deadlineInfo({ status: 'closed', deadline: '2026-11-20T09:30:00Z' }, NOW), { kind: 'done', text: '期限 11月20日 17:30' });
    assert.deepEqual(deadlineInfo({ status: 'reported', deadline: null }, NOW), { kind: 'none', text: '' });
    for (const status of OPEN_STATUSES) assert.equal(deadlineInfo({ status, deadline: '2026-11-20T09:30:00Z' }, NOW).kind, 'overdue');
  });

  test('lapses in minutes, hours, days', () => {
    assert.equal(durationText(10 * 1000), '1 分钟');
    assert.equal(durationText(59 * MINUTE), '59 分钟');
    assert.equal(durationText(47 * HOUR), '47 小时');
    assert.equal(durationText(50 * HOUR), '2 天');
  });
});

describe('lists', () => {
  const handler = { id: 5, role: 'handler' };
  const admin = { id: 1, role: 'admin' };
  const inspector = { id: 4, role: 'inspector' };

  test('a handler gets their queue, others their area, with the filters', () => {
    assert.equal(listKind(handler), 'queue');
    assert.equal(listKind(inspector), 'mine');
    assert.equal(listKind({ role: 'leader' }), 'area');
    assert.equal(listQuery(handler), '/api/v1/cases?queue=true&limit=500');
    assert.equal(listQuery(admin, { status: 'dispatched', group: 'sanitation', overdue: true, dueToday: true }),
      '/api/v1/cases?status=dispatched&category=sanitation&overdue=true&due_today=true&limit=500');
  });

  test('我的上报: an inspector all they see, an administrator only what they filed', () => {
    const cases = [{ id: 1, reporter_id: 1 }, { id: 2, reporter_id: 4 }];
    assert.deepEqual(myCases(cases, inspector).map((c) => c.id), [1, 2]);
    assert.deepEqual(myCases(cases, admin).map((c) => c.id), [1]);
  });

  test('who opens which page', () => {
    for (const role of ['handler', 'admin', 'leader', 'inspector']) assert.ok(canOpenCases({ role }), role);
    assert.ok(!canOpenCases({ role: 'planner' }));
    assert.ok(canInspect({ role: 'inspector' }) && canInspect({ role: 'admin' }));
    assert.ok(!canInspect({ role: 'handler' }) && !canInspect(null));
  });

  test('case addresses', () => {
    assert.equal(caseHref(17), '/cases.html#case=17');
    assert.equal(caseIdFrom('http://x/cases.html#case=17'), 17);
    assert.equal(caseIdFrom('http://x/cases.html?lang=en&case=9'), 9);
    assert.equal(caseIdFrom('http://x/cases.html#case=abc'), null);
    assert.equal(caseIdFrom('http://x/cases.html'), null);
  });
});

describe('steps', () => {
  test('each step asks for what it needs', () => {
    assert.deepEqual(actionForm('report'), { note: 'required', noteLabel: '处置情况', photos: true, until: false, duplicateOf: false });
    assert.equal(actionForm('backlog').until, true);
    assert.equal(actionForm('duplicate').duplicateOf, true);
    assert.equal(actionForm('start').note, 'optional');
    assert.equal(actionForm('start').noteLabel, '说明');
  });

  test('bodies carry only what was given', () => {
    assert.deepEqual(actionBody('start', { note: '  ' }), { action: 'start' });
    assert.deepEqual(actionBody('report', { note: ' 已清理 ', photos: [3, 4] }), { action: 'report', note: '已清理', photos: [3, 4] });
    assert.deepEqual(actionBody('backlog', { note: '等待物业', until: '2026-11-30' }), { action: 'backlog', note: '等待物业', until: '2026-11-30' });
    assert.deepEqual(actionBody('duplicate', { duplicateOf: 12 }), { action: 'duplicate', duplicate_of: 12 });
  });

  test('the original of a duplicate by number or id', () => {
    const candidates = [{ id: 12, number: '20261123-000012' }];
    assert.equal(resolveCaseRef('20261123-000012', candidates), 12);
    assert.equal(resolveCaseRef(' #12 ', candidates), 12);
    assert.equal(resolveCaseRef('7', candidates), 7);
    assert.equal(resolveCaseRef('20261123-000099', candidates), null);
    assert.equal(resolveCaseRef('', candidates), undefined);
  });

  test('refusals in Chinese by code and field, else the service sentence', () => {
    assert.equal(refusalText({ code: 'photo_required', message: 'reporting back needs…' }), '处理反馈须附至少一张处置后的照片');
    assert.equal(refusalText({ code: 'required', details: { field: 'note' } }), '请填写说明');
    assert.equal(refusalText({ code: 'required', details: { field: 'other' } }), '请填写此项');
    assert.equal(refusalText({ code: 'owner_of_last_resort' }), '街道办事处属地兜底，不能退回案件');
    assert.equal(refusalText({ code: 'rate_limited', details: { retry_after: 3 } }), '操作过于频繁，请 3 秒后再试');
    assert.equal(refusalText({ code: 'something_new', message: 'as the service said' }), 'as the service said');
  });

  test('photo links by id', () => {
    const links = photoLinks([{ id: 3, url: '/api/v1/photos/3', thumbnail_url: '/api/v1/photos/3/thumbnail' }]);
    assert.equal(links.get(3).thumbnail_url, '/api/v1/photos/3/thumbnail');
  });
});

describe('filing', () => {
  test('the accuracy, and a warning above the limit', () => {
    assert.deepEqual(accuracyState(12.4, 50), { warn: false, text: 'GPS 定位精度 ±12 米' });
    assert.equal(accuracyState(120, 50).warn, true);
    assert.match(accuracyState(120, 50).text, /±120 米.*50 米/);
    assert.deepEqual(accuracyState(undefined, 50), { text: '', warn: false });
  });

  test('the pin in words', () => {
    assert.equal(pinText(null), '请在地图上点选问题位置');
    assert.equal(pinText({ lon: 1, lat: 2, accuracy: 8 }), '位置：GPS 定位（±8 米）');
    assert.match(pinText({ lon: 1, lat: 2 }), /地图点选/);
  });

  test('the accuracy circle lies at its radius around the position', () => {
    const [lon, lat] = [114.41, 30.5];
    const ring = circlePolygon([lon, lat], 100, 16).coordinates[0];
    assert.equal(ring.length, 17);
    assert.deepEqual(ring[0], ring[16], 'closed');
    const metresPerDegLat = 111_195;
    for (const [x, y] of ring) {
      const dx = (x - lon) * metresPerDegLat * Math.cos((lat * Math.PI) / 180);
      const dy = (y - lat) * metresPerDegLat;
      assert.ok(Math.abs(Math.hypot(dx, dy) - 100) < 0.5, `${Math.hypot(dx, dy)}`);
    }
  });

  test('a filing is sent in WGS84, with the accuracy only from GPS', () => {
    const gps = filingBody({ pin: { lon: 114.123456789, lat: 30.5, accuracy: 8.25 }, category: 'sanitation.dead_spot', note: ' 垃圾 ', photos: [1] });
    assert.deepEqual(gps, { lon: 114.1234568, lat: 30.5, crs: 'wgs84', category: 'sanitation.dead_spot', description: '垃圾', photos: [1], accuracy_m: 8.3 });
    const tapped = filingBody({ pin: { lon: 114.1, lat: 30.5 }, category: 'order.noise' });
    assert.equal('accuracy_m' in tapped, false);
    assert.equal(nearbyPath({ lon: 114.1, lat: 30.5 }, 'order.noise'), '/api/v1/cases/nearby?lon=114.1&lat=30.5&crs=wgs84&category=order.noise');
  });

  test('an outbox entry sends the same body as the filing it keeps, once its photos are up', () => {
    const filing = { pin: { lon: 114.1, lat: 30.5, accuracy: 9 }, category: 'sanitation.dead_spot', note: '垃圾' };
    const blob = { size: 3 };
    let entry = outboxEntry({ key: 'k1', username: 'demo_inspector', filing, photos: [{ id: 7 }, { blob }], now: 5 });
    assert.deepEqual(entry.photos, [{ id: 7 }, { blob }]);
    assert.throws(() => outboxBody(entry), /photos are still to be uploaded/);
    entry = withUploadedPhoto(entry, 1, 8);
    assert.equal(JSON.stringify(outboxBody(entry)), JSON.stringify(filingBody({ ...filing, photos: [7, 8] })),
      'the same keys in the same order: the Idempotency-Key accepts the retry');
  });

  test('each user sends only their own entries, oldest first', () => {
    const entries = [
      { key: 'b', username: 'demo_inspector', created_at: 2 },
      { key: 'x', username: 'someone_else', created_at: 1 },
      { key: 'a', username: 'demo_inspector', created_at: 1 },
    ];
    assert.deepEqual(userEntries(entries, 'demo_inspector').map((e) => e.key), ['a', 'b']);
  });

  test('connection failures are kept for later, refusals are not', () => {
    assert.ok(isConnectionFailure({ code: 'network_error' }));
    assert.ok(isConnectionFailure({ status: 503 }));
    assert.ok(!isConnectionFailure({ status: 422, code: 'outside_communities' }));
    assert.ok(!isConnectionFailure({ status: 500 }));
  });
});

describe('dead spots and blind spots', () => {
  test('the month in China: the last evening of a month in UTC is already the next month there', () => {
    assert.equal(chinaMonth(Date.parse('2026-11-30T17:00:00Z')), '2026-12');
    assert.equal(chinaMonth(NOW), '2026-11');
  });

  test('a dead spot says how often and since when, and when it cleared', () => {
    const spot = { case_count: 3, first_seen: '2026-11-01T02:00:00Z', last_seen: '2026-11-20T15:30:00Z', cleared_at: null };
    assert.equal(deadSpotText(spot), '3 次上报 · 首次 11月1日 · 最近 11月20日');
    assert.equal(deadSpotText({ ...spot, last_seen: '2026-11-20T16:30:00Z', cleared_at: '2026-12-20T16:30:00Z' }),
      '3 次上报 · 首次 11月1日 · 最近 11月21日 · 12月21日 已消除', 'days in China time');
  });

  test('coverage and blind spots in words; handlers read no coverage', () => {
    assert.equal(coverageText({ coverage: 0.4231, checked: 11, buildings: 26 }), '巡查覆盖 42%（11/26 栋）');
    assert.equal(blindSpotText({ id: 5, name: '3号楼', households: 30, grid_code: 'G01' }), '3号楼 · 网格 G01 · 30 户');
    assert.equal(blindSpotText({ id: 5, name: null, households: 0, grid_code: null }), '楼栋 #5 · 网格 — · 0 户');
    assert.ok(canReadCoverage({ role: 'inspector' }));
    assert.ok(!canReadCoverage({ role: 'handler' }));
  });
});

describe('patrols', () => {
  test('a degree of latitude is about 111 km, and a track is as long as its steps', () => {
    assert.ok(Math.abs(distanceM([114.4, 30.5], [114.4, 31.5]) - 111_195) < 10);
    const track = [[114.4, 30.5], [114.4, 30.5009], [114.401, 30.5009]];
    assert.ok(Math.abs(trackLength(track) - (distanceM(track[0], track[1]) + distanceM(track[1], track[2]))) < 1e-9);
    assert.equal(trackLength([]), 0);
    assert.equal(trackLength([[114.4, 30.5]]), 0);
  });

  test('a fix closer than the step to the last one adds nothing: standing still is not walking', () => {
    const start = [[114.4, 30.5]];
    const near = [114.4, 30.5 + (TRACK_STEP_M / 2) / 111_195];
    const far = [114.4, 30.5 + (TRACK_STEP_M * 2) / 111_195];
    assert.equal(extendTrack(start, near), start);
    assert.deepEqual(extendTrack(start, far), [start[0], far]);
    assert.deepEqual(extendTrack([], near), [near]);
  });

  test('the community is the one whose box holds the point, and the body is in ISO time', () => {
    const communities = [{ id: 1, bbox: [114.0, 30.0, 114.1, 30.1] }, { id: 2, bbox: [114.4, 30.4, 114.5, 30.6] }];
    assert.equal(communityAt(communities, [114.45, 30.5])?.id, 2);
    assert.equal(communityAt(communities, [115, 30.5]), null);
    assert.deepEqual(patrolBody({ community: 2, startedAt: NOW - HOUR, endedAt: NOW, track: [[1, 2], [3, 4]] }), {
      community: 2, started_at: '2026-11-23T01:00:00.000Z', ended_at: '2026-11-23T02:00:00.000Z', track: [[1, 2], [3, 4]],
    });
  });
});
