"""A roadbook as a JSON Feed 1.1 document with Balise's ``_balise`` extension (about.md).

A pure function of a :class:`~roadbook.feeds.view.RoadbookView`: no database, no clock. Items
are the suggested entries in section order, then the visitor's visits. Every text goes out as
``content_text``: a partner's or the catalogue's text is never sent as HTML.
"""

from __future__ import annotations

import re
from typing import Any

from crm.ingest.schemas import rfc3339
from roadbook.engine.inputs import Position
from roadbook.feeds.view import Entry, Redemption, RoadbookView, Section, VisitEntry
from roadbook.i18n import message

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def json_feed(view: RoadbookView) -> dict[str, Any]:
    """``view`` as a JSON Feed 1.1 document (a dict ready for ``json.dumps``).

    In site mode (``view.links`` is ``None``) the feed carries no token address and nothing
    personal: no ``home_page_url``/``feed_url``, no visits, wishes, stay or redemption codes.
    """
    personal = view.links is not None
    extension: dict[str, Any] = {
        "mode": view.mode,
        "personalised": view.personalised,
        "notice": view.notice,
    }
    feed: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": view.title}
    if view.links is not None:
        feed["home_page_url"] = view.links.home
        feed["feed_url"] = view.links.feed
        extension = {"about": view.links.about, **extension}
        extension["wishes"] = list(view.wishes)
        extension["stay"] = (
            None
            if view.stay is None
            else {"start": view.stay[0].isoformat(), "end": view.stay[1].isoformat()}
        )
    if view.site is not None:
        extension["site"] = view.site
    feed["language"] = view.language
    items = [
        _entry_item(entry, section, personal)
        for section in view.sections
        for entry in section.entries
    ]
    if personal:
        items += [_visit_item(visit, view.language) for visit in view.visits]
    feed["items"] = items
    feed["_balise"] = extension
    return feed


def _entry_item(entry: Entry, section: Section, personal: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.id}
    if entry.link is not None:
        item["url"] = entry.link
        item["external_url"] = entry.link
    item["title"] = entry.title
    item["content_text"] = entry.summary
    if entry.image is not None:
        item["image"] = entry.image.url
    if entry.updated_at is not None:
        item["date_modified"] = rfc3339(entry.updated_at)
    # An offer is always labelled sponsored, whatever the view's flag says.
    sponsored = entry.sponsored or entry.kind == "offer"
    item["tags"] = [entry.kind, "sponsored"] if sponsored else [entry.kind]
    if entry.title_language is not None:
        item["language"] = entry.title_language
    extension: dict[str, Any] = {
        "kind": entry.kind,
        "why": entry.why,
        "section": section.key,
        "section_title": section.title,
        "language": entry.title_language,
        "geo": _geo(entry.position),
        "planned_at": rfc3339(entry.planned_at),
        "until": None if entry.until is None else rfc3339(entry.until),
    }
    if entry.slug is not None:
        extension["slug"] = entry.slug
    if entry.site is not None:
        extension["site"] = entry.site
    if entry.image is not None and entry.image.credit is not None:
        extension["image_credit"] = entry.image.credit
    if entry.kind == "event" and entry.periods:
        extension["dates"] = [
            {
                key: value
                for key, value in (
                    ("start", period.start.isoformat()),
                    ("end", period.end.isoformat()),
                    ("start_time", period.start_time),
                    ("end_time", period.end_time),
                    ("days", list(period.days)),
                )
                if value
            }
            for period in entry.periods
        ]
    if entry.route:
        extension["route"] = [_geo(point) for point in entry.route]
    if sponsored:
        extension["sponsored"] = True
        extension["label"] = entry.label
        extension["partner"] = entry.partner
    # A code is the visitor's own: never in the site mode, even if a view (wrongly) held one.
    if entry.redemption is not None and personal:
        extension["redemption"] = _redemption(entry.redemption)
    item["_balise"] = extension
    return item


# segno's inline SVG of a QR code (roadbook.feeds.offers.qr_svg): a square viewBox, in modules
# with the quiet zone, and one path stroking the dark modules row by row.
_QR_BOX = re.compile(r'<svg [^>]*viewBox="0 0 (\d+) \1"')
_QR_PATH = re.compile(r'<path [^>]*\bd="([-0-9. hmvMHVz]+)"')


def _redemption(redemption: Redemption) -> dict[str, Any]:
    """The code and its kind, and for the "qr" kind the QR code the roadbook page shows, as
    data a client draws without parsing markup (the widget: two DOM elements)."""
    out: dict[str, Any] = {"code": redemption.code, "kind": redemption.kind}
    svg = redemption.qr_svg
    if svg is not None and svg.count("<path") == 1:
        box, path = _QR_BOX.search(svg), _QR_PATH.search(svg)
        if box is not None and path is not None:
            out["qr"] = {"size": int(box.group(1)), "path": path.group(1)}
    return out


def _visit_item(visit: VisitEntry, language: str) -> dict[str, Any]:
    return {
        "id": visit.id,
        "title": message("visit_title", language, site=visit.site_name),
        "content_text": message("visit_text", language, minutes=round(visit.dwell_s / 60)),
        "date_published": rfc3339(visit.first_seen_at),
        "date_modified": rfc3339(visit.last_seen_at),
        "tags": ["visit", visit.site_kind],
        "_balise": {
            "kind": "visit",
            "site": visit.site,
            "dwell_s": visit.dwell_s,
            "open": visit.open,
            "geo": _geo(visit.position),
        },
    }


def _geo(position: Position | None) -> dict[str, float] | None:
    return None if position is None else {"lat": position.lat, "lon": position.lon}
