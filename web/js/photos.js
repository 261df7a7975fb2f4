// Photos of cases, for both case pages: a picker that uploads each photo as soon as it is
// chosen (POST /api/v1/photos, the raw image as the body) and shows its thumbnail with its state
// and a remove button, and the enlarged view of a stored photo.
//
// Photos are uploaded while the rest of the form is filled in, so that submitting only sends
// their ids. A photo the connection failed to carry stays as its Blob (state `waiting`): the
// inspector's page keeps it in its outbox, the case page asks to try again. A photo the service
// refused (not an image, too large) is shown with the reason and never sent.

import { api, isConnectionFailure } from './api.js';
import { t } from './i18n.js';
import { refusalText } from './cases-model.js';
import { el } from './session.js';

// The service keeps photos at a long edge of 2,000 px at most, as JPEG (docs/CASES.md): a larger
// photo is brought down to that on the phone, so that a slow connection carries a few hundred
// kilobytes instead of the camera's megabytes.
const MAX_EDGE = 2000;
const JPEG_QUALITY = 0.85;
const SMALL_BYTES = 1 << 20;

/** The photo to upload: the camera's file, or a smaller JPEG of it when that saves bytes. */
export async function shrinkPhoto(file) {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') return file;
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size <= SMALL_BYTES) {
      bitmap.close();
      return file;
    }
    const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff'; // transparent parts over white, as the service does
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY });
    return jpeg.size < file.size ? jpeg : file;
  } catch {
    return file; // not decodable here (HEIC in some browsers): the service judges it
  }
}

export function uploadPhoto(blob) {
  return api('/api/v1/photos', { method: 'POST', body: blob });
}

/**
 * The photos of one form. `input` is an `<input type="file">`, `list` the element the
 * thumbnails go in; `onChange` runs whenever a photo is added, uploaded or removed.
 */
export class PhotoPicker {
  constructor({ input, list, max = 9, onChange = () => {} }) {
    this.input = input;
    this.list = list;
    this.max = max;
    this.onChange = onChange;
    this.items = [];
    this.dropped = 0;
    input.addEventListener('change', () => {
      this.add([...input.files]);
      input.value = ''; // the same photo may be chosen again after it was removed
    });
  }

  add(files) {
    const room = Math.max(0, this.max - this.items.length);
    this.dropped = Math.max(0, files.length - room);
    for (const file of files.slice(0, room)) {
      const item = { blob: file, url: URL.createObjectURL(file), id: null, state: 'uploading', error: '', done: null };
      this.items.push(item);
      this.upload(item, shrinkPhoto(file).then((blob) => {
        item.blob = blob; // what the outbox keeps, should the upload fail
        return blob;
      }));
    }
    this.changed();
  }

  /** Uploads the item's photo (`blob`, a promise of it, or the item's own). */
  upload(item, blob = item.blob) {
    item.state = 'uploading';
    item.done = Promise.resolve(blob).then(uploadPhoto).then((photo) => {
      item.id = photo.id;
      item.state = 'uploaded';
    }, (err) => {
      // A 401 brings the sign-in form back (api.js); the photo waits like an offline one.
      const later = isConnectionFailure(err) || err?.status === 401;
      item.state = later ? 'waiting' : 'refused';
      item.error = later ? '' : refusalText(err);
    }).finally(() => this.changed());
  }

  /** Uploads the photos that wait for the connection again; resolves when none is under way. */
  retryWaiting() {
    for (const item of this.items) if (item.state === 'waiting') this.upload(item);
    return this.settled();
  }

  settled() {
    return Promise.all(this.items.map((item) => item.done));
  }

  /** The ids of the uploaded photos, in the order they were chosen. */
  ids() {
    return this.items.filter((i) => i.state === 'uploaded').map((i) => i.id);
  }

  /** The photos to send, uploaded (`{id}`) or not yet (`{blob}`); refused ones are left out. */
  kept() {
    return this.items.filter((i) => i.state !== 'refused').map((i) => (i.state === 'uploaded' ? { id: i.id } : { blob: i.blob }));
  }

  hasWaiting() {
    return this.items.some((i) => i.state === 'waiting' || i.state === 'uploading');
  }

  remove(item) {
    URL.revokeObjectURL(item.url);
    this.items = this.items.filter((i) => i !== item);
    this.dropped = 0;
    this.changed();
  }

  clear() {
    for (const item of this.items) URL.revokeObjectURL(item.url);
    this.items = [];
    this.dropped = 0;
    this.changed();
  }

  changed() {
    this.render();
    this.onChange(this);
  }

  render() {
    this.input.disabled = this.items.length >= this.max;
    const states = { uploading: t('photo_uploading'), waiting: t('photo_waiting'), refused: t('photo_failed') };
    const thumbs = this.items.map((item, i) => {
      const n = i + 1;
      const remove = el('button', { type: 'button', class: 'photo-remove', 'aria-label': t('remove_photo', { n }), text: '×' });
      remove.addEventListener('click', () => this.remove(item));
      return el('li', { class: 'photo-item', dataset: { state: item.state }, title: item.error || null },
        el('img', { src: item.url, alt: t('photo_n', { n }) }),
        states[item.state] ? el('span', { class: 'photo-state', text: item.error || states[item.state] }) : null,
        remove);
    });
    if (this.dropped > 0) thumbs.push(el('li', { class: 'photo-note', role: 'status', text: t('photos_max', { n: this.max }) }));
    this.list.replaceChildren(...thumbs);
  }
}

let viewer = null;

/** Shows a stored photo large, over the page; a click or Escape closes it. */
function showPhoto(url, label) {
  if (!viewer) {
    const image = el('img', { class: 'photo-large' });
    const close = el('button', { type: 'button', class: 'photo-close', text: t('close') });
    viewer = el('dialog', { class: 'photo-dialog', id: 'photo-dialog' }, image, close);
    viewer.addEventListener('click', () => viewer.close());
    document.body.append(viewer);
  }
  const image = viewer.querySelector('img');
  image.src = url;
  image.alt = label;
  viewer.showModal();
}

/** Thumbnails of stored photos (`ids`, their links from photoLinks) that enlarge on click. */
export function photoThumbnails(ids, links) {
  const buttons = ids.map((id) => links.get(Number(id))).filter(Boolean).map((photo, i) => {
    const label = t('photo_n', { n: i + 1 });
    const button = el('button', { type: 'button', class: 'photo-thumb', title: t('enlarge_photo'), dataset: { photoId: photo.id } },
      el('img', { src: photo.thumbnail_url, alt: label, loading: 'lazy' }));
    button.addEventListener('click', () => showPhoto(photo.url, label));
    return el('li', {}, button);
  });
  return buttons.length ? el('ul', { class: 'photo-thumbs' }, ...buttons) : null;
}
