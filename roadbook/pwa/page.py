"""The roadbook page ``/r/{token}``: what its template needs besides the view, and its response.

The template (``roadbook/feeds/templates/roadbook.html``) renders ``view`` (a
:class:`~roadbook.feeds.view.RoadbookView`) and ``ui`` (:func:`page_ui`: the page's words in
the view's language, each entry's and visit's local times, the language switch, the static
files' addresses). Everything is autoescaped except an offer's QR code, an SVG document the
service generates with segno from the redemption code (never from partner text).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from crm.core.vocabulary import LANGUAGE_NAMES, LANGUAGES
from roadbook.feeds.view import RoadbookView
from roadbook.pwa import assets
from roadbook.pwa.texts import page_texts, stamp, visit_when, when

TEMPLATES = Path(__file__).parent.parent / "feeds" / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.trim_blocks = templates.env.lstrip_blocks = True
POLICY = assets.POLICY
# Personal data: neither the browser's HTTP cache nor a proxy keeps it (the service worker
# keeps the last roadbook in the visitor's own Cache Storage, docs/pwa.md).
HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": POLICY}
# Scripts of other parts of the roadbook that the page loads as ES modules (same origin),
# e.g. the live welcome card: ``register_module("/r/live.js")`` from their ``plugin.py``.
MODULES: list[str] = []


def register_module(src: str) -> None:
    """Have every roadbook page load ``src`` as ``<script type="module">`` (idempotent)."""
    if src not in MODULES:
        MODULES.append(src)


def page_ui(view: RoadbookView) -> dict[str, Any]:
    """Everything ``roadbook.html`` shows besides ``view``; a pure function of the view."""
    zone = ZoneInfo(view.timezone)
    now, language = view.generated_at, view.language
    ui: dict[str, Any] = page_texts(language)
    # Both are read again from the offline copy, maybe days later: an absolute date.
    ui["updated_at"] = ui["updated"].format(when=stamp(now, zone, language))
    ui["offline_text"] = ui["offline"].format(when=stamp(now, zone, language))
    ui["when"] = {
        entry.id: (
            entry.planned_at.astimezone(zone).isoformat(),
            when(entry.planned_at, entry.until, now, zone, language),
        )
        for entry in view.entries
    }
    ui["visit_when"] = {
        visit.id: (
            visit.first_seen_at.astimezone(zone).isoformat(),
            visit_when(visit.first_seen_at, visit.last_seen_at, visit.open, now, zone, language),
            ui["minutes"].format(minutes=max(1, round(visit.dwell_s / 60))),
        )
        for visit in view.visits
    }
    ui["languages"] = [(code, LANGUAGE_NAMES[code], code == language) for code in LANGUAGES]
    ui["css"] = assets.url("roadbook.css")
    ui["js"] = assets.url("roadbook.js")
    ui["icon"] = assets.url("icon.svg")
    ui["apple_icon"] = assets.url("apple-touch-icon.png")
    ui["service_worker"] = assets.PREFIX + assets.SERVICE_WORKER
    ui["scope"] = assets.SCOPE
    ui["theme"] = assets.THEME
    ui["modules"] = list(MODULES)
    home = view.links.home if view.links else None
    ui["manifest"] = f"{home}/manifest.webmanifest" if home else None
    ui["privacy_url"] = f"{home}/privacy?lang={language}" if home else None
    return ui


def page_context(view: RoadbookView) -> dict[str, Any]:
    """The template's whole context: ``{"view": view, "ui": page_ui(view)}``."""
    return {"view": view, "ui": page_ui(view)}


def page_response(request: Request, view: RoadbookView, status_code: int = 200) -> HTMLResponse:
    """The rendered page, never cached, under the page's policy."""
    return templates.TemplateResponse(
        request, "roadbook.html", page_context(view), status_code=status_code, headers=HEADERS
    )
