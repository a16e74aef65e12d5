"""A visitor's roadbook as a JSON Feed 1.1 document (with a ``_balise`` extension)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.i18n import pick
from crm.core.tenancy import Destination
from crm.destinations.models import Site
from crm.ingest.schemas import rfc3339
from crm.visitors.models import Visitor
from crm.visits.models import Visit
from roadbook.content.models import Place
from roadbook.i18n import message

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MAX_VISITS = 50
MAX_PLACES = 20


async def visitor_feed(
    session: AsyncSession, visitor: Visitor, roadbook_url: str
) -> dict[str, Any]:
    """The roadbook of ``visitor``: where they have been, then places matching their wishes.

    ``roadbook_url`` is the visitor's absolute ``/r/{token}`` address under the public URL.
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
    places = await _places_for(session, visitor, {site.id for _, site in visits})
    items = [_visit_item(visit, site, language) for visit, site in visits]
    items += [_place_item(place, language) for place in places]
    return {
        "version": JSON_FEED_VERSION,
        "title": message("roadbook_title", language, destination=destination.name),
        "home_page_url": roadbook_url,
        "feed_url": f"{roadbook_url}/feed.json",
        "language": language,
        "items": items,
        "_balise": {"about": "https://balise.example/docs/feed", "wishes": visitor.wishes},
    }


async def _places_for(
    session: AsyncSession, visitor: Visitor, visited_sites: set[uuid.UUID]
) -> list[Place]:
    """Editorial places, those matching the visitor's wishes first, not yet visited first."""
    places = (await session.execute(select(Place).order_by(Place.slug))).scalars().all()
    wishes = set(visitor.wishes)

    def rank(place: Place) -> tuple[int, int]:
        return (-len(wishes & set(place.wishes)), int(place.site_id in visited_sites))

    return sorted(places, key=rank)[:MAX_PLACES]


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


def _place_item(place: Place, language: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"place:{place.id}",
        "title": pick(place.title, language),
        "content_text": pick(place.summary, language),
        "date_modified": rfc3339(place.updated_at),
        "tags": ["place", *place.wishes],
        "_balise": {
            "kind": "place",
            "slug": place.slug,
            "geo": _geo(place.latitude, place.longitude),
        },
    }
    if place.url:
        item["external_url"] = place.url
    return item


def _geo(latitude: float | None, longitude: float | None) -> dict[str, float] | None:
    return None if latitude is None or longitude is None else {"lat": latitude, "lon": longitude}
