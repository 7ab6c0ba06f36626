// Notifications on this device (Web Push): what the browser offers, the permission, the push
// subscription the server sends to, and a test message. The permission is asked only from
// enable(), which a screen calls when she taps its button: never when a page loads.
import { NetworkError, get, post, request } from "./api.js";
import * as outbox from "./outbox.js";

const READY_MS = 10000; // a worker that never becomes ready (it failed to install) is an error, not a wait

// Safari on an iPhone or iPad: notifications only for an app added to the Home Screen (iOS 16.4+).
export function isIos() {
  const agent = navigator.userAgent || "";
  return /iPad|iPhone|iPod/.test(agent) || (/Macintosh/.test(agent) && navigator.maxTouchPoints > 1);
}

export function isInstalled() {
  return navigator.standalone === true
    || Boolean(window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
}

// What this device can do now, without asking anything: "ios-install" (Safari on an iPhone, not
// from the Home Screen), "unsupported" (no Web Push), or the permission: "default", "granted",
// "denied".
export function support() {
  if (isIos() && !isInstalled()) return "ios-install";
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return "unsupported";
  return Notification.permission;
}

// A subscription the browser would not make: said with the browser's own words (its name and
// message), which the screen shows under what it means for her.
export class SubscribeError extends Error {
  constructor(error) {
    super(`${(error && error.name) || "Error"}: ${(error && error.message) || error}`);
    this.name = "SubscribeError";
  }
}

function decodeKey(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options && subscription.options.applicationServerKey;
  if (!current) return true; // the browser does not say: keep it
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((byte, i) => byte === key[i]);
}

async function registration() {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new SubscribeError(new Error("the service worker is not ready"))), READY_MS);
  });
  try {
    return await Promise.race([navigator.serviceWorker.ready, late]);
  } finally {
    clearTimeout(timer);
  }
}

// This device's subscription as the server knows it ({id, endpoint}), or null. Offline: what this
// phone remembers.
export async function device() {
  if (support() !== "granted") return null;
  let subscription = null;
  try {
    const ready = await registration();
    subscription = await ready.pushManager.getSubscription();
  } catch {
    return null;
  }
  if (!subscription) return null;
  try {
    const list = await get("/api/v1/push/subscriptions/?page_size=50");
    const found = list.results.find((item) => item.endpoint === subscription.endpoint) || null;
    await outbox.remember("push", found);
    return found;
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    const known = await outbox.recall("push");
    return known && known.endpoint === subscription.endpoint ? known : null;
  }
}

// Ask for the permission (she has just tapped), subscribe with the server's key and give the
// server the subscription. -> {permission, device}; device is null unless permission is "granted".
export async function enable() {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return { permission, device: null };
  const ready = await registration();
  const { public_key: publicKey } = await get("/api/v1/push/public-key/");
  const key = decodeKey(publicKey);
  let subscription;
  try {
    subscription = await ready.pushManager.getSubscription();
    if (subscription && !sameKey(subscription, key)) {
      await subscription.unsubscribe(); // made for another server key: it could not be sent to
      subscription = null;
    }
    if (!subscription) subscription = await ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch (error) {
    throw new SubscribeError(error);
  }
  const saved = await post("/api/v1/push/subscriptions/", subscription.toJSON());
  await outbox.remember("push", saved);
  return { permission, device: saved };
}

// This device stops receiving: the server forgets the subscription, the browser drops it.
export async function disable() {
  const known = await device().catch(() => null) || await outbox.recall("push");
  if (known) await request("DELETE", `/api/v1/push/subscriptions/${known.id}/`);
  await outbox.remember("push", null);
  try {
    const ready = await registration();
    const subscription = await ready.pushManager.getSubscription();
    if (subscription) await subscription.unsubscribe();
  } catch {
    // No worker, or no subscription left: nothing to drop.
  }
}

// At sign-out: this phone stops receiving the user's reminders or alerts (a shared phone must not
// keep telling the next person about her). Never in the way of signing out.
export async function forget() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  try {
    const known = await outbox.recall("push");
    if (known) await request("DELETE", `/api/v1/push/subscriptions/${known.id}/`);
  } catch {
    // Offline: the server forgets it when a message to it fails.
  }
  try {
    const ready = await navigator.serviceWorker.getRegistration("/");
    const subscription = ready && await ready.pushManager.getSubscription();
    if (subscription) await subscription.unsubscribe();
  } catch {
    // Nothing to drop.
  }
}

// A test message to each of the user's devices: 202 with the deliveries.
export function sendTest() {
  return post("/api/v1/push/subscriptions/test/");
}
