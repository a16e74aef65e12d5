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
