"""Live events test helpers: a destination with named sites, visitors with roadbook tokens,
ingest batches over real HTTP, the visits follower run once, and an SSE reader."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx2
from sqlalchemy import text

from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.gateways import service as gateways
from crm.ingest.schemas import rfc3339
from crm.visitors import service as visitors

NAMESPACE = "a1b2c3d4e5f60718293a"
INGEST = "/api/v1/gateway/events"


@dataclass
class Place:
    """A destination with sites (slug → id and gateway token) and visitors (name → id, pass,
    roadbook token)."""

    destination_id: uuid.UUID
    sites: dict[str, uuid.UUID] = field(default_factory=dict)
    gateways: dict[str, tuple[str, str]] = field(default_factory=dict)  # site → (name, token)
    visitors: dict[str, uuid.UUID] = field(default_factory=dict)
    passes: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


async def seed_place(
    db: Database,
    sites: dict[str, str],
    people: dict[str, str],
    *,
    consents: tuple[str, ...] = ("proximity",),
) -> Place:
    """``sites``: slug → display name (one gateway each); ``people``: name → language."""
    slug = f"live-{uuid.uuid4().hex[:8]}"
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, slug, "Amnéville")
        place = Place(destination.id)
        for site_slug, name in sites.items():
            site = await destinations.add_site(session, destination.id, site_slug, name)
            place.sites[site_slug] = site.id
            gateway = f"{site_slug}-gw-{uuid.uuid4().hex[:6]}"
            _, token = await gateways.add_gateway(session, gateway, site)
            place.gateways[site_slug] = (gateway, token)
        for person, language in people.items():
            instance = uuid.uuid4().hex[:12]
            enrolment = await visitors.enrol(
                session,
                destination.id,
                language=language,
                consents=consents,
                pass_uid=f"{NAMESPACE}:{instance}",
                at=utcnow() - timedelta(days=1),  # consented before any event of the tests
            )
            place.visitors[person] = enrolment.visitor.id
            place.passes[person] = instance
            place.tokens[person] = enrolment.roadbook_token
        await session.commit()
    return place


def enter(place: Place, site: str, person: str, at: datetime | None = None) -> dict[str, object]:
    """The batch a site's gateway sends when ``person``'s pass enters it."""
    at = at or utcnow()
    return {
        "gateway_id": place.gateways[site][0],
        "sent_at": rfc3339(utcnow()),
        "events": [
            {
                "id": str(uuid.uuid4()),
                "seq": 1,
                "kind": "enter",
                "observed_at": rfc3339(at),
                "device": {
                    "type": "eddystone-uid",
                    "namespace": NAMESPACE,
                    "instance": place.passes[person],
                },
                "rssi": -61.0,
                "distance_m": 1.2,
                "zone": "near",
                "dwell_s": 0,
            }
        ],
    }


async def post_batch(
    client: httpx2.AsyncClient, place: Place, site: str, body: dict[str, object]
) -> None:
    """Post one ingest batch as the site's gateway; it must be stored."""
    response = await client.post(
        INGEST, json=body, headers={"Authorization": f"Bearer {place.gateways[site][1]}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(body["events"])  # type: ignore[arg-type]


async def follow(db: Database) -> int:
    """Run the visits follower once, as the scheduler's leader does every second."""
    from crm.visits.follower import follow as follow_visits

    return await follow_visits(db, Settings(_env_file=None))  # type: ignore[call-arg]


async def visit_id(db: Database, place: Place, person: str, site: str) -> uuid.UUID:
    async with db.session(system=True) as session:
        found = (
            await session.execute(
                text("SELECT id FROM visit WHERE visitor_id = :v AND site_id = :s"),
                {"v": place.visitors[person], "s": place.sites[site]},
            )
        ).scalar_one()
    return uuid.UUID(str(found))


@dataclass
class Event:
    """One block of an event stream (comments only: ``event`` is None)."""

    event: str | None = None
    data: str | None = None
    id: str | None = None
    retry: int | None = None
    comments: list[str] = field(default_factory=list)


class EventReader:
    """Reads an event stream block by block, as EventSource parses it (text/event-stream)."""

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self._lines: AsyncIterator[str] = response.aiter_lines()

    async def next(self) -> Event:
        event = Event()
        seen = False
        async for line in self._lines:
            if line == "":
                if seen:
                    return event
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                event.comments.append(value)
            elif name == "event":
                event.event = value
            elif name == "data":
                event.data = value if event.data is None else f"{event.data}\n{value}"
            elif name == "id":
                event.id = value
            elif name == "retry":
                event.retry = int(value)
        raise EOFError("the stream ended")

    async def next_event(self) -> Event:
        """The next block that is an event (comments skipped)."""
        while True:
            event = await self.next()
            if event.event is not None or event.data is not None:
                return event
