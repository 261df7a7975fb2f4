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
  account_disabled: ['账户已停用，请联系管理员', 'This account is disabled: ask an administrator'],
  rate_limited: ['操作过于频繁，请 {n} 秒后再试', 'Too many attempts: try again in {n} s'],
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
  user_actions: ['管理', 'Manage'],
  disable_user: ['禁用', 'Disable'],
  enable_user: ['启用', 'Enable'],
  unlock_user: ['解锁', 'Unlock'],
  user_disabled: ['已禁用用户 {name}', 'Disabled the user {name}'],
  user_enabled: ['已启用用户 {name}', 'Enabled the user {name}'],
  user_unlocked: ['已解锁用户 {name}', 'Unlocked the user {name}'],
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
  'action_user.disable': ['禁用用户', 'User disabled'],
  'action_user.enable': ['启用用户', 'User enabled'],
  'action_user.unlock': ['解锁用户', 'User unlocked'],
  object_user: ['用户', 'User'],
  summary_username: ['用户名', 'User name'],
  summary_role: ['角色', 'Role'],
  summary_areas: ['区域', 'Areas'],
  summary_reason: ['原因', 'Reason'],
  summary_until: ['锁定至', 'Until'],
  summary_failed_logins: ['失败次数', 'Failed sign-ins'],
  summary_sessions_ended: ['结束会话', 'Sessions ended'],
  'reason_wrong password': ['密码错误', 'wrong password'],
  'reason_unknown user': ['用户不存在', 'unknown user'],
  reason_locked: ['账户已锁定', 'account locked'],
  reason_disabled: ['账户已停用', 'account disabled'],
  reason_oversized: ['输入过长', 'input too long'],
  system_actor: ['系统', 'system'],

  // grid planner (planner.html)
  planner_page: ['网格规划', 'Grid planning'],
  planner_title: ['网格规划', 'Grid planning'],
  planner_map_label: ['网格规划地图', 'Grid planning map'],
  forbidden_planner: ['只有规划员、管理员和领导可以查看网格规划。', 'Only planners, administrators and leaders open the grid planner.'],
  choose_community: ['请选择社区', 'Choose a community'],
  planner_plan: ['方案', 'Plan'],
  planner_no_plans: ['该社区尚无方案：请点击“生成网格”', 'This community has no plan yet: press Generate grids'],
  planner_no_plans_read_only: ['该社区尚无方案', 'This community has no plan yet'],
  plan_status_draft: ['草稿', 'Draft'],
  plan_status_published: ['已发布', 'Published'],
  plan_status_archived: ['已归档', 'Archived'],
  plan_version: ['第 {n} 版', 'v{n}'],
  plan_grid_count: ['{n} 个网格', '{n} grids'],
  plan_summary: ['{grids} 个网格 · {households} 户', '{grids} grids · {households} households'],
  plan_author: ['编制人 {name}', 'by {name}'],
  unassigned_households: ['未分配 {n} 户', '{n} households unassigned'],
  moved_households_text: ['较已发布方案变动 {n} 户', '{n} households moved from the published plan'],
  plan_infeasible: ['无法满足全部规则：{reason}', 'Not every rule can be met: {reason}'],
  plan_read_only: ['已发布或已归档的方案不能修改：请“复制为新草稿”后编辑。', 'Published and archived plans cannot change: copy to a new draft to edit.'],
  plan_read_only_role: ['只读：您可以查看方案，但不能修改。', 'Read only: you can view plans but not change them.'],
  generate_grids: ['生成网格', 'Generate grids'],
  generating: ['正在生成网格…', 'Generating grids…'],
  generate_options: ['生成参数', 'Options'],
  bound_min: ['下限（户）', 'Minimum households'],
  bound_max: ['上限（户）', 'Maximum households'],
  bound_target: ['目标（户）', 'Target households'],
  generate_seed: ['随机种子', 'Seed'],
  plan_generated: ['已生成{plan}', 'Generated {plan}'],
  copy_plan: ['复制为新草稿', 'Copy to a new draft'],
  plan_copied: ['已复制为{plan}', 'Copied to {plan}'],
  publish_plan: ['发布', 'Publish'],
  publish_title: ['发布方案', 'Publish the plan'],
  publish_confirm_text: ['确定发布{plan}？发布后它将替代当前生效的方案，网格编码随之启用或停用。', 'Publish {plan}? It replaces the plan in force; grid codes start and end with it.'],
  publish_confirm: ['确认发布', 'Publish'],
  publish_force: ['仍然发布', 'Publish anyway'],
  publish_has_violations: ['该方案存在以下问题，仍要发布吗？', 'The plan has these problems. Publish it anyway?'],
  plan_published: ['已发布{plan}', 'Published {plan}'],
  export_csv: ['导出 CSV', 'Export CSV'],
  export_geojson: ['导出 GeoJSON', 'Export GeoJSON'],
  edit_tools: ['编辑', 'Edit'],
  selection_tools: ['选择', 'Selection'],
  tool_lasso: ['套索选择', 'Lasso'],
  tool_lasso_hint: ['在地图上拖动圈选楼栋（也可按住 Shift 拖动）', 'Drag on the map to circle buildings (or shift-drag)'],
  clear_selection: ['清除选择', 'Clear selection'],
  selection_none: ['未选择楼栋：点击楼栋选择，按住 Shift 拖动或用套索圈选', 'No building selected: click buildings, or shift-drag or use the lasso'],
  selection_text: ['已选 {n} 栋楼，共 {households} 户', '{n} buildings selected, {households} households'],
  move_to: ['移至网格', 'Move to grid'],
  move_selection: ['移动', 'Move'],
  choose_grid: ['选择网格', 'Choose a grid'],
  split_selection: ['拆分为新网格', 'Split into a new grid'],
  merge_grids: ['合并网格', 'Merge grids'],
  merge_into: ['保留', 'Keep'],
  merge_from: ['并入', 'Merge in'],
  merge: ['合并', 'Merge'],
  lock_all: ['全部锁定', 'Lock all'],
  unlock_all: ['全部解锁', 'Unlock all'],
  undo: ['撤销', 'Undo'],
  redo: ['重做', 'Redo'],
  undo_hint: ['撤销（Ctrl+Z）', 'Undo (Ctrl+Z)'],
  redo_hint: ['重做（Ctrl+Shift+Z）', 'Redo (Ctrl+Shift+Z)'],
  edit_select_first: ['请先选择楼栋', 'Select buildings first'],
  edit_choose_target: ['请选择目标网格', 'Choose the target grid'],
  edit_already_there: ['所选楼栋已在该网格中', 'The selected buildings are in that grid already'],
  edit_split_one_grid: ['拆分的楼栋须属于同一网格', 'The buildings to split off must all be in one grid'],
  edit_choose_two: ['请选择两个网格', 'Choose two grids'],
  edit_merge_same: ['不能与自身合并', 'A grid cannot merge with itself'],
  planner_action_failed: ['操作失败：{message}', 'Failed: {message}'],
  // Edit refusals by the API's error code (docs/GRIDS.md), in place of its English sentence.
  edit_refused_unknown_building: ['所选楼栋不属于本社区', 'A selected building is not in this community'],
  edit_refused_unknown_part: ['所选单元不在本方案中', 'A selected unit run is not in this plan'],
  edit_refused_unknown_grid: ['本方案没有该网格', 'This plan has no such grid'],
  edit_refused_grid_locked: ['网格已锁定，其楼栋不能移出', 'The grid is locked: its buildings cannot be taken'],
  edit_refused_would_empty_grid: ['此操作会使网格为空，请改用合并', 'This would leave a grid empty; merge it instead'],
  edit_refused_mixed_grids: ['拆分只能选择同一网格的楼栋', 'A split takes buildings of one grid'],
  edit_refused_not_in_a_grid: ['所选楼栋不在任何网格中，请先移入网格', 'These buildings are in no grid; move them into one first'],
  edit_refused_no_codes_left: ['本社区的网格编码（999个）已用完', 'The community has used all 999 grid codes'],
  edit_refused_invalid_merge: ['合并需要两个不同的网格', 'A merge takes two different grids'],
  edit_refused_invalid_name: ['网格名称须为1至60个字符，且不与其他网格重名', 'A grid name has 1 to 60 characters and differs from the others'],
  edit_refused_invalid_parcels: ['所选楼栋无效', 'The selection is not valid'],
  find_detached: ['查找分离部分', 'Find detached parts'],
  detached_none: ['没有分离成几部分的网格', 'No grid is in pieces'],
  detached_found: ['{n} 个网格分离成几部分：', '{n} grids are in pieces:'],
  grid_list_title: ['网格列表', 'Grids'],
  grid_number: ['第{n}网格', 'Grid {n}'],
  grid_code: ['编码', 'Code'],
  grid_locked: ['锁定', 'Locked'],
  grid_detached: ['不连通', 'In pieces'],
  lock_grid_label: ['锁定{grid}', 'Lock {grid}'],
  households_count: ['{n} 户', '{n} households'],
  mark_under: ['偏少', 'Too few'],
  mark_within: ['适中', 'In range'],
  mark_over: ['偏多', 'Too many'],
  mark_under_hint: ['低于下限 {min} 户', 'Below the minimum of {min}'],
  mark_over_hint: ['超过上限 {max} 户', 'Above the maximum of {max}'],
  mark_within_hint: ['在 {min}–{max} 户之间', 'Between {min} and {max}'],
  violations_title: ['问题', 'Problems'],
  violations_none: ['方案符合全部规则', 'The plan meets every rule'],
  violation_under: ['{grid}：{n} 户，低于下限 {min} 户', '{grid}: {n} households, below the minimum of {min}'],
  violation_over: ['{grid}：{n} 户，超过上限 {max} 户', '{grid}: {n} households, above the maximum of {max}'],
  violation_detached: ['{grid}：分成了互不相连的几部分', '{grid}: in pieces that do not touch'],
  violation_unassigned: ['{n} 户尚未划入任何网格', '{n} households are in no grid'],
  compare_title: ['方案对比', 'Compare plans'],
  compare_with: ['对比方案', 'Compare with'],
  compare: ['对比', 'Compare'],
  compare_close: ['关闭对比', 'Close'],
  compare_none: ['没有可对比的其他方案', 'No other plan to compare with'],
  compare_current: ['当前：{plan}', 'This plan: {plan}'],
  compare_other: ['对比：{plan}', 'Compared: {plan}'],
  diff_none: ['两个方案的楼栋划分相同', 'Both plans put every building in the same grid'],
  diff_summary: ['{n} 栋楼网格变更，共 {households} 户', '{n} buildings change grid, {households} households'],

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
