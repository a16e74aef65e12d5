"""The dedup ledger is per destination: an id stored by one destination is new to another.

A gateway of destination B sending an id that destination A already holds must neither learn
that (``duplicates: 1``) nor lose its event; a retry within one destination is still a duplicate.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import httpx2
from ingest_support import (
    Tenant,
    app_settings,
    auth,
    batch,
    gateway_names,
    seed_tenant,
    uid_event,
)
from sqlalchemy import text

from crm.core.db import Database
from crm.core.models import utcnow
from crm.ingest import jobs as ingest_jobs

URL = "/api/v1/gateway/events"


async def other_destination(db: Database) -> Tenant:
    """Destination B: a site, a gateway, and a visitor carrying the same pass UID as A's Léa."""
    return await seed_tenant(
        db, "metz", sites={"museum": ["museum-gw"]}, visitors_={"max": ["proximity"]}, fresh=True
    )


async def rows(db: Database, destination: uuid.UUID, sql: str, event_id: str) -> int:
    async with db.session(destination) as session:
        found = await session.execute(text(sql), {"i": uuid.UUID(event_id)})
        return int(found.scalar_one())


LEDGER = "SELECT count(*) FROM ingested_event WHERE id = :i"
EVENTS = "SELECT count(*) FROM proximity_event WHERE id = :i"


async def test_an_id_of_another_destination_is_accepted(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    other = await other_destination(db)
    gw_a = gateway_names(tenant, "spa-gw1")[0]
    gw_b = gateway_names(other, "museum-gw")[0]
    event_id = uuid.uuid4()
    at = utcnow() - timedelta(seconds=30)
    event_a = uid_event(tenant.passes["lea"], at, event_id=event_id)
    event_b = uid_event(other.passes["max"], at + timedelta(seconds=3), event_id=event_id)

    first = await client.post(URL, json=batch(gw_a, [event_a]), headers=auth(tenant, gw_a))
    assert first.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    elsewhere = await client.post(URL, json=batch(gw_b, [event_b]), headers=auth(other, gw_b))
    assert elsewhere.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    # retries within each destination are still recognised
    for gw, event, owner in ((gw_b, event_b, other), (gw_a, event_a, tenant)):
        again = await client.post(URL, json=batch(gw, [event]), headers=auth(owner, gw))
        assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    for owner in (tenant, other):
        assert await rows(db, owner.destination_id, LEDGER, event_a["id"]) == 1
        assert await rows(db, owner.destination_id, EVENTS, event_a["id"]) == 1


async def test_a_replay_of_another_destinations_event_is_no_server_error(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    """The same pass in both destinations, the same id at the same instant: A's row stays, B is
    answered as for any new event (stored events are keyed by id and time across destinations,
    so B's copy of that very event is not stored a second time)."""
    other = await other_destination(db)
    assert other.passes["max"] == tenant.passes["lea"]
    gw_a = gateway_names(tenant, "spa-gw1")[0]
    gw_b = gateway_names(other, "museum-gw")[0]
    event = uid_event(tenant.passes["lea"], utcnow() - timedelta(seconds=30))
    first = await client.post(URL, json=batch(gw_a, [event]), headers=auth(tenant, gw_a))
    assert first.json()["accepted"] == 1
    replay = await client.post(URL, json=batch(gw_b, [event]), headers=auth(other, gw_b))
    assert replay.status_code == 200, replay.text
    assert replay.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert await rows(db, tenant.destination_id, EVENTS, event["id"]) == 1
    assert await rows(db, other.destination_id, LEDGER, event["id"]) == 1
    async with db.session(other.destination_id) as session:
        queued = await session.execute(text("SELECT count(*) FROM visit_queue"))
        assert queued.scalar_one() == 0


async def test_the_purge_forgets_one_destinations_old_id_only(
    db: Database, tenant: Tenant, tmp_path: Path
) -> None:
    other = await other_destination(db)
    event_id = uuid.uuid4()
    now = utcnow()
    async with db.session(system=True) as session:
        for destination, age in ((tenant.destination_id, 200), (other.destination_id, 1)):
            await session.execute(
                text(
                    "INSERT INTO ingested_event (id, destination_id, gateway_id, ingested_at)"
                    " VALUES (:id, :d, 'gw', :at)"
                ),
                {"id": event_id, "d": destination, "at": now - timedelta(days=age)},
            )
        await session.commit()
    settings = app_settings(dedup_ledger_days=120, data_dir=tmp_path)
    await ingest_jobs.purge_dedup_ledger(db, settings)
    async with db.session(system=True) as session:
        left = await session.execute(
            text("SELECT destination_id FROM ingested_event WHERE id = :i"), {"i": event_id}
        )
        assert list(left.scalars()) == [other.destination_id]
