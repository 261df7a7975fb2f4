// Every string the pages show, in one table: zh-CN first, English beside it.
//
// Use `t('key')`, or `t('key', { n: 3 })` for strings with `{n}` placeholders.
// Static HTML marks its strings with `data-i18n="key"` (text) or
// `data-i18n-title="key"` (tooltip) and calls `applyI18n()`.
// The language is zh-CN unless the page is opened with `?lang=en`.

export const LANGUAGES = ['zh-CN', 'en'];

export const messages = {
  // page frame
  app_name: ['网格', 'Wangge'],
  page_title: ['社区地图', 'Community map'],
  switch_language: ['English', '中文'],
  loading: ['加载中…', 'Loading…'],
  map_label: ['社区网格地图', 'Community grid map'],

  // places
  district: ['街道', 'Sub-district'],
  community: ['社区', 'Community'],
  communities: ['社区列表', 'Communities'],
  estate: ['小区', 'Estate'],
  building: ['楼栋', 'Building'],
  unit: ['单元', 'Unit'],
  grid: ['网格', 'Grid'],

  // figures
  households: ['户数', 'Households'],
  buildings: ['楼栋数', 'Buildings'],
  estates: ['小区数', 'Estates'],
  floors: ['楼层', 'Floors'],
  units: ['单元', 'Units'],
  name: ['名称', 'Name'],
  address: ['地址', 'Address'],
  popup_community: ['所属社区', 'Community'],
  unit_number: ['单元 {n}', 'Unit {n}'],
  unit_list: ['各单元户数', 'Households by unit'],
  summary: ['{communities} 个社区 · {households} 户 · {buildings} 栋楼',
    '{communities} communities · {households} households · {buildings} buildings'],
  missing: ['—', '—'],

  // legend
  legend_households: ['户数', 'Households'],

  // states and errors
  no_data: ['尚无数据：请导入或运行 wangge demo', 'No data yet: import data or run wangge demo'],
  load_failed: ['加载失败：{message}', 'Failed to load: {message}'],
  building_load_failed: ['楼栋信息加载失败：{message}', 'Could not load the building: {message}'],
  network_error: ['无法连接服务', 'Cannot reach the service'],

  // sign-in and the signed-in user (session.js)
  sign_in_title: ['登录', 'Sign in'],
  sign_in_hint: ['请使用您的账户登录。', 'Sign in with your account.'],
  username: ['用户名', 'User name'],
  password: ['密码', 'Password'],
  sign_in: ['登录', 'Sign in'],
  signing_in: ['正在登录…', 'Signing in…'],
  sign_out: ['退出', 'Sign out'],
  missing_credentials: ['请输入用户名和密码', 'Enter your user name and password'],
  invalid_credentials: ['用户名或密码错误', 'Wrong user name or password'],
  account_locked: ['登录失败次数过多，账户已锁定至 {time}', 'Too many failed sign-ins: the account is locked until {time}'],
  session_expired: ['登录已过期，请重新登录', 'Your session has ended: sign in again'],
  sign_in_failed: ['登录失败：{message}', 'Sign-in failed: {message}'],
  signed_in_as: ['当前用户', 'Signed in as'],
  admin_page: ['系统管理', 'Administration'],
  map_page: ['社区地图', 'Community map'],
  forbidden_page: ['无权访问', 'Access denied'],
  forbidden_admin: ['只有管理员可以管理用户和查看审计日志。', 'Only administrators manage users and read the audit log.'],

  // roles
  role_admin: ['管理员', 'Administrator'],
  role_planner: ['规划员', 'Planner'],
  role_leader: ['领导', 'Leader'],
  role_inspector: ['巡查员', 'Inspector'],
  role_handler: ['处置人员', 'Handler'],

  // change password dialog
  change_password: ['修改密码', 'Change password'],
  current_password: ['当前密码', 'Current password'],
  new_password: ['新密码', 'New password'],
  confirm_password: ['确认新密码', 'Repeat the new password'],
  password_rule: ['至少 10 个字符，不能包含用户名', 'At least 10 characters, not containing the user name'],
  save: ['保存', 'Save'],
  cancel: ['取消', 'Cancel'],
  password_changed: ['密码已修改', 'Password changed'],
  wrong_current_password: ['当前密码错误', 'The current password is wrong'],
  passwords_differ: ['两次输入的新密码不一致', 'The two new passwords differ'],
  password_too_short: ['密码至少需要 {n} 个字符', 'A password needs at least {n} characters'],
  password_too_long: ['密码最多 {n} 个字符', 'A password may have at most {n} characters'],
  password_contains_username: ['密码不能包含用户名', 'A password may not contain the user name'],
  required: ['必填', 'Required'],

  // administration (admin.html)
  admin_title: ['系统管理', 'Administration'],
  users: ['用户', 'Users'],
  user_count: ['共 {n} 个用户', '{n} users'],
  role: ['角色', 'Role'],
  areas: ['区域', 'Areas'],
  areas_hint: ['可多选；选择街道即包含其全部社区', 'Choose one or more; a sub-district includes all its communities'],
  status: ['状态', 'Status'],
  created_at: ['创建时间', 'Created'],
  status_active: ['正常', 'Active'],
  status_locked: ['已锁定至 {time}', 'Locked until {time}'],
  status_disabled: ['已停用', 'Disabled'],
  create_user: ['新建用户', 'New user'],
  initial_password: ['初始密码', 'Initial password'],
  show_password: ['显示密码', 'Show password'],
  create: ['创建', 'Create'],
  user_created: ['已创建用户 {name}', 'Created the user {name}'],
  choose_role: ['请选择角色', 'Choose a role'],
  username_invalid: ['用户名须为 3–64 个字母、数字或 _ . -', 'A user name has 3 to 64 letters, digits, _ . or -'],
  username_taken: ['用户名已被使用', 'This user name is taken'],
  area_invalid: ['区域无效：{message}', 'Invalid area: {message}'],
  area_outside: ['所选区域超出您的管辖范围', 'An area outside your own'],
  save_failed: ['保存失败：{message}', 'Could not save: {message}'],
  audit_log: ['审计日志', 'Audit log'],
  audit_time: ['时间', 'Time'],
  audit_actor: ['操作人', 'By'],
  audit_action: ['操作', 'Action'],
  audit_object: ['对象', 'Object'],
  audit_summary: ['摘要', 'Summary'],
  audit_client: ['客户端地址', 'Client address'],
  audit_from: ['起始日期', 'From'],
  audit_to: ['截止日期', 'To'],
  audit_search: ['查询', 'Search'],
  audit_empty: ['没有符合条件的记录', 'No entries match'],
  audit_count: ['{n} 条记录（最新在前）', '{n} entries (newest first)'],
  audit_dates_reversed: ['起始日期晚于截止日期', 'The start date is after the end date'],
  filter_all: ['全部', 'All'],
  action_session: ['登录与退出', 'Sign-ins'],
  action_user: ['用户管理', 'Users'],
  'action_session.login': ['登录', 'Sign-in'],
  'action_session.login_failed': ['登录失败', 'Failed sign-in'],
  'action_session.logout': ['退出登录', 'Sign-out'],
  'action_user.create': ['创建用户', 'User created'],
  'action_user.locked': ['账户锁定', 'Account locked'],
  'action_user.password_change': ['修改密码', 'Password changed'],
  object_user: ['用户', 'User'],
  summary_username: ['用户名', 'User name'],
  summary_role: ['角色', 'Role'],
  summary_areas: ['区域', 'Areas'],
  summary_reason: ['原因', 'Reason'],
  summary_until: ['锁定至', 'Until'],
  'reason_wrong password': ['密码错误', 'wrong password'],
  'reason_unknown user': ['用户不存在', 'unknown user'],
  reason_locked: ['账户已锁定', 'account locked'],
  reason_disabled: ['账户已停用', 'account disabled'],
  reason_oversized: ['输入过长', 'input too long'],
  system_actor: ['系统', 'system'],

  // attribution: the demo is generated, imported data may come from OpenStreetMap
  attribution_osm: ['© OpenStreetMap contributors (ODbL) 如适用', '© OpenStreetMap contributors (ODbL) where applicable'],
};

function detectLanguage() {
  if (typeof location === 'undefined') return LANGUAGES[0];
  const wanted = new URLSearchParams(location.search).get('lang');
  return LANGUAGES.includes(wanted) ? wanted : LANGUAGES[0];
}

/** The page's language, one of LANGUAGES. */
export const lang = detectLanguage();
const index = Math.max(0, LANGUAGES.indexOf(lang));

/** The message `key` in the page's language, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  const entry = messages[key];
  if (!entry) return key;
  const text = entry[index] ?? entry[0];
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Formats a count for display ("12,345"); null and undefined become "—". */
export function formatCount(value) {
  if (value === null || value === undefined || value === '') return t('missing');
  const n = Number(value);
  return Number.isFinite(n) ? new Intl.NumberFormat(lang).format(n) : String(value);
}

/** Fills `data-i18n` (text) and `data-i18n-title` (tooltip) elements under `root`. */
export function applyI18n(root = document) {
  if (root === document) document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
}

/** The URL of the current page in the other language. */
export function otherLanguageHref() {
  const url = new URL(location.href);
  if (lang === 'en') url.searchParams.delete('lang');
  else url.searchParams.set('lang', 'en');
  return url.pathname + url.search + url.hash;
}
