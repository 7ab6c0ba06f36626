// What the patient records waits here (IndexedDB) until the server has it. Each item carries its
// client id, so a retry after a lost answer cannot create a second record (the API's idempotent
// create). Items are sent in the order they were made, one at a time. The page re-sends on start,
// on `online` and when it becomes visible: Background Sync exists only in Chromium.
import { ApiError, NetworkError, request, upload } from "./api.js";

const DB_NAME = "tend";
const DB_VERSION = 1;
let dbPromise = null;
let flushing = null;
let owner = null; // the signed-in user: only their own records are shown and sent
const listeners = new Set();

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        if (!db.objectStoreNames.contains("cache")) db.createObjectStore("cache");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}

async function tx(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(store, mode);
    const result = fn(transaction.objectStore(store));
    transaction.oncomplete = () => resolve(result && "result" in result ? result.result : result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

// On a shared device, what one user left unsent is never sent under the next user's session: it
// waits for its owner to sign in again (logout still clears everything, after a warning).
export function setOwner(userId) {
  owner = userId;
}

export async function all({ anyone = false } = {}) {
  const items = await tx("outbox", "readonly", (store) => store.getAll());
  return anyone ? items : items.filter((item) => !item.owner || item.owner === owner);
}

// Returns the item's place in the queue (its `seq`), so the caller can tell what became of it.
export async function add(kind, body, blob = null) {
  const seq = await tx("outbox", "readwrite", (store) => store.add({ kind, body, blob, owner, createdAt: Date.now(), error: null }));
  notify();
  return seq;
}

async function remove(seq) {
  await tx("outbox", "readwrite", (store) => store.delete(seq));
}

// The server's refusal as it came: its status, the fields it named with their messages, and its
// words in one line. A 409 for a day that already has the other kind of application is told to
// the patient in her language (ui.js refusals) from the status and the field.
async function markFailed(item, error) {
  const fields = Object.values(error.errors || {}).flat().filter((text) => typeof text === "string");
  const message = fields.length ? fields.join(" ") : error.message;
  await tx("outbox", "readwrite", (store) => store.put({
    ...item, error: message, errorStatus: error.status, errorFields: error.errors || {},
  }));
}

export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function notify() {
  const items = await all();
  for (const listener of listeners) listener(items);
}

const PATHS = { application: "/api/v1/applications/", symptom: "/api/v1/symptoms/", photo: "/api/v1/photos/" };

async function send(item) {
  if (item.kind === "void") {
    // An undo: sent after the record it voids (the queue keeps its order), so it may wait offline too.
    return request("POST", `${PATHS[item.body.kind]}${item.body.record}/entered-in-error/`, { json: { reason: item.body.reason } });
  }
  if (item.kind === "photo") {
    const form = new FormData();
    for (const [key, value] of Object.entries(item.body)) form.append(key, value);
    form.append("image", item.blob, "photo.jpg");
    return upload(PATHS.photo, form, item.onProgress);
  }
  return request("POST", PATHS[item.kind], { json: item.body });
}

// Send one record now, without queueing it (when nothing waits before it): the caller learns at
// once whether the server took it, refused it (an ApiError with the server's reasons) or could not
// be reached (a NetworkError), and queues it itself in that last case.
export function deliver(kind, body, blob = null) {
  return send({ kind, body, blob });
}

// Send what waits, oldest first. A network failure or a server error stops the run (tried again
// later); a refusal (4xx) is kept, marked with the server's reason, for the patient to see.
export function flush() {
  if (flushing) return flushing;
  flushing = (async () => {
    let sent = 0;
    try {
      for (const item of await all()) {
        if (item.error) continue;
        try {
          await send(item);
          await remove(item.seq);
          sent += 1;
        } catch (error) {
          if (error instanceof NetworkError) break;
          if (error instanceof ApiError && (error.status >= 500 || error.status === 429 || error.status === 401 || error.status === 403)) break;
          if (error instanceof ApiError) await markFailed(item, error);
          else break;
        }
      }
    } finally {
      flushing = null;
      await notify();
    }
    return sent;
  })();
  return flushing;
}

export async function discard(seq) {
  await remove(seq);
  await notify();
}

export async function retry(seq) {
  const item = (await all()).find((entry) => entry.seq === seq);
  if (item) await tx("outbox", "readwrite", (store) => store.put({ ...item, error: null }));
  return flush();
}

// A small cache of what the app needs to open offline (who is signed in, the active course, the
// patient's history and thumbnails). Nothing is kept between a sign-out and the next sign-in: a
// screen still loading when she signs out cannot write her data back after the wipe.
export async function remember(key, value) {
  if (owner === null && key !== "me") return;
  await tx("cache", "readwrite", (store) => store.put(value, key));
}

export async function recall(key) {
  return tx("cache", "readonly", (store) => store.get(key));
}

// Logout: nothing of the patient stays on the device.
export async function wipe() {
  owner = null;
  await tx("outbox", "readwrite", (store) => store.clear());
  await tx("cache", "readwrite", (store) => store.clear());
  await notify();
}
