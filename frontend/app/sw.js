// Tend's service worker: it caches the app shell (never patient data) so the app opens offline.
// API requests always go to the network; what a patient records offline waits in IndexedDB
// (see /static/tend/js/outbox.js) and is sent by the page when the network returns.
// It also shows the server's push messages (reminders, alerts, tests) and opens the app at the
// screen a tapped notification names.
const VERSION = "tend-shell-v11"; // bump with every change to the shell: the new worker caches it whole
const SHELL = [
  "/",
  "/offline.html",
  "/manifest.webmanifest",
  "/static/tend/app.css",
  "/static/tend/js/app.js",
  "/static/tend/js/api.js",
  "/static/tend/js/outbox.js",
  "/static/tend/js/i18n.js",
  "/static/tend/js/ui.js",
  "/static/tend/js/push.js",
  "/static/tend/js/patient.js",
  "/static/tend/js/exif.js",
  "/static/tend/js/staff.js",
  "/static/tend/js/notify.js",
  "/static/tend/js/schedule.js",
  "/static/tend/js/reminders.js",
  "/static/tend/js/caregivers.js",
  "/static/tend/js/staffnotify.js",
  "/static/tend/icons/icon-192.png",
  "/static/tend/icons/icon-512.png",
  "/static/tend/icons/maskable-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== VERSION).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/admin/")) return;
  if (request.mode === "navigate") {
    // The shell, fresh when online; the cached shell (or the offline page) when not.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && url.pathname === "/") {
            const copy = response.clone();
            caches.open(VERSION).then((cache) => cache.put("/", copy));
          }
          return response;
        })
        .catch(async () => (await caches.match("/")) || caches.match("/offline.html")),
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    // Stale-while-revalidate for the shell's own files.
    event.respondWith(
      caches.open(VERSION).then(async (cache) => {
        const cached = await cache.match(request);
        const network = fetch(request)
          .then((response) => {
            if (response.ok) cache.put(request, response.clone());
            return response;
          })
          .catch(() => cached);
        return cached || network;
      }),
    );
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "clear-data") {
    // Logout: drop every cache but the shell's own files.
    event.waitUntil(caches.keys().then((keys) =>
      Promise.all(keys.filter((key) => key !== VERSION).map((key) => caches.delete(key)))));
  }
});

// --- Notifications ---------------------------------------------------------------------------------
// A payload is {"type", "title", "body", "url"} and says nothing clinical (the server sees to it: a
// lock screen is public). One notification per type: a new reminder replaces the last one.
const TYPES = ["reminder", "alert", "missed_days", "test"];
const ICON = "/static/tend/icons/icon-192.png";

// Only a screen of this app: a payload's url on another origin opens the app's start instead.
function appUrl(value) {
  try {
    const url = new URL(value || "/", self.location.origin);
    return url.origin === self.location.origin ? url : new URL("/", self.location.origin);
  } catch {
    return new URL("/", self.location.origin);
  }
}

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data.text() }; // not JSON: its words, so that the push is never silent
  }
  const type = TYPES.includes(data.type) ? data.type : "tend";
  const target = appUrl(data.url);
  event.waitUntil(self.registration.showNotification(data.title || "Tend", {
    body: data.body || "",
    icon: ICON,
    badge: ICON,
    tag: type,
    renotify: type === "alert",
    data: { url: `${target.pathname}${target.search}${target.hash}`, type },
  }));
});

// The app open in a window: that window is focused and shows the screen (a message to the page,
// which changes its route in place); none open: a new window at that screen.
async function openApp(value) {
  const url = appUrl(value);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (!open) return self.clients.openWindow(url.href);
  if (url.hash) open.postMessage({ type: "open", hash: url.hash });
  return open.focus();
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openApp(event.notification.data && event.notification.data.url));
});
