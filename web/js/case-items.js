// What both case pages show of a case alike: its list item (cases.js: the queue; inspect.js:
// 我的上报), its status badge and the rows of its facts.

import { chinaDateTime, deadlineInfo, placeText, statusLabel } from './cases-model.js';
import { t } from './i18n.js';
import { el } from './session.js';

/** A `<dt>`/`<dd>` pair; the `<dd>` holds `node` if given, else `value` (— when empty). */
export function fact(label, value, field, node = null) {
  return [el('dt', { text: label }), el('dd', { dataset: { field }, text: node ? null : (value || t('missing')) }, node)];
}

export function statusBadge(status) {
  return el('span', { class: 'status-badge', dataset: { status }, text: statusLabel(status) });
}

/**
 * The list item of case `c`, a link to `href`: number, status, category, place (or, with
 * `when`, the time it was reported) and the deadline relative to `now`.
 */
export function caseItem(c, { href, selected = false, when = false, now = Date.now() }) {
  const deadline = deadlineInfo(c, now);
  return el('li', { class: selected ? 'selected' : null, dataset: { caseId: c.id, status: c.status } },
    el('a', { class: 'case-item', href, 'aria-current': selected ? 'true' : null },
      el('span', { class: 'case-number', text: c.number }),
      statusBadge(c.status),
      el('span', { class: 'case-category', text: c.category_name }),
      when ? el('span', { class: 'case-time', text: chinaDateTime(c.created_at) }) : el('span', { class: 'case-place', text: placeText(c) }),
      deadline.text ? el('span', { class: 'deadline', dataset: { kind: deadline.kind }, text: deadline.text }) : null));
}
