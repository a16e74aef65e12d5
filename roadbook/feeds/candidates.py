"""The catalogue as the engine's candidates, kept in memory per destination (docs/roadbook-engine.md
§ Service).

Turning 20,000 catalogue rows into :class:`~roadbook.engine.inputs.Candidate` values (the
office's edits applied, hours and periods parsed) costs far more than ranking them, so each CRM
process keeps a destination's candidates for :data:`TTL_S` seconds, and drops them at once when
the office edits the catalogue in this process (:func:`forget`). Another process sees an edit
within the TTL. The publishing window is applied per request (:meth:`Catalogue.shown_at`), so a
scheduled item appears on time whatever the cache's age.

Next to each candidate, :class:`Details` keeps what the outputs show and the engine does not
read (summary, image, link, a tour's route, the site's slug).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlmodel import col

from crm.destinations.models import Site
from roadbook.content.catalogue import effective
from roadbook.content.hours import Period, Schedule
from roadbook.content.models import ContentItem
from roadbook.engine.inputs import Candidate, Kind, Position
from roadbook.feeds.view import Image

log = logging.getLogger(__name__)

TTL_S = 60.0


@dataclass(frozen=True, slots=True)
class Details:
    """What an item's outputs show besides what the engine ranks."""

    summary: Mapping[str, str]
    image: Image | None = None
    # The item's own website (the click-through's target), if any.
    url: str | None = None
    route: tuple[Position, ...] = ()
    site: str | None = None
    # The publishing window (None: unbounded).
    shown_from: datetime | None = None
    shown_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SiteInfo:
    slug: str
    name: str
    kind: str
    position: Position | None
    partner_id: str | None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A destination's candidates (catalogue items) with their details, and its sites."""

    candidates: tuple[Candidate, ...]
    details: Mapping[str, Details]
    sites: Mapping[str, SiteInfo]

    def shown_at(self, at: datetime) -> list[Candidate]:
        """The candidates inside their publishing window at ``at``."""
        details = self.details
        return [candidate for candidate in self.candidates if _inside(details[candidate.id], at)]


def _inside(details: Details, at: datetime) -> bool:
    return (details.shown_from is None or details.shown_from <= at) and (
        details.shown_until is None or at < details.shown_until
    )


def position(latitude: object, longitude: object) -> Position | None:
    """A position from stored coordinates, or ``None`` when missing or out of range."""
    if not isinstance(latitude, (int, float)) or not isinstance(longitude, (int, float)):
        return None
    try:
        return Position(float(latitude), float(longitude))
    except ValueError:
        return None


def first_image(images: Iterable[Any]) -> Image | None:
    for image in images:
        if isinstance(image, Mapping) and isinstance(image.get("url"), str) and image["url"]:
            credit = image.get("credit")
            return Image(image["url"], credit if isinstance(credit, str) and credit else None)
    return None


def _website(contact: Mapping[str, Any]) -> str | None:
    websites = contact.get("websites") or []
    for url in websites:
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return url
    return None


def _route(shown: Mapping[str, Any]) -> tuple[Position, ...]:
    """A tour's line: its GeoJSON LineString ([lon, lat] pairs), else its stops in order."""
    line = shown.get("route") or {}
    points: list[Position | None]
    if isinstance(line, Mapping) and line.get("type") == "LineString":
        points = [
            position(pair[1], pair[0])
            for pair in line.get("coordinates") or []
            if isinstance(pair, list) and len(pair) >= 2
        ]
    else:
        points = [
            position(stop.get("lat"), stop.get("lon"))
            for stop in shown.get("stops") or []
            if isinstance(stop, Mapping)
        ]
    return tuple(point for point in points if point is not None)


def item_candidate(
    item: ContentItem, sites: Mapping[str, SiteInfo]
) -> tuple[Candidate, Details] | None:
    """The engine's view of a catalogue item, or ``None`` (logged) when it cannot be ranked."""
    shown = effective(item)
    site_id = str(shown["site_id"]) if shown["site_id"] else None
    site = sites.get(site_id) if site_id else None
    try:
        hours = Schedule.model_validate(shown["opening_hours"] or {})
        periods = tuple(Period.model_validate(p) for p in shown["periods"] or ())
        candidate = Candidate(
            id=f"{item.kind}:{item.id}",
            kind=_kind(item.kind),
            title=shown["title"],
            site_id=site_id,
            partner_id=site.partner_id if site else None,
            wishes=frozenset(shown["wishes"]),
            position=position(shown["latitude"], shown["longitude"])
            or (site.position if site else None),
            hours=hours if hours.rules else None,
            periods=periods,
            updated_at=item.updated_at,
        )
    except (ValidationError, ValueError) as error:
        log.warning("catalogue item %s left out of roadbooks: %s", item.slug, error)
        return None
    details = Details(
        summary=shown["summary"],
        image=first_image(shown["images"]),
        url=_website(shown["contact"]),
        route=_route(shown) if item.kind == "tour" else (),
        site=site.slug if site else None,
        shown_from=item.published_from,
        shown_until=item.published_until,
    )
    return candidate, details


def _kind(kind: str) -> Kind:
    if kind == "event":
        return "event"
    return "tour" if kind == "tour" else "place"


async def load_sites(session: AsyncSession, destination_id: uuid.UUID) -> dict[str, SiteInfo]:
    rows = await session.execute(select(Site).where(col(Site.destination_id) == destination_id))
    return {
        str(site.id): SiteInfo(
            slug=site.slug,
            name=site.name,
            kind=site.kind,
            position=position(site.latitude, site.longitude),
            partner_id=str(site.partner_id) if site.partner_id else None,
        )
        for site in rows.scalars()
    }


async def load(session: AsyncSession, destination_id: uuid.UUID) -> Catalogue:
    """Read the destination's published catalogue and sites (``raw`` stays in the database)."""
    sites = await load_sites(session, destination_id)
    query = (
        select(ContentItem)
        .options(defer(ContentItem.raw))  # type: ignore[arg-type]
        .where(col(ContentItem.destination_id) == destination_id)
        .where(col(ContentItem.published).is_(True))
        .order_by(col(ContentItem.slug))
        .execution_options(yield_per=1000)
    )
    candidates: list[Candidate] = []
    details: dict[str, Details] = {}
    async for item in await session.stream_scalars(query):
        built = item_candidate(item, sites)
        if built is not None:
            candidates.append(built[0])
            details[built[0].id] = built[1]
    return Catalogue(tuple(candidates), details, sites)


class CatalogueCache:
    """Each destination's :class:`Catalogue`, kept :data:`TTL_S` seconds in this process."""

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._kept: dict[uuid.UUID, tuple[float, Catalogue]] = {}

    async def get(self, session: AsyncSession, destination_id: uuid.UUID) -> Catalogue:
        kept = self._kept.get(destination_id)
        if kept is not None and self.clock() - kept[0] < self.ttl_s:
            return kept[1]
        catalogue = await load(session, destination_id)
        self._kept[destination_id] = (self.clock(), catalogue)
        return catalogue

    def forget(self, destination_id: uuid.UUID | None = None) -> None:
        """Drop one destination's catalogue (all when ``None``): the next request reloads."""
        if destination_id is None:
            self._kept.clear()
        else:
            self._kept.pop(destination_id, None)


CACHE = CatalogueCache()


def forget(destination_id: uuid.UUID | None = None) -> None:
    """The catalogue of ``destination_id`` changed: the roadbooks of this process reload it."""
    CACHE.forget(destination_id)
