// The month's ranking as a printable page (ranking-print.html?district=ID&month=YYYY-MM): the
// table of GET /api/v1/rankings with red flags, yellow cards, movement and escalations, the
// weights it was scored with, and print CSS (leaders.css) that keeps only the table on A4.
// Sets `data-ranking-loaded` on the body once the table is drawn.

import { getJson } from './api.js';
import { chinaDateTime, chinaMonth } from './cases-model.js';
import { applyI18n, otherLanguageHref, t } from './i18n.js';
import { mapQuery, rankingRows } from './leaders-model.js';
import { bump, failureText, showStatus } from './page.js';
import { el, startSignedIn } from './session.js';

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('ranking_title')}`;

const $ = (id) => document.getElementById(id);

async function start() {
  const params = new URLSearchParams(location.search);
  const month = params.get('month') || chinaMonth();
  let district = params.get('district');
  const { communities } = await getJson('/api/v1/communities');
  const home = communities.find((c) => !district || String(c.district?.id) === district) ?? communities[0];
  district = district ?? String(home?.district?.id ?? '');
  const name = home?.district?.name ?? '';
  const ranking = await getJson(`/api/v1/rankings?${mapQuery({ district, month })}`);
  $('print-title').textContent = t('print_title', { district: name, month: ranking.month });
  $('print-meta').textContent = t('print_meta', {
    time: chinaDateTime(ranking.computed_at), provisional: ranking.provisional ? t('print_provisional') : '',
  });
  const w = ranking.weights;
  $('print-weights').textContent = t('print_weights', {
    closure: w.closure, on_time: w.on_time, rework: w.rework, patrol: w.patrol, penalty: w.dead_spot_penalty,
  });
  $('ranking').tBodies[0].replaceChildren(...rankingRows(ranking).map((r) => el('tr', { class: r.mark ?? '' },
    el('td', { text: String(r.rank) }),
    el('td', { text: r.community }),
    el('td', { text: r.score }),
    el('td', { text: r.movement }),
    el('td', {}, el('span', { class: `mark ${r.mark ?? ''}`, text: r.markText }), r.escalation ? el('span', { class: 'escalation', text: r.escalation }) : ''))));
  $('print').addEventListener('click', () => window.print());
  bump('rankingLoaded');
}

startSignedIn({
  content: $('print-page'),
  allow: (user) => ['admin', 'leader'].includes(user.role),
  forbidden: t('forbidden_leaders'),
  onReady: () => start().catch((err) => showStatus($('print-status'), failureText(err, { prefix: 'leaders_refused_', wrap: 'load_failed' }) ?? '', 'error')),
});
