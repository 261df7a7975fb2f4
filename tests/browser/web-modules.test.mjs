// The web pages' pure helpers (no browser, no service): the message table, the map style,
// the households ramp and bounding boxes, the shared geometry, sign-in messages and roles, the
// administration page's audit query and labels, and the parsing of the demo accounts the
// service prints.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  actionLabel, actorLabel, areaChoices, auditQuery, isLocked, localDayStart, objectLabel, placeNames, summaryText,
  userActions, userStatus,
} from '../../web/js/admin-model.js';
import { ApiError } from '../../web/js/api.js';
import {
  bboxOfFeatures, featureCentroid, interiorPoint, normId, pointInPolygon, pointInRing, ringArea, ringCentroid,
} from '../../web/js/geometry.js';
import { messages, t } from '../../web/js/i18n.js';
import { failureText } from '../../web/js/page.js';
import {
  ROLES, formatClock, formatDateTime, passwordRuleMessage, roleLabel, signInErrorMessage,
} from '../../web/js/session.js';
import { parseDemoAccounts } from './server.mjs';
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

describe('sign-in and roles', () => {
  test('roles have their Chinese labels', () => {
    assert.deepEqual(ROLES.map(roleLabel), ['管理员', '规划员', '领导', '巡查员', '处置人员']);
    assert.equal(roleLabel('root'), 'root');
  });

  test('sign-in errors read as the page says them', () => {
    const wrong = new ApiError('wrong user name or password', { status: 401, code: 'invalid_credentials' });
    assert.equal(signInErrorMessage(wrong), '用户名或密码错误');
    const until = '2026-11-22T04:32:46.746786Z';
    const locked = new ApiError('locked', { status: 403, code: 'account_locked', details: { until } });
    const d = new Date(until);
    const clock = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    assert.equal(signInErrorMessage(locked), `登录失败次数过多，账户已锁定至 ${clock}`);
    assert.equal(formatClock(until), clock);
    assert.equal(formatClock('not a time'), '');
    const disabled = new ApiError('disabled', { status: 403, code: 'account_disabled' });
    assert.equal(signInErrorMessage(disabled), '账户已停用，请联系管理员');
    const limited = new ApiError('too many', { status: 429, code: 'rate_limited', details: { retry_after: 42 } });
    assert.equal(signInErrorMessage(limited), '操作过于频繁，请 42 秒后再试');
    assert.match(formatDateTime(until), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  test('the service\'s password rules are translated', () => {
    assert.equal(passwordRuleMessage('a password needs at least 10 characters'), '密码至少需要 10 个字符');
    assert.equal(passwordRuleMessage('a password may have at most 256 characters'), '密码最多 256 个字符');
    assert.equal(passwordRuleMessage('a password may not contain the user name'), '密码不能包含用户名');
    assert.equal(passwordRuleMessage('something new'), 'something new');
  });

  test('refusals of the API read in Chinese by their code, else as the service said them', () => {
    const locked = new ApiError('grid 3 is locked', { status: 409, code: 'grid_locked' });
    assert.equal(failureText(locked, { prefix: 'edit_refused_' }), '网格已锁定，其楼栋不能移出');
    assert.equal(failureText(locked, { prefix: 'edit_refused_', wrap: 'planner_action_failed' }), '操作失败：网格已锁定，其楼栋不能移出');
    const unknown = new ApiError('something new', { status: 422, code: 'brand_new' });
    assert.equal(failureText(unknown, { prefix: 'edit_refused_' }), 'something new');
    const limited = new ApiError('too many', { status: 429, code: 'rate_limited', details: { retry_after: 3 } });
    assert.equal(failureText(limited, { prefix: 'edit_refused_', wrap: 'planner_action_failed' }), '操作过于频繁，请 3 秒后再试');
    const signedOut = new ApiError('no session', { status: 401, code: 'unauthenticated' });
    assert.equal(failureText(signedOut, { prefix: 'edit_refused_' }), null, 'session.js answers a 401');
    assert.equal(failureText(null, { prefix: 'edit_refused_' }), null);
  });
});

describe('administration helpers', () => {
  test('the audit query is newest first, with the end day included', () => {
    assert.equal(auditQuery({}), 'sort=-at&limit=200');
    const q = new URLSearchParams(auditQuery({ action: 'session', actor: ' demo_admin ', from: '2026-11-20', to: '2026-11-22' }));
    assert.equal(q.get('action'), 'session');
    assert.equal(q.get('actor'), 'demo_admin');
    assert.equal(q.get('from'), new Date(2026, 10, 20).toISOString());
    assert.equal(q.get('to'), new Date(2026, 10, 23).toISOString());
    assert.equal(q.get('sort'), '-at');
    assert.throws(() => auditQuery({ from: '2026-11-23', to: '2026-11-22' }), /起始日期晚于截止日期/);
    assert.equal(localDayStart('22.11.2026'), null);
  });

  test('area choices are the admin\'s sub-districts, then the communities', () => {
    const admin = { areas: [{ kind: 'district', id: 2, name: '关山街道' }, { kind: 'community', id: 9, name: '外社区' }] };
    const communities = [
      { id: 1, name: '杨庭社区', district: { id: 2, name: '关山街道' } },
      { id: 2, name: '华溪社区', district: { id: 2, name: '关山街道' } },
    ];
    assert.deepEqual(areaChoices(admin, communities).map((c) => c.value), ['district:2', 'community:1', 'community:2']);
    const names = placeNames([{ areas: admin.areas }], communities);
    assert.equal(names.get('community:1'), '杨庭社区');
    assert.equal(names.get('district:2'), '关山街道');
    assert.equal(
      summaryText({ areas: [{ kind: 'community', id: 1 }], role: 'inspector', username: 'zhang_wei' }, names),
      '用户名 zhang_wei；角色 巡查员；区域 杨庭社区',
    );
    assert.equal(summaryText({ reason: 'wrong password' }), '原因 密码错误');
    assert.equal(summaryText({}), '—');
  });

  test('users, actions, actors and objects read in Chinese', () => {
    const now = Date.parse('2026-11-22T04:20:00Z');
    assert.equal(userStatus({ disabled: false, locked_until: null }, now).text, '正常');
    assert.equal(userStatus({ disabled: true, locked_until: null }, now).key, 'disabled');
    assert.equal(userStatus({ disabled: false, locked_until: '2026-11-22T04:32:00Z' }, now).key, 'locked');
    assert.equal(userStatus({ disabled: false, locked_until: '2026-11-22T04:00:00Z' }, now).key, 'active');
    assert.equal(actionLabel('user.create'), '创建用户');
    assert.equal(actionLabel('session.login_failed'), '登录失败');
    assert.equal(actionLabel('grid.split'), 'grid.split');
    assert.equal(actorLabel({ actor_id: null, actor_name: null }), '系统');
    assert.equal(actorLabel({ actor_id: 1, actor_name: 'demo_admin' }), 'demo_admin');
    assert.equal(objectLabel({ object_type: 'user', object_id: '6' }, new Map([['6', 'zhang_wei']])), '用户 zhang_wei');
    assert.equal(objectLabel({ object_type: 'user', object_id: '7' }), '用户 #7');
    assert.equal(objectLabel({ object_type: null }), '—');
    assert.equal(actionLabel('user.disable'), '禁用用户');
    assert.equal(actionLabel('user.unlock'), '解锁用户');
    assert.equal(summaryText({ username: 'wang', failed_logins: 0, until: null }), '用户名 wang；锁定至 —；失败次数 0');
  });

  test('each user row offers 禁用 or 启用, never on one\'s own row, and 解锁 while locked', () => {
    const now = Date.parse('2026-11-22T04:20:00Z');
    const me = { id: 1, username: 'demo_admin' };
    const labels = (user) => userActions(user, me, now).map((a) => a.label);
    assert.deepEqual(labels({ id: 1, disabled: false, locked_until: null }), []);
    assert.deepEqual(labels({ id: 2, disabled: false, locked_until: null }), ['禁用']);
    assert.deepEqual(labels({ id: 2, disabled: true, locked_until: null }), ['启用']);
    assert.deepEqual(labels({ id: 2, disabled: false, locked_until: '2026-11-22T04:32:00Z' }), ['禁用', '解锁']);
    assert.deepEqual(labels({ id: 2, disabled: true, locked_until: '2026-11-22T04:32:00Z' }), ['启用', '解锁']);
    assert.deepEqual(labels({ id: 2, disabled: false, locked_until: '2026-11-22T04:00:00Z' }), ['禁用'], 'a lock that ended');
    const [disable, unlock] = userActions({ id: 7, disabled: false, locked_until: '2026-11-22T04:32:00Z' }, me, now);
    assert.deepEqual([disable.method, disable.path, disable.body, disable.notice], ['PATCH', '/api/v1/users/7', { disabled: true }, 'user_disabled']);
    assert.deepEqual([unlock.method, unlock.path, unlock.notice], ['POST', '/api/v1/users/7/unlock', 'user_unlocked']);
    assert.equal(userActions({ id: 7, disabled: true }, me, now)[0].notice, 'user_enabled');
    assert.equal(isLocked({ locked_until: 'not a time' }, now), false);
    assert.equal(t('user_unlocked', { name: 'wang' }), '已解锁用户 wang');
  });
});

describe('geometry', () => {
  const box = (w, s, e, n) => ({ geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] } });
  const square = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]];

  test('ring areas and centroids', () => {
    assert.equal(ringArea(square), 4);
    assert.equal(ringArea([...square].reverse()), -4);
    assert.deepEqual(ringCentroid(square), [1, 1]);
    assert.deepEqual(ringCentroid([[0, 0], [2, 0], [2, 2], [0, 2]]), [1, 1], 'an open ring');
    assert.deepEqual(ringCentroid([[1, 1], [3, 3], [1, 1]]), [2, 2], 'no area: the mean of the vertices');
    // An L: the centroid of areas, not of vertices.
    const l = [[0, 0], [3, 0], [3, 1], [1, 1], [1, 3], [0, 3], [0, 0]];
    const [x, y] = ringCentroid(l);
    assert.ok(Math.abs(x - 1.1) < 1e-9 && Math.abs(y - 1.1) < 1e-9, `L centroid ${x}, ${y}`);
  });

  test('a feature\'s point is the centroid of its largest part', () => {
    const multi = {
      type: 'Feature',
      geometry: { type: 'MultiPolygon', coordinates: [[[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]], [square]] },
    };
    assert.deepEqual(featureCentroid(multi), [1, 1]);
    assert.equal(featureCentroid({ geometry: { type: 'LineString', coordinates: [] } }), null);
  });

  test('point in ring and polygon (with a hole)', () => {
    assert.equal(pointInRing([1, 1], square), true);
    assert.equal(pointInRing([3, 1], square), false);
    assert.equal(pointInRing([-0.1, 1], square), false);
    const hole = [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]];
    assert.equal(pointInPolygon([1, 1], [square, hole]), false);
    assert.equal(pointInPolygon([0.2, 1], [square, hole]), true);
    assert.equal(pointInPolygon([1, 1], []), false);
  });

  test('bbox of features', () => {
    assert.deepEqual(bboxOfFeatures([box(0, 0, 1, 1), box(2, -1, 3, 0.5)]), [0, -1, 3, 1]);
    assert.equal(bboxOfFeatures([]), null);
  });

  test('a label point lies inside its shape, even a bent one', () => {
    assert.deepEqual(interiorPoint(box(0, 0, 2, 2)), [1, 1]);
    // A U whose centroid falls in the gap between its arms: the point moves onto the widest arm.
    const u = { geometry: { type: 'Polygon', coordinates: [[[0, 0], [5, 0], [5, 5], [4, 5], [4, 1], [1, 1], [1, 5], [0, 5], [0, 0]]] } };
    const [x, y] = interiorPoint(u);
    assert.ok(pointInPolygon([x, y], u.geometry.coordinates), `(${x}, ${y}) is inside the U`);
    assert.equal(interiorPoint({ geometry: null }), null);
  });

  test('ids are kept as numbers when they are numbers', () => {
    assert.equal(normId('15'), 15);
    assert.equal(normId(15), 15);
    assert.equal(normId('b-15'), 'b-15');
  });
});

describe('demo accounts on the service\'s stdout', () => {
  test('are parsed by role, whatever the column padding', () => {
    const stdout = [
      'Demo accounts (passwords are shown this once; change them with POST /api/v1/session/password):',
      '  admin      demo_admin       Xy7aaaaaaaaaaaaa',
      '  planner demo_planner     Pl4nnnnnnnnnnnnn',
      '  leader     demo_leader      Le4ddddddddddddd',
      '  inspector  demo_inspector   In5ppppppppppppp',
      '  handler    demo_handler     Ha6nnnnnnnnnnnnn',
      'Wangge listening on http://127.0.0.1:8080',
      '  admin      not_an_account   x',
    ].join('\n');
    const accounts = parseDemoAccounts(stdout);
    assert.deepEqual(Object.keys(accounts), ['admin', 'planner', 'leader', 'inspector', 'handler']);
    assert.deepEqual(accounts.admin, { username: 'demo_admin', password: 'Xy7aaaaaaaaaaaaa' });
    assert.deepEqual(accounts.planner, { username: 'demo_planner', password: 'Pl4nnnnnnnnnnnnn' });
    assert.deepEqual(parseDemoAccounts('Wangge listening on http://127.0.0.1:1\n'), {});
  });
});
