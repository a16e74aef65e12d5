"""The page's static files (stylesheet, script, service worker, icons), served under ``/pwa/``.

Each file's address carries a hash of its content (``/pwa/roadbook.css?v=…``), so browsers and
the service worker may keep it for a year: a changed file is a new address. The service worker
itself (``sw.js``) is served with the hash of every file as its cache version, so a deploy that
changes any file installs a new worker, which drops the old cache (roadbook/pwa/static/sw.js).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from crm.core.headers import PAGE_POLICY

STATIC = Path(__file__).parent / "static"
PREFIX = "/pwa/"
SERVICE_WORKER = "sw.js"
# The service worker controls every roadbook address (``/r/{token}`` and below).
SCOPE = "/r/"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
# What a visitor's phone fetches for the page, stored by the worker when it installs.
PRECACHED = (
    "roadbook.css",
    "roadbook.js",
    "icon.svg",
    "icon-192.png",
    "icon-512.png",
    "icon-maskable-512.png",
    "apple-touch-icon.png",
)
# The roadbook pages' policy: the site's (crm/core/headers.py) plus catalogue images, which an
# import may leave on the source's https server (no Referer is ever sent, crm/core/headers.py).
# The service worker serves the offline copy under it too.
POLICY = f"{PAGE_POLICY}; img-src 'self' https: data:"
THEME = "#0b5a66"
BACKGROUND = "#ffffff"


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    body: bytes
    media_type: str
    version: str

    @property
    def url(self) -> str:
        return f"{PREFIX}{self.name}?v={self.version}"


@cache
def assets() -> dict[str, Asset]:
    """Every file under ``static/`` by name (read once per process)."""
    found: dict[str, Asset] = {}
    for path in sorted(STATIC.iterdir()):
        if path.suffix not in TYPES or not path.is_file():
            continue
        body = path.read_bytes()
        version = hashlib.sha256(body).hexdigest()[:12]
        found[path.name] = Asset(path.name, body, TYPES[path.suffix], version)
    found[SERVICE_WORKER] = _service_worker(found)
    return found


def url(name: str) -> str:
    """The versioned address of static file ``name``."""
    return assets()[name].url


def _service_worker(files: dict[str, Asset]) -> Asset:
    """``sw.js`` with its cache version, the addresses to precache and the pages' policy."""
    listed = [files[name] for name in PRECACHED]
    version = hashlib.sha256("".join(a.version for a in files.values()).encode()).hexdigest()[:12]
    source = files[SERVICE_WORKER].body.decode()
    body = (
        source.replace('"__VERSION__"', json.dumps(version))
        .replace("__PRECACHED__", json.dumps([a.url for a in listed]))
        .replace('"__POLICY__"', json.dumps(POLICY))
    )
    return Asset(SERVICE_WORKER, body.encode(), TYPES[".js"], version)
