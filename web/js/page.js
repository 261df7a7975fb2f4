// What the pages do alike around their own logic: counters on the body for the browser tests,
// showing and hiding, status lines, the community picker, one request at a time with the page
// marked busy, and the API's refusals in the page's language.

import { t, tOr } from './i18n.js';
import { el, rateLimitedMessage } from './session.js';

/** Raises the counter `data-<name>` on the body (the browser tests wait for it to go up). */
export function bump(name) {
  document.body.dataset[name] = String(Number(document.body.dataset[name] ?? 0) + 1);
}

export function show(node, visible) {
  node.hidden = !visible;
}

/** Shows `message` in a status line (`data-kind` colours it); an empty message hides the line. */
export function showStatus(node, message, kind = 'info') {
  node.textContent = message;
  node.dataset.kind = kind;
  show(node, Boolean(message));
}

/**
 * Shows `text` (what the page says of `err`) in an error line; no error clears the line; an error
 * with nothing to say (text null: aborted, or a 401) leaves it as it is.
 */
export function showErrorLine(node, err, text) {
  if (err && text === null) return;
  node.textContent = text ?? '';
  show(node, Boolean(text));
}

/** Fills a `<select>` with the communities ("关山社区（关山街道）") after a 请选择社区 option. */
export function fillCommunityPicker(select, communities) {
  select.replaceChildren(
    el('option', { value: '', text: t('choose_community') }),
    ...communities.map((c) => el('option', {
      value: c.id, text: c.district?.name ? `${c.name}（${c.district.name}）` : c.name,
    })),
  );
}

/**
 * What to tell the user about a failed request; null when there is nothing to say (an aborted
 * request, or a 401 for which session.js brings the sign-in form back). Over the rate limit:
 * when to try again. A refusal whose `code` has a message `<prefix><code>`: that message, else
 * the service's own sentence; either put in the sentence `wrap` ("操作失败：{message}") if given.
 */
export function failureText(err, { prefix, wrap = null }) {
  if (!err || err.name === 'AbortError') return null;
  if (err.status === 401 && err.code === 'unauthenticated') return null;
  if (err.code === 'rate_limited') return rateLimitedMessage(err);
  const own = err.message ?? String(err);
  const message = err.code ? tOr(`${prefix}${err.code}`, own) : own;
  return wrap ? t(wrap, { message }) : message;
}

/**
 * One change or load at a time: `run(work)` refuses to start while another runs, clears the
 * page's error (`onError(null)`), marks the body `data-busy="true"` (the browser tests wait for
 * "false"), and passes a failure to `onError(err)`. `add(±1)` marks longer work by hand;
 * `onChange` redraws the buttons whenever the state flips.
 */
export function createBusy({ onChange = () => {}, onError = () => {} } = {}) {
  let count = 0;
  document.body.dataset.busy = 'false';
  const busy = {
    get active() {
      return count > 0;
    },
    add(delta) {
      count = Math.max(0, count + delta);
      document.body.dataset.busy = count > 0 ? 'true' : 'false';
      onChange();
    },
    async run(work) {
      if (count > 0) return undefined;
      onError(null);
      busy.add(1);
      try {
        return await work();
      } catch (err) {
        onError(err);
        return undefined;
      } finally {
        busy.add(-1);
      }
    },
  };
  return busy;
}
