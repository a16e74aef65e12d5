"""The shelf cache (roadbook/feeds/candidates.py): one load for concurrent first requests, a
stale shelf served while one background task reloads it, a forgotten one reloaded at once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from roadbook.feeds import candidates
from roadbook.feeds.candidates import ShelfCache

NOW = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)
DESTINATION = uuid.uuid4()


class Clock:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every shelf load, in order; each returns a new object and takes a moment."""
    made: list[Any] = []

    async def shelf(session: Any, destination_id: uuid.UUID, now: datetime) -> Any:
        await asyncio.sleep(0.01)
        made.append(object())
        return made[-1]

    monkeypatch.setattr(candidates, "shelf", shelf)
    return made


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


async def test_without_a_refresher_or_after_forget_the_request_reloads(loads: list[Any]) -> None:
    clock = Clock()
    cache = ShelfCache(ttl_s=60, clock=clock)
    await cache.get(None, DESTINATION, NOW)  # type: ignore[arg-type]
    clock.at = 61
    assert await cache.get(None, DESTINATION, NOW) is loads[1]  # type: ignore[arg-type]
    cache.forget(DESTINATION)
    assert await cache.get(None, DESTINATION, NOW, refresh=opener) is loads[2]  # type: ignore[arg-type]
