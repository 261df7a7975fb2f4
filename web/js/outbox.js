// The inspector's outbox: filings that could not be sent (offline, or the connection dropped
// while sending), kept in the browser's IndexedDB until they are, so that a finding made in a
// basement survives a closed tab. Entries are made by inspect-model.js's outboxEntry and keyed
// by their Idempotency-Key; IndexedDB stores their photo Blobs as they are.

const DATABASE = 'wangge-inspect';
const STORE = 'outbox';

let opened = null;

function database() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'key' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

async function run(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** Every entry kept (of every user: inspect-model.js's userEntries picks one's own). */
export const allEntries = () => run('readonly', (store) => store.getAll());

/** Keeps an entry, or replaces the one with its key. */
export const putEntry = (entry) => run('readwrite', (store) => store.put(entry));

export const deleteEntry = (key) => run('readwrite', (store) => store.delete(key));
