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
