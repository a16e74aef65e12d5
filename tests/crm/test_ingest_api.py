"""Ingest over HTTP in rollback mode: contract, validation, clock, dedup, consent gate, visits."""

from __future__ import annotations

import gzip
import uuid
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from ingest_support import (
    EVENTS_URL,
    GZIP_JSON,
    Tenant,
    app_settings,
    auth,
    batch,
    follow_visits,
    gateway_names,
    make_client,
    seed_tenant,
    send,
    uid_event,
)
from sqlalchemy import text

from crm.core.clock import FrozenClock
from crm.core.db import Database
from crm.core.models import utcnow
from crm.visitors import service as visitors
from crm.visitors.models import Visitor

URL = EVENTS_URL


async def scalar(db: Database, sql: str, **params: object) -> object:
    async with db.session(system=True) as session:
        return (await session.execute(text(sql), params)).scalar()


async def events_of(db: Database, visitor: uuid.UUID) -> object:
    """How many proximity events are stored for ``visitor``."""
    return await scalar(db, "SELECT count(*) FROM proximity_event WHERE visitor_id = :v", v=visitor)


async def test_valid_batch_is_stored_with_visit(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    now = utcnow()
    events = [
        uid_event(tenant.passes["lea"], now - timedelta(seconds=120), "enter", seq=1),
        uid_event(tenant.passes["lea"], now - timedelta(seconds=60), "dwell", seq=2, dwell_s=59.6),
    ]
    response = await send(client, tenant, gw, events)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    lea = tenant.visitors["lea"]
    assert await events_of(db, lea) == 2
    row = await scalar(
        db,
        "SELECT row(gateway_id, site_id, seq, rssi, zone)::text FROM proximity_event "
        "WHERE visitor_id = :v ORDER BY seq LIMIT 1",
        v=lea,
    )
    assert row == f"({gw},{tenant.sites['spa']},1,-67.5,near)"
    assert await scalar(db, "SELECT count(*) FROM ingested_event WHERE gateway_id = :g", g=gw) == 2
    # visits come from the follower, which merges what ingest queued, once
    assert await scalar(db, "SELECT count(*) FROM visit WHERE visitor_id = :v", v=lea) == 0
    assert await follow_visits(db) == 2
    assert await scalar(db, "SELECT dwell_s FROM visit WHERE visitor_id = :v", v=lea) == 60
    assert await scalar(db, "SELECT count(*) FROM visit_queue") == 0
    assert await follow_visits(db) == 0
    # the contract allows fractions of a second; events keep whole seconds
    assert (
        await scalar(db, "SELECT max(dwell_s) FROM proximity_event WHERE visitor_id = :v", v=lea)
        == 60
    )

    # a retry of the same batch is recognised, never counted twice
    again = await send(client, tenant, gw, events)
    assert again.json() == {"accepted": 0, "duplicates": 2, "rejected": []}
    assert await events_of(db, lea) == 2


async def test_duplicate_ids_inside_one_batch_count_once(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    event = uid_event(tenant.passes["lea"], utcnow() - timedelta(seconds=5))
    shouted = {**event, "id": event["id"].upper()}  # the same UUID (RFC 9562: either case)
    response = await send(client, tenant, gw, [event, shouted, event])
    assert response.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
    again = await send(client, tenant, gw, [shouted])
    assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert (
        await scalar(
            db, "SELECT count(*) FROM proximity_event WHERE id = :i", i=uuid.UUID(event["id"])
        )
        == 1
    )


async def test_invalid_events_are_named_and_the_rest_stored(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    now = utcnow() - timedelta(seconds=10)
    good = uid_event(tenant.passes["lea"], now)
    bad_kind = {**uid_event(tenant.passes["lea"], now), "kind": "wander"}
    bad_id = {**uid_event(tenant.passes["lea"], now), "id": "not-a-uuid-but-long-enough-0123456789"}
    braced = uid_event(tenant.passes["lea"], now)
    braced["id"] = "{" + braced["id"] + "}"  # a UUID, but not in the wire form
    bad_device = {
        **uid_event(tenant.passes["lea"], now),
        "device": {"type": "eddystone-uid", "namespace": "zz", "instance": "00"},
    }
    bad_rssi = {**uid_event(tenant.passes["lea"], now), "rssi": 500}
    missing = uid_event(tenant.passes["lea"], now)
    del missing["observed_at"]
    too_old = uid_event(tenant.passes["lea"], utcnow() - timedelta(days=31))
    events = [good, bad_kind, bad_id, braced, bad_device, bad_rssi, missing, too_old, "junk"]
    response = await send(client, tenant, gw, events)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1
    assert body["duplicates"] == 0
    assert body["rejected"] == [
        {"id": bad_kind["id"], "reason": "invalid_kind"},
        {"id": bad_id["id"], "reason": "invalid_id"},
        {"id": braced["id"], "reason": "invalid_id"},
        {"id": bad_device["id"], "reason": "invalid_device"},
        {"id": bad_rssi["id"], "reason": "invalid_value"},
        {"id": missing["id"], "reason": "malformed"},
        {"id": too_old["id"], "reason": "clock"},
        {"id": None, "reason": "malformed"},
    ]
    assert await scalar(db, "SELECT count(*) FROM ingested_event WHERE gateway_id = :g", g=gw) == 1


async def test_clock_skew_is_corrected_and_far_events_rejected(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant, crm_clock: FrozenClock
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    now = crm_clock.now()
    # the gateway's clock is one hour behind: its sent_at and observed_at both lag
    skewed_sent = now - timedelta(hours=1)
    event = uid_event(tenant.passes["lea"], skewed_sent - timedelta(seconds=30))
    response = await send(client, tenant, gw, [event], sent_at=skewed_sent)
    assert response.json()["accepted"] == 1
    stored = await scalar(
        db, "SELECT observed_at FROM proximity_event WHERE id = :i", i=uuid.UUID(event["id"])
    )
    assert stored == now - timedelta(seconds=30)  # an hour added, from the CRM's clock

    # within 2 minutes of skew no correction is made
    small = uid_event(tenant.passes["lea"], now - timedelta(seconds=200))
    await send(client, tenant, gw, [small], sent_at=now - timedelta(seconds=90))
    stored_small = await scalar(
        db, "SELECT observed_at FROM proximity_event WHERE id = :i", i=uuid.UUID(small["id"])
    )
    assert stored_small == now - timedelta(seconds=200)

    future = uid_event(tenant.passes["lea"], now + timedelta(minutes=10))
    past = uid_event(tenant.passes["lea"], now - timedelta(days=30, minutes=1))
    response = await send(client, tenant, gw, [future, past])
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [
            {"id": future["id"], "reason": "clock"},
            {"id": past["id"], "reason": "clock"},
        ],
    }


async def test_auth_401_and_403(client: httpx2.AsyncClient, tenant: Tenant) -> None:
    gw1, gw2 = gateway_names(tenant, "spa-gw")
    body = batch(gw1, [uid_event(tenant.passes["lea"], utcnow())])
    none = await client.post(URL, json=body)
    assert none.status_code == 401
    assert none.headers["content-type"] == "application/problem+json"
    bad = await client.post(URL, json=body, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    mismatch = await client.post(URL, json=body, headers=auth(tenant, gw2))
    assert mismatch.status_code == 403
    assert mismatch.headers["content-type"] == "application/problem+json"
    assert mismatch.json()["status"] == 403


async def test_malformed_bodies(client: httpx2.AsyncClient, tenant: Tenant) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    headers = {**auth(tenant, gw), "Content-Type": "application/json"}
    not_json = await client.post(URL, content=b"{nope", headers=headers)
    assert not_json.status_code == 400
    assert not_json.headers["content-type"] == "application/problem+json"
    wrong_shape = await client.post(URL, content=b"[1, 2]", headers=headers)
    assert wrong_shape.status_code == 422
    no_events = await client.post(
        URL, json={"gateway_id": gw, "sent_at": "yesterday"}, headers=headers
    )
    assert no_events.status_code == 422
    assert no_events.headers["content-type"] == "application/problem+json"
    bad_gzip = await client.post(
        URL, content=b"\x1f\x8bnot gzip", headers={**headers, "Content-Encoding": "gzip"}
    )
    assert bad_gzip.status_code == 400


async def test_gzip_and_inflated_size_limit(db: Database, tenant: Tenant) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    events = [
        uid_event(tenant.passes["lea"], utcnow() - timedelta(seconds=i + 1)) for i in range(20)
    ]
    raw = httpx2.Request("POST", "http://x", json=batch(gw, events)).read()
    compressed = gzip.compress(raw)
    headers = {**auth(tenant, gw), **GZIP_JSON}
    # the compressed body fits the limit, the inflated one does not: 413
    async with make_client(db, app_settings(ingest_max_body_bytes=len(raw) - 1)) as small:
        assert len(compressed) < len(raw) - 1
        refused = await small.post(URL, content=compressed, headers=headers)
        assert refused.status_code == 413
        assert refused.headers["content-type"] == "application/problem+json"
    async with make_client(db, app_settings(ingest_max_body_bytes=len(raw))) as exact:
        ok = await exact.post(URL, content=compressed, headers=headers)
        assert ok.status_code == 200, ok.text
        assert ok.json()["accepted"] == 20


async def test_unknown_identity_is_counted_not_stored(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    at = utcnow().replace(minute=30, second=0, microsecond=0) - timedelta(hours=1)
    events = [
        uid_event("ffffffffffff", at, "enter"),
        uid_event("fffffffffffe", at + timedelta(seconds=1), "enter"),
        uid_event("ffffffffffff", at + timedelta(seconds=2), "exit"),
    ]
    response = await send(client, tenant, gw, events)
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    zoo = tenant.sites["zoo"]
    async with db.session(system=True) as session:
        counts = (
            await session.execute(
                text(
                    "SELECT kind, count, hour FROM presence_count WHERE site_id = :s ORDER BY kind"
                ),
                {"s": zoo},
            )
        ).all()
    assert [(k, c) for k, c, _ in counts] == [("enter", 2), ("exit", 1)]
    assert counts[0][2] == at.replace(minute=0)
    assert await scalar(db, "SELECT count(*) FROM proximity_event WHERE site_id = :s", s=zoo) == 0
    # counts add up across batches
    more = [uid_event("ffffffffffff", at + timedelta(seconds=3), "enter")]
    await send(client, tenant, gw, more)
    assert (
        await scalar(
            db, "SELECT count FROM presence_count WHERE site_id = :s AND kind = 'enter'", s=zoo
        )
        == 3
    )
    assert await scalar(db, "SELECT count(*) FROM ingested_event WHERE gateway_id = :g", g=gw) == 4


async def test_no_consent_leaves_no_identity(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    tom = tenant.visitors["tom"]  # personalisation only, no proximity consent
    events = [
        uid_event(tenant.passes["tom"], utcnow() - timedelta(seconds=30), "enter"),
        uid_event(tenant.passes["tom"], utcnow() - timedelta(seconds=10), "exit", dwell_s=20),
    ]
    response = await send(client, tenant, gw, events)
    assert response.json()["accepted"] == 2
    async with db.session(system=True) as session:
        device = (
            await session.execute(text("SELECT id FROM device WHERE visitor_id = :v"), {"v": tom})
        ).scalar()
        # No row of any event-derived table names the visitor or the pass
        for table in ("proximity_event", "visit"):
            rows = (
                await session.execute(
                    text(f"SELECT count(*) FROM {table} WHERE visitor_id = :v"), {"v": tom}
                )
            ).scalar()
            assert rows == 0, table
        queued = "SELECT count(*) FROM visit_queue WHERE :v = ANY(visitor_ids)"
        assert (await session.execute(text(queued), {"v": tom})).scalar() == 0
        assert (
            await session.execute(
                text("SELECT count(*) FROM proximity_event WHERE device_id = :d"), {"d": device}
            )
        ).scalar() == 0
        dump = (
            await session.execute(
                text(
                    "SELECT coalesce(string_agg(t::text, ' '), '')"
                    " FROM (SELECT * FROM ingested_event) t"
                )
            )
        ).scalar()
        assert str(tom) not in str(dump)
        assert str(device) not in str(dump)
        assert tenant.passes["tom"] not in str(dump)
        assert (
            await session.execute(
                text("SELECT sum(count) FROM presence_count WHERE site_id = :s"),
                {"s": tenant.sites["spa"]},
            )
        ).scalar() == 2


async def test_withdrawal_stops_storage_on_next_batch(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    lea = tenant.visitors["lea"]
    before = uid_event(tenant.passes["lea"], utcnow() - timedelta(seconds=60))
    await send(client, tenant, gw, [before])
    async with db.session(tenant.destination_id) as session:
        visitor = await session.get(Visitor, lea)
        assert visitor is not None
        await visitors.record_consent(session, visitor, "proximity", granted=False)
        await session.commit()
    # the backlog (observed while consent was active) is not stored either: withdrawal wins
    backlog = uid_event(tenant.passes["lea"], utcnow() - timedelta(seconds=50))
    after = uid_event(tenant.passes["lea"], utcnow())
    response = await send(client, tenant, gw, [backlog, after])
    assert response.json()["accepted"] == 2
    assert await events_of(db, lea) == 1


async def test_consent_given_after_the_event_does_not_cover_it(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    ana = tenant.visitors["ana"]  # consent given two days ago at enrolment
    old = uid_event(tenant.passes["ana"], utcnow() - timedelta(days=3))
    new = uid_event(tenant.passes["ana"], utcnow() - timedelta(days=1))
    response = await send(client, tenant, gw, [old, new])
    assert response.json()["accepted"] == 2
    assert await events_of(db, ana) == 1
    assert await scalar(
        db, "SELECT id FROM proximity_event WHERE visitor_id = :v", v=ana
    ) == uuid.UUID(new["id"])


@pytest.mark.parametrize("follow_each", [True, False], ids=["followed-per-batch", "followed-once"])
async def test_visits_merge_gateways_of_a_site_and_split_after_gap(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant, follow_each: bool
) -> None:
    """The same visits whether the follower merges each batch as it comes or all at once."""
    gw1, gw2 = gateway_names(tenant, "spa-gw")
    zoo_gw = gateway_names(tenant, "zoo-gw1")[0]
    lea, p = tenant.visitors["lea"], tenant.passes["lea"]
    t0 = utcnow() - timedelta(hours=3)

    async def upload(gateway: str, *events: dict[str, Any]) -> None:
        await send(client, tenant, gateway, list(events))
        if follow_each:
            await follow_visits(db)

    await upload(
        gw1,
        uid_event(p, t0, "enter"),
        uid_event(p, t0 + timedelta(minutes=5), "exit", dwell_s=300),
    )
    await upload(
        gw2,
        uid_event(p, t0 + timedelta(minutes=6), "enter"),
        uid_event(p, t0 + timedelta(minutes=20), "dwell", dwell_s=840),
    )
    await upload(zoo_gw, uid_event(p, t0 + timedelta(minutes=25), "enter"))
    # back at the spa after more than the 30-minute gap: a new visit
    later = t0 + timedelta(minutes=20 + 31)
    await upload(
        gw1,
        uid_event(p, later, "enter"),
        uid_event(p, later + timedelta(minutes=2), "exit", dwell_s=120),
    )
    await follow_visits(db)
    async with db.session(tenant.destination_id) as session:
        rows = (
            await session.execute(
                text(
                    "SELECT site_id, first_seen_at, last_seen_at, dwell_s, closed_at FROM visit "
                    "WHERE visitor_id = :v ORDER BY first_seen_at"
                ),
                {"v": lea},
            )
        ).all()
    spa, zoo = tenant.sites["spa"], tenant.sites["zoo"]
    assert [(r[0], r[3]) for r in rows] == [(spa, 20 * 60), (zoo, 0), (spa, 120)]
    first = rows[0]
    assert abs((first[1] - t0).total_seconds()) < 0.01
    assert abs((first[2] - (t0 + timedelta(minutes=20))).total_seconds()) < 0.01
    assert first[4] == first[2]  # closed at its last sighting when the new visit opened
    assert rows[1][4] is None  # zoo visit still open
    assert abs((rows[2][4] - (later + timedelta(minutes=2))).total_seconds()) < 0.01


async def test_rls_other_destination_sees_none(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:

    other = await seed_tenant(
        db, f"metz-{uuid.uuid4().hex[:6]}", sites={"museum": []}, visitors_={}, instance_base=100
    )
    gw = gateway_names(tenant, "spa-gw1")[0]
    events = [
        uid_event(tenant.passes["lea"], utcnow() - timedelta(seconds=3)),
        uid_event("eeeeeeeeeeee", utcnow()),
    ]
    await send(client, tenant, gw, events)
    async with db.session(other.destination_id) as session:
        for table in ("proximity_event", "ingested_event", "presence_count", "visit"):
            # no WHERE at all: RLS alone hides the other tenant's rows
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0, (
                table
            )
    async with db.session(tenant.destination_id) as session:
        assert (await session.execute(text("SELECT count(*) FROM proximity_event"))).scalar() == 1
