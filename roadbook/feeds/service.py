"""A visitor's roadbook as a JSON Feed 1.1 document (with a ``_balise`` extension)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.destinations.models import Site
from crm.ingest.schemas import rfc3339
from crm.visitors.models import Visitor
from crm.visits.models import Visit
from roadbook.content.catalogue import effective, stream_items
from roadbook.content.models import ContentItem
from roadbook.content.text import localize
from roadbook.i18n import message

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MAX_VISITS = 50
MAX_PLACES = 20
# Events shown: those happening from today to this many days ahead.
AHEAD_DAYS = 28


async def visitor_feed(
    session: AsyncSession, visitor: Visitor, *, roadbook_url: str, about_url: str
) -> dict[str, Any]:
    """The roadbook of ``visitor``: where they have been, then places matching their wishes.

    ``roadbook_url`` is the visitor's absolute ``/r/{token}`` address under the public URL,
    ``about_url`` the address of the extension's documentation (roadbook/feeds/about.md).
    """
    language = visitor.language
    destination = await session.get(Destination, visitor.destination_id)
    assert destination is not None
    visits = (
        await session.execute(
            select(Visit, Site)
            .join(Site, col(Site.id) == Visit.site_id)
            .where(col(Visit.visitor_id) == visitor.id)
            .order_by(col(Visit.last_seen_at).desc())
            .limit(MAX_VISITS)
        )
    ).all()
    places = await _places_for(session, visitor, destination, {site.id for _, site in visits})
    items = [_visit_item(visit, site, language) for visit, site in visits]
    items += [_place_item(place, shown, language) for place, shown in places]
    return {
        "version": JSON_FEED_VERSION,
        "title": message("roadbook_title", language, destination=destination.name),
        "home_page_url": roadbook_url,
        "feed_url": f"{roadbook_url}/feed.json",
        "language": language,
        "items": items,
        "_balise": {"about": about_url, "wishes": visitor.wishes},
    }


async def _places_for(
    session: AsyncSession,
    visitor: Visitor,
    destination: Destination,
    visited_sites: set[uuid.UUID],
) -> list[tuple[ContentItem, dict[str, Any]]]:
    """The catalogue as visitors see it now (published, inside its window; events of the coming
    weeks), those matching the visitor's wishes first, not yet visited first; each item with
    its fields as shown (``effective``, computed once)."""
    now = utcnow()
    today = now.astimezone(ZoneInfo(destination.timezone)).date()
    wishes = set(visitor.wishes)
    ranked: list[tuple[tuple[int, int, str], ContentItem, dict[str, Any]]] = []
    async for item in stream_items(
        session,
        destination.id,
        between=(today, today + timedelta(days=AHEAD_DAYS)),
        visible_at=now,
    ):
        shown = effective(item)
        rank = (-len(wishes & set(shown["wishes"])), int(shown["site_id"] in visited_sites))
        ranked.append(((*rank, item.slug), item, shown))
    ranked.sort(key=lambda entry: entry[0])
    return [(item, shown) for _, item, shown in ranked[:MAX_PLACES]]


def _visit_item(visit: Visit, site: Site, language: str) -> dict[str, Any]:
    return {
        "id": f"visit:{visit.id}",
        "title": message("visit_title", language, site=site.name),
        "content_text": message("visit_text", language, minutes=round(visit.dwell_s / 60)),
        "date_published": rfc3339(visit.first_seen_at),
        "date_modified": rfc3339(visit.last_seen_at),
        "tags": ["visit", site.kind],
        "_balise": {
            "kind": "visit",
            "site": site.slug,
            "dwell_s": visit.dwell_s,
            "open": visit.closed_at is None,
            "geo": _geo(site.latitude, site.longitude),
        },
    }


def _place_item(item: ContentItem, shown: dict[str, Any], language: str) -> dict[str, Any]:
    title = localize(shown["title"], language)
    item_json: dict[str, Any] = {
        "id": f"{item.kind}:{item.id}",
        "title": title.text or item.slug,
        "content_text": localize(shown["summary"], language).text,
        "date_modified": rfc3339(item.updated_at),
        "tags": [item.kind, *shown["wishes"]],
        "_balise": {
            "kind": item.kind,
            "slug": item.slug,
            "language": title.language,
            "geo": _geo(shown["latitude"], shown["longitude"]),
        },
    }
    if item.kind == "event":
        item_json["_balise"]["dates"] = [
            {
                key: period[key]
                for key in ("start", "end", "start_time", "end_time", "days")
                if period.get(key)
            }
            for period in shown["periods"]
        ]
    websites = shown["contact"].get("websites") or []
    if websites:
        item_json["external_url"] = websites[0]
    return item_json


def _geo(latitude: float | None, longitude: float | None) -> dict[str, float] | None:
    return None if latitude is None or longitude is None else {"lat": latitude, "lon": longitude}
