"""The shelf cache (roadbook/feeds/candidates.py): one load for concurrent first requests, a
stale shelf served while one background task reloads it, a forgotten one reloaded at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations import service as destinations
from partners.offers.service import OfferFields, create_offer
from roadbook.content.models import ContentItem
from roadbook.feeds import candidates
from roadbook.feeds.candidates import ShelfCache

NOW = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)
DESTINATION = uuid.uuid4()
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


class Clock:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every shelf load, in order; each returns a new object and takes a moment."""
    made: list[Any] = []

    async def shelf(
        session: Any, destination_id: uuid.UUID, now: datetime, previous: Any = None
    ) -> Any:
        await asyncio.sleep(0.01)
        replaced.append(previous)
        made.append(object())
        return made[-1]

    replaced.clear()
    monkeypatch.setattr(candidates, "shelf", shelf)
    return made


# The shelf each load was told it replaces (it may keep that one's catalogue).
replaced: list[Any] = []


@asynccontextmanager
async def opener() -> AsyncIterator[Any]:
    yield None


async def test_concurrent_first_requests_share_one_load(loads: list[Any]) -> None:
    cache = ShelfCache(ttl_s=60, clock=Clock())
    got = await asyncio.gather(*(cache.get(None, DESTINATION, NOW) for _ in range(5)))  # type: ignore[arg-type]
    assert len(loads) == 1 and all(shelf is loads[0] for shelf in got)


async def test_a_stale_shelf_is_served_while_one_task_reloads_it(loads: list[Any]) -> None:
    clock = Clock()
    cache = ShelfCache(ttl_s=60, clock=clock)
    first = await cache.get(None, DESTINATION, NOW)  # type: ignore[arg-type]
    clock.at = 61
    stale = await asyncio.gather(
        *(cache.get(None, DESTINATION, NOW, refresh=opener) for _ in range(3))  # type: ignore[arg-type]
    )
    assert all(shelf is first for shelf in stale) and len(loads) == 1
    await asyncio.gather(*cache._refreshing.values())
    assert len(loads) == 2
    assert await cache.get(None, DESTINATION, NOW, refresh=opener) is loads[1]  # type: ignore[arg-type]
    assert replaced == [None, first]


async def test_without_a_refresher_or_after_forget_the_request_reloads(loads: list[Any]) -> None:
    clock = Clock()
    cache = ShelfCache(ttl_s=60, clock=clock)
    await cache.get(None, DESTINATION, NOW)  # type: ignore[arg-type]
    clock.at = 61
    assert await cache.get(None, DESTINATION, NOW) is loads[1]  # type: ignore[arg-type]
    cache.forget(DESTINATION)
    assert await cache.get(None, DESTINATION, NOW, refresh=opener) is loads[2]  # type: ignore[arg-type]
    # The stale shelf was handed to its reload; a forgotten one is not.
    assert replaced == [None, loads[0], None]


async def test_a_reload_keeps_an_unchanged_catalogue_and_reads_the_offers_again(
    db: Database,
) -> None:
    now = utcnow()
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"shelf-{uuid.uuid4().hex[:6]}", "S")
        spa = await destinations.add_partner(session, dest.id, "spa", "Spa SA")
        session.add(ContentItem(destination_id=dest.id, kind="place", slug="baths",
                                title={"fr": "Bains"}, latitude=49.26, longitude=6.14))  # fmt: skip
        await session.commit()

    async def offer(title: str) -> None:
        async with db.session(system=True) as session:
            fields = OfferFields(partner_id=spa.id, title={"fr": title}, valid_from=now - HOUR,
                                 valid_until=now + 24 * HOUR)  # fmt: skip
            await create_offer(session, dest.id, fields, status="approved", by="office")
            await session.commit()

    async def load(at: datetime, previous: candidates.Shelf | None) -> candidates.Shelf:
        async with db.session(dest.id) as session:
            return await candidates.shelf(session, dest.id, at, previous)

    def titles(shelf: candidates.Shelf) -> set[str]:
        return {c.title["fr"] for c in shelf.index.candidates}

    await offer("Massage")
    first = await load(now, None)
    await offer("Sauna")
    second = await load(now + MINUTE, first)
    # Same catalogue objects (and the hours read), the new offer read.
    assert second.catalogue is first.catalogue and second.planner is first.planner
    assert titles(second) == {"Bains", "Massage", "Sauna"}
    async with db.session(dest.id) as session:
        await session.execute(
            update(ContentItem)
            .where(col(ContentItem.destination_id) == dest.id)
            .values(title={"fr": "Thermes"}, updated_at=utcnow())
        )
        await session.commit()
    third = await load(now + 2 * MINUTE, second)
    assert third.catalogue is not second.catalogue and titles(third) == {
        "Thermes", "Massage", "Sauna"
    }  # fmt: skip
    # Unchanged, but older than CATALOGUE_MAX_AGE: read again all the same.
    later = now + 2 * MINUTE + candidates.CATALOGUE_MAX_AGE
    assert (await load(later, third)).catalogue is not third.catalogue
