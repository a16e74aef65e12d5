"""Anonymous self-enrolment is limited per client address: the API and the page share a bucket."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest

from crm.core.db import Database
from crm.main import create_app
from crm.visitors import notice

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import FakeClock, app_settings
from visitors_support import new_destination, visitors_of

VISITOR = ("203.0.113.20", 5000)
NEIGHBOUR = ("198.51.100.30", 5000)


@pytest.fixture
async def destination(db: Database) -> tuple[uuid.UUID, str]:
    return await new_destination(db, "limit")


def client_at(app: Any, address: tuple[str, int]) -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=app, client=address)
    return httpx2.AsyncClient(transport=transport, base_url="http://test")


@dataclass
class Limited:
    """An app limited to a burst of 3 enrolments, then one a minute (its clock is fake), seen
    from two client addresses."""

    clock: FakeClock
    visitor: httpx2.AsyncClient
    neighbour: httpx2.AsyncClient


@pytest.fixture
async def limited(db: Database) -> AsyncIterator[Limited]:
    app = create_app(app_settings(ratelimit_enrol_per_s=1 / 60, ratelimit_enrol_burst=3), db=db)
    clock = FakeClock()
    app.state.rate_limits["self-enrolment"].bucket.clock = clock
    async with client_at(app, VISITOR) as visitor, client_at(app, NEIGHBOUR) as neighbour:
        yield Limited(clock, visitor, neighbour)


def api_body(slug: str) -> dict[str, Any]:
    return {
        "destination": slug,
        "language": "en",
        "consents": ["proximity"],
        "notice_version": notice.CURRENT_VERSION,
    }


FORM = {
    "language": "de",
    "notice_version": notice.CURRENT_VERSION,
    "wishes": ["wellness"],
    "consents": ["personalisation"],
    "adults": "2",
    "children": "1",
}


async def test_self_enrolment_api_is_limited_per_client_address(
    db: Database, destination: tuple[uuid.UUID, str], limited: Limited
) -> None:
    dest_id, slug = destination
    visitor, neighbour, clock = limited.visitor, limited.neighbour, limited.clock
    statuses = [
        (await visitor.post("/api/v1/enrol", json=api_body(slug))).status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 201]
    refused = await visitor.post("/api/v1/enrol", json=api_body(slug))
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["retry-after"] == "60"
    assert refused.json()["status"] == 429
    assert await visitors_of(db, dest_id) == 3  # the refused one wrote nothing
    # Another address is not affected; a minute later the first one may enrol once more.
    assert (await neighbour.post("/api/v1/enrol", json=api_body(slug))).status_code == 201
    clock.now += 60
    assert (await visitor.post("/api/v1/enrol", json=api_body(slug))).status_code == 201
    assert (await visitor.post("/api/v1/enrol", json=api_body(slug))).status_code == 429
    assert await visitors_of(db, dest_id) == 5


async def test_enrolment_page_shares_the_limit_and_says_so_in_the_visitors_language(
    db: Database, destination: tuple[uuid.UUID, str], limited: Limited
) -> None:
    dest_id, slug = destination
    visitor, neighbour = limited.visitor, limited.neighbour
    for _ in range(2):
        assert (await visitor.post("/api/v1/enrol", json=api_body(slug))).status_code == 201
    # A form with mistakes creates nothing and takes nothing from the bucket.
    mistaken = await visitor.post(f"/enrol/{slug}", data={**FORM, "adults": "many"})
    assert mistaken.status_code == 422
    assert (await visitor.post(f"/enrol/{slug}", data=FORM)).status_code == 201
    refused = await visitor.post(f"/enrol/{slug}", data=FORM)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["cache-control"] == "no-store"
    page = refused.text
    assert '<html lang="de">' in page
    assert "Zu viele Anmeldungen von diesem Anschluss" in page
    assert "Bitte korrigieren" not in page  # nothing to correct: only to wait
    assert 'value="wellness" checked' in page and 'value="2"' in page  # entries kept
    assert await visitors_of(db, dest_id) == 3
    assert (await neighbour.post(f"/enrol/{slug}", data=FORM)).status_code == 201
    assert await visitors_of(db, dest_id) == 4


async def test_a_rate_of_zero_turns_the_enrolment_limit_off(
    db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, slug = destination
    app = create_app(app_settings(ratelimit_enrol_per_s=0, ratelimit_enrol_burst=1), db=db)
    async with client_at(app, VISITOR) as visitor:
        for _ in range(3):
            assert (await visitor.post(f"/enrol/{slug}", data=FORM)).status_code == 201
            assert (await visitor.post("/api/v1/enrol", json=api_body(slug))).status_code == 201
    assert await visitors_of(db, dest_id) == 6
