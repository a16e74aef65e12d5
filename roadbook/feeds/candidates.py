"""The catalogue and the live offers as the engine's candidates, kept in memory per destination
(docs/roadbook-engine.md § Service).

Turning 20,000 catalogue rows into :class:`~roadbook.engine.inputs.Candidate` values (the
office's edits applied, hours and periods parsed) and indexing them for retrieval
(roadbook.engine.retrieval) costs far more than ranking a shortlist, so each CRM process keeps a
destination's :class:`Shelf` for :data:`TTL_S` seconds, and drops it at once when the office
edits the catalogue or the offers in this process (:func:`forget`). Another process sees an edit
within the TTL. The publishing window is applied per request (:meth:`Shelf.shortlist`), and
offers' validity, schedule, caps and quota by the engine, so those hold whatever the shelf's age;
an offer approved or a quota used up elsewhere shows within the TTL.

Every TTL the live offers are read again, but the catalogue (the costly part) only when it
changed: its :func:`version` (how many items, the latest ``updated_at``, which every write of
the office's pages and of the import sets) or its sites differ, or it is older than
:data:`CATALOGUE_MAX_AGE`, in case a change escaped the version. Keeping the catalogue keeps its
candidates, its index columns and the hours its planner has read.

Next to each candidate, :class:`~roadbook.feeds.details.Details` keeps what the outputs show and
the engine does not read (summary, image, link, a tour's route, the site's slug).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.tenancy import Destination
from crm.destinations import service as destinations
from partners.offers.models import Offer
from roadbook.content.catalogue import effective, stream_items
from roadbook.content.hours import Period, Schedule
from roadbook.content.models import ContentItem
from roadbook.engine.inputs import (
    Candidate,
    CoVisitation,
    DestinationPolicy,
    Kind,
    Position,
    VisitorContext,
)
from roadbook.engine.planning import Planner
from roadbook.engine.retrieval import Index
from roadbook.engine.table import Picks, Shortlist, Table
from roadbook.feeds import offers as partner_offers
from roadbook.feeds.details import Details, SiteInfo, first_image, position

log = logging.getLogger(__name__)

TTL_S = 60.0
CATALOGUE_MAX_AGE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A destination's candidates (catalogue items) with their details, and its sites."""

    candidates: tuple[Candidate, ...]
    details: Mapping[str, Details]
    sites: Mapping[str, SiteInfo]
    # What :func:`version` said when it was read, and when.
    version: tuple[int, datetime | None]
    read_at: datetime
    # The items' publishing windows, read on every request.
    windows: Windows = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", Windows(self.details))

    def holds(
        self, version: tuple[int, datetime | None], sites: Mapping[str, SiteInfo], now: datetime
    ) -> bool:
        """Whether this catalogue is still the destination's: same version and sites, and
        read less than :data:`CATALOGUE_MAX_AGE` ago."""
        return (
            self.version == version
            and self.sites == sites
            and now - self.read_at < CATALOGUE_MAX_AGE
        )


@dataclass(frozen=True, slots=True)
class Shelf:
    """Everything a destination's roadbooks may show: the catalogue and the live offers,
    indexed for retrieval, with what the outputs show of each and the partners' names."""

    index: Index
    details: Mapping[str, Details]
    partners: Mapping[str, str]
    by_id: Mapping[str, Candidate]
    # The live offers' rows, by item id (their redemption codes).
    offers: Mapping[str, Offer]
    # The catalogue the shelf was made of (kept by the next shelf while it has not changed).
    catalogue: Catalogue
    # The opening hours read so far, for every roadbook of the catalogue's life.
    planner: Planner = field(default_factory=Planner)

    @property
    def sites(self) -> Mapping[str, SiteInfo]:
        return self.catalogue.sites

    def shortlist(
        self, context: VisitorContext, policy: DestinationPolicy, covisitation: CoVisitation
    ) -> Shortlist:
        """What is worth ranking for ``context``, inside its publishing window now."""
        hidden = self.catalogue.windows.hidden(context.now)
        return self.index.shortlist(context, policy, covisitation).without(hidden)


class Windows:
    """The catalogue's publishing windows, as arrays: which items are outside theirs at an
    instant, kept until a window next opens or closes (and, per table, their rows)."""

    def __init__(self, details: Mapping[str, Details]) -> None:
        windowed = [
            (item, shown)
            for item, shown in details.items()
            if shown.shown_from is not None or shown.shown_until is not None
        ]
        self.ids = [item for item, _ in windowed]
        self.opens = np.array(
            [s.shown_from.timestamp() if s.shown_from else -math.inf for _, s in windowed]
        )
        self.closes = np.array(
            [s.shown_until.timestamp() if s.shown_until else math.inf for _, s in windowed]
        )
        # From, until (timestamps), the hidden ids, and their rows by table.
        self._kept: tuple[float, float, list[str], dict[Table, Picks]] | None = None

    def hidden(self, at: datetime) -> Callable[[Table], Picks]:
        """The rows of a table's items outside their window at ``at``."""
        moment = at.timestamp()
        kept = self._kept
        if kept is None or not kept[0] <= moment < kept[1]:
            outside = (self.opens > moment) | (self.closes <= moment)
            ids = [self.ids[n] for n in np.flatnonzero(outside).tolist()]
            edges = np.concatenate((self.opens, self.closes))
            since = edges[edges <= moment].max(initial=-math.inf)
            until = edges[edges > moment].min(initial=math.inf)
            kept = self._kept = (since, until, ids, {})
        rows = kept[3]

        def of(table: Table) -> Picks:
            found = rows.get(table)
            if found is None:
                found = rows[table] = table.rows_of(kept[2])
            return found

        return of


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
        slug=item.slug,
        shown_from=item.published_from,
        shown_until=item.published_until,
    )
    return candidate, details


def _kind(kind: str) -> Kind:
    if kind == "event":
        return "event"
    return "tour" if kind == "tour" else "place"


async def load_sites(session: AsyncSession, destination_id: uuid.UUID) -> dict[str, SiteInfo]:
    """The destination's sites by id, as the roadbook shows them."""
    return {
        str(site.id): SiteInfo(
            slug=site.slug,
            name=site.name,
            kind=site.kind,
            position=position(site.latitude, site.longitude),
            partner_id=str(site.partner_id) if site.partner_id else None,
        )
        for site in await destinations.list_sites(session, destination_id)
    }


async def version(session: AsyncSession, destination_id: uuid.UUID) -> tuple[int, datetime | None]:
    """How many catalogue items the destination has, and when the latest was written."""
    row = (
        await session.execute(
            select(func.count(), func.max(col(ContentItem.updated_at))).where(
                col(ContentItem.destination_id) == destination_id
            )
        )
    ).one()
    return int(row[0]), row[1]


async def load(
    session: AsyncSession,
    destination_id: uuid.UUID,
    sites: Mapping[str, SiteInfo],
    read: tuple[int, datetime | None],
    now: datetime,
) -> Catalogue:
    """Read the destination's published catalogue (at :func:`version` ``read``); the rows
    become candidates in a worker thread, off the event loop.

    ``catalogue.stream_items`` reads the rows in chunks from a server-side cursor (``raw``
    left in the database): the worker's other requests run between two chunks (read at once,
    20,000 rows held the event loop about a second, their JSONB decoded in one go)."""
    items = [item async for item in stream_items(session, destination_id) if item.published]
    return await asyncio.to_thread(_catalogue, items, sites, read, now)


def _catalogue(
    items: Iterable[ContentItem],
    sites: Mapping[str, SiteInfo],
    read: tuple[int, datetime | None],
    now: datetime,
) -> Catalogue:
    candidates: list[Candidate] = []
    details: dict[str, Details] = {}
    for item in items:
        built = item_candidate(item, sites)
        if built is not None:
            candidates.append(built[0])
            details[built[0].id] = built[1]
    return Catalogue(tuple(candidates), details, sites, read, now)


async def shelf(
    session: AsyncSession, destination_id: uuid.UUID, now: datetime, previous: Shelf | None = None
) -> Shelf:
    """Load and index the destination's catalogue and the offers live at ``now``; the
    ``previous`` shelf's catalogue when it has not changed since (see the module's text)."""
    destination = await session.get(Destination, destination_id)
    assert destination is not None
    zone = ZoneInfo(destination.timezone)
    sites = await load_sites(session, destination_id)
    read = await version(session, destination_id)
    if previous is not None and not previous.catalogue.holds(read, sites, now):
        previous = None
    if previous is not None:
        catalogue = previous.catalogue
    else:
        catalogue = await load(session, destination_id, sites, read, now)
    offers = await partner_offers.live(session, destination_id, now, catalogue.sites)
    if previous is not None:
        index = await asyncio.to_thread(previous.index.with_offers, offers.candidates, now, zone)
    else:
        candidates = (*catalogue.candidates, *offers.candidates)
        index = await asyncio.to_thread(Index, candidates, now, zone)
    return Shelf(
        index=index,
        details={**catalogue.details, **offers.details},
        partners=offers.partners,
        by_id={candidate.id: candidate for candidate in index.candidates},
        offers=offers.rows,
        catalogue=catalogue,
        planner=previous.planner if previous is not None else Planner(),
    )


Opener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class ShelfCache:
    """Each destination's :class:`Shelf`, kept :data:`TTL_S` seconds in this process.

    A request never waits for a stale shelf when it can be refreshed in the background
    (``refresh`` opens a session for it): it gets the old one, and one task loads the new one.
    Without a shelf (first request, or after :meth:`forget`), requests wait for one load
    together, never one each.
    """

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._kept: dict[uuid.UUID, tuple[float, Shelf]] = {}
        self._loading: dict[uuid.UUID, asyncio.Lock] = {}
        self._refreshing: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def get(
        self,
        session: AsyncSession,
        destination_id: uuid.UUID,
        now: datetime,
        refresh: Opener | None = None,
    ) -> Shelf:
        kept = self._kept.get(destination_id)
        if kept is not None:
            if self.clock() - kept[0] >= self.ttl_s:
                if refresh is None:
                    return await self._load(session, destination_id, now, stale=kept)
                self._refresh_later(destination_id, now, refresh)
            return kept[1]
        return await self._load(session, destination_id, now, stale=None)

    async def _load(
        self,
        session: AsyncSession,
        destination_id: uuid.UUID,
        now: datetime,
        stale: tuple[float, Shelf] | None,
    ) -> Shelf:
        lock = self._loading.setdefault(destination_id, asyncio.Lock())
        async with lock:
            kept = self._kept.get(destination_id)
            if kept is not None and kept is not stale and self.clock() - kept[0] < self.ttl_s:
                return kept[1]  # loaded by the request we waited for
            loaded = await shelf(session, destination_id, now, stale[1] if stale else None)
            self._kept[destination_id] = (self.clock(), loaded)
            return loaded

    def _refresh_later(self, destination_id: uuid.UUID, now: datetime, refresh: Opener) -> None:
        running = self._refreshing.get(destination_id)
        if running is not None and not running.done():
            return

        async def reload() -> None:
            try:
                previous = self._kept.get(destination_id)
                async with refresh() as session:
                    loaded = await shelf(
                        session, destination_id, now, previous[1] if previous else None
                    )
                self._kept[destination_id] = (self.clock(), loaded)
            except Exception as error:  # the old shelf is served until the next try
                log.warning("roadbook shelf of %s not refreshed: %r", destination_id, error)

        self._refreshing[destination_id] = asyncio.create_task(
            reload(), name=f"roadbook-shelf {destination_id}"
        )

    def forget(self, destination_id: uuid.UUID | None = None) -> None:
        """Drop one destination's shelf (all when ``None``): the next request reloads it."""
        if destination_id is None:
            self._kept.clear()
        else:
            self._kept.pop(destination_id, None)


CACHE = ShelfCache()


async def changed(destination_id: uuid.UUID) -> None:
    """The ``catalogue.changed`` hook: reload the destination's shelf at the next request."""
    forget(destination_id)


def forget(destination_id: uuid.UUID | None = None) -> None:
    """The catalogue or the offers of ``destination_id`` changed: this process reloads them."""
    CACHE.forget(destination_id)
