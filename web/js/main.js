// The community map (index.html): every community on the map with its label, a side panel
// listing them (name, households, buildings) that flies to one on click, and building
// details on click. Nothing is shown or fetched before sign-in (session.js); the service
// answers only the communities of the user's areas. Sets `window.wanggeMap` and, once the map
// and the community list are both in, `document.body.dataset.mapReady = "true"` (the browser
// test waits for it).

import { getJson } from './api.js';
import { applyI18n, formatCount, otherLanguageHref, t } from './i18n.js';
import {
  HouseholdLegend, addCommunityLabels, createMap, enableBuildingPopups, fitToBboxes,
  highlightCommunity,
} from './map.js';
import { showStatus } from './page.js';
import { startSignedIn } from './session.js';

const panelStatus = document.getElementById('status');
const summary = document.getElementById('summary');
const list = document.getElementById('community-list');
const mapMessage = document.getElementById('map-message');

applyI18n();
document.getElementById('language-switch').href = otherLanguageHref();
document.title = `${t('app_name')} · ${t('page_title')}`;

let map;

/** A message over the map instead of an empty map (no data, or loading failed). */
function showMapMessage(message, kind) {
  mapMessage.textContent = message;
  mapMessage.dataset.kind = kind;
  mapMessage.hidden = false;
}

function selectCommunity(community, item) {
  for (const li of list.querySelectorAll('li.selected')) li.classList.remove('selected');
  item?.classList.add('selected');
  highlightCommunity(map, community.id);
  fitToBboxes(map, [community.bbox], { padding: 30, duration: 800 });
}

function renderCommunities(communities) {
  list.replaceChildren();
  for (const c of communities) {
    const li = document.createElement('li');
    li.dataset.communityId = String(c.id);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'community';

    const name = document.createElement('span');
    name.className = 'community-name';
    name.textContent = c.name;
    const district = document.createElement('span');
    district.className = 'community-district';
    district.textContent = c.district?.name ?? '';

    const figures = document.createElement('span');
    figures.className = 'community-figures';
    for (const [key, value, field] of [['households', c.households, 'households'], ['buildings', c.buildings, 'buildings']]) {
      const figure = document.createElement('span');
      figure.className = 'figure';
      figure.dataset.field = field;
      const label = document.createElement('span');
      label.className = 'figure-label';
      label.textContent = t(key);
      const number = document.createElement('span');
      number.className = 'figure-value';
      number.textContent = formatCount(value);
      figure.append(label, number);
      figures.append(figure);
    }

    button.append(name, district, figures);
    button.addEventListener('click', () => selectCommunity(c, li));
    li.append(button);
    list.append(li);
  }
}

/** Creates the map (once signed in: its tiles need the session). */
function createCommunityMap() {
  map = createMap('map');
  window.wanggeMap = map;
  map.addControl(new HouseholdLegend(), 'bottom-right');
  enableBuildingPopups(map);
  return map.once('load');
}

async function start() {
  const mapLoaded = createCommunityMap();
  let data;
  try {
    [, data] = await Promise.all([mapLoaded, getJson('/api/v1/communities')]);
  } catch (err) {
    showStatus(panelStatus, t('load_failed', { message: err.message }), 'error');
    showMapMessage(t('load_failed', { message: err.message }), 'error');
    document.body.dataset.mapError = err.message;
    return;
  }

  const communities = Array.isArray(data?.communities) ? data.communities : [];
  if (communities.length === 0) {
    showStatus(panelStatus, t('no_data'), 'empty');
    showMapMessage(t('no_data'), 'empty');
    document.body.classList.add('no-data');
  } else {
    showStatus(panelStatus, '');
    const sum = (field) => communities.reduce((acc, c) => acc + (Number(c[field]) || 0), 0);
    summary.textContent = t('summary', {
      communities: formatCount(communities.length),
      households: formatCount(sum('households')),
      buildings: formatCount(sum('buildings')),
    });
    renderCommunities(communities);
    addCommunityLabels(map, communities);
    fitToBboxes(map, communities.map((c) => c.bbox));
  }
  document.body.dataset.mapReady = 'true';
}

startSignedIn({ content: document.getElementById('map-page'), onReady: start });
