// The roadbook pages' one script (roadbook/feeds/templates/_layout.html). The pages work without
// it; it adds offline reading (the service worker), the offline banner, and after an erasure
// removes this roadbook's copy from the device.
const root = document.documentElement;
const CACHE = "balise-roadbook";
const token = location.pathname.split("/")[2];

const banner = document.getElementById("offline");
const fromCache = "offline" in root.dataset; // set by the service worker on a cached copy
const showBanner = (offline) => {
  if (banner) banner.hidden = !(offline || fromCache);
};
showBanner(fromCache || !navigator.onLine);
addEventListener("offline", () => showBanner(true));
addEventListener("online", () => showBanner(false));

if ("serviceWorker" in navigator && root.dataset.sw) {
  // On the first visit no worker saw this page come: keep it as served (the live card and the
  // banner emptied) instead of fetching it again, which would count its items shown twice.
  if (!navigator.serviceWorker.controller && "caches" in self && !fromCache) {
    const copy = root.cloneNode(true);
    copy.querySelector("#live")?.replaceChildren();
    copy.querySelector("#offline")?.setAttribute("hidden", "");
    const page = new Response(`<!doctype html>\n${copy.outerHTML}`, {
      headers: { "Content-Type": "text/html; charset=utf-8" },
    });
    // With the modules other parts plugged in (the worker keeps them from the next visit on).
    const modules = [...document.querySelectorAll("script[type=module][src]")]
      .map((script) => script.src)
      .filter((src) => !new URL(src).pathname.startsWith("/pwa/"));
    caches.open(CACHE).then((cache) => {
      cache.put(location.origin + location.pathname, page);
      return cache.addAll(modules);
    });
  }
  navigator.serviceWorker
    .register(root.dataset.sw, { scope: root.dataset.scope })
    .catch((error) => console.warn("roadbook: no offline copy,", error.message));
}

if ("erased" in root.dataset && "caches" in self && token) {
  caches.open(CACHE).then(async (cache) => {
    for (const request of await cache.keys()) {
      if (new URL(request.url).pathname.startsWith(`/r/${token}`)) await cache.delete(request);
    }
  });
}
