// Tend's service worker: it caches the app shell (never patient data) so the app opens offline.
// API requests always go to the network; what a patient records offline waits in IndexedDB
// (see /static/tend/js/outbox.js) and is sent by the page when the network returns.
const VERSION = "tend-shell-v7"; // bump with every change to the shell: the new worker caches it whole
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
