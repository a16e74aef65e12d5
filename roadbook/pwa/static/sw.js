// The roadbook's service worker, served as /pwa/sw.js with scope /r/ (Service-Worker-Allowed).
// roadbook/pwa/assets.py fills in VERSION (a hash of every static file), PRECACHED and POLICY.
//
// - /pwa/ files: cache first, in a cache named after the version; a new version's worker drops
//   the old caches when it activates. Other scripts of this origin (modules plugged into the
//   page) network first, kept in the same cache for offline use.
// - The roadbook page /r/{token} and its feed: network first; each good answer is kept (one copy
//   per address, query ignored) for reading offline, where the page says it is a saved copy.
//   The answers are "no-store" for the HTTP cache and proxies; this copy stays in the visitor's
//   own Cache Storage, on their device (docs/pwa.md). A 404 (erased or revoked roadbook) drops
//   the copy. The first visit's page, fetched before this worker ran, is stored by the page's
//   own script (roadbook.js).
const VERSION = "__VERSION__";
const STATIC = `balise-static-${VERSION}`;
const ROADBOOK = "balise-roadbook";
const PRECACHED = __PRECACHED__;
const POLICY = "__POLICY__";
const KEPT = /^\/r\/[^/]+(\/feed\.json)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC).then((cache) => cache.addAll(PRECACHED)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("balise-static-") && name !== STATIC)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/pwa/")) {
    event.respondWith(cacheFirst(request));
  } else if (KEPT.test(url.pathname)) {
    event.respondWith(networkFirst(request, url));
  } else if (request.destination === "script") {
    // Modules other parts plug into the page (roadbook.pwa.page.register_module).
    event.respondWith(scriptNetworkFirst(request));
  }
});

async function cacheFirst(request) {
  const cache = await caches.open(STATIC);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function scriptNetworkFirst(request) {
  const cache = await caches.open(STATIC);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    // Kept by this worker, or by the page on the first visit (roadbook.js).
    const kept = await caches.match(request);
    if (!kept) throw error;
    return kept;
  }
}

async function networkFirst(request, url) {
  const cache = await caches.open(ROADBOOK);
  const key = url.origin + url.pathname;
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const kept = await cache.match(key);
    if (!kept) throw error;
    return kept.headers.get("Content-Type")?.startsWith("text/html") ? marked(kept) : kept;
  }
  if (response.ok) {
    await cache.put(key, response.clone());
  } else if (response.status === 404 || response.status === 410) {
    const token = url.pathname.split("/")[2];
    for (const kept of await cache.keys()) {
      if (new URL(kept.url).pathname.startsWith(`/r/${token}`)) await cache.delete(kept);
    }
  }
  return response;
}

// The kept page, marked so that its script shows the "you are offline" banner, under the pages'
// policy.
async function marked(kept) {
  const html = (await kept.text()).replace("<html ", '<html data-offline="" ');
  return new Response(html, {
    headers: { "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": POLICY },
  });
}
