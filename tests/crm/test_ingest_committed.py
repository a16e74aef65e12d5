"""Ingest with real commits: concurrent retries over a live server, NOTIFY, zip bombs, EIDs."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx2
import psycopg
import pytest
from ingest_support import (
    GZIP_JSON,
    app_settings,
    auth,
    batch,
    follow_visits,
    make_client,
    seed_tenant,
    uid_event,
)
from sqlalchemy import text
from sqlalchemy.engine import make_url

from crm.core.body import read_body
from crm.core.db import Database
from crm.core.errors import Problem
from crm.core.models import utcnow
from crm.passes.eid import refresh_eid_windows
from crm.passes.models import Device
from eddystone.eid import EidIdentity

URL = "/api/v1/gateway/events"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_same_batch_ten_times_concurrently_is_stored_once(
    live_server: object, committed_db: Database
) -> None:
    tenant = await seed_tenant(
        committed_db,
        "concurrent",
        sites={"spa": ["spa-gw1"]},
        visitors_={"lea": ["proximity"], "tom": []},
    )
    now = utcnow()
    events = [
        uid_event(tenant.passes["lea" if i % 2 else "tom"], now - timedelta(seconds=300 - i), seq=i)
        for i in range(200)
    ] + [uid_event("0badc0ffee00", now - timedelta(seconds=5), seq=999)]
    body = batch("spa-gw1", events)
    base = live_server.url  # type: ignore[attr-defined]
    async with httpx2.AsyncClient(base_url=base, timeout=30) as client:
        responses = await asyncio.gather(
            *(client.post(URL, json=body, headers=auth(tenant, "spa-gw1")) for _ in range(10))
        )
    assert [r.status_code for r in responses] == [200] * 10
    results = [r.json() for r in responses]
    assert sum(r["accepted"] for r in results) == 201
    assert sorted(r["accepted"] for r in results)[-1] == 201  # one request won everything
    assert all(r["accepted"] + r["duplicates"] == 201 for r in results)
    async with committed_db.session(system=True) as session:
        counts = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM ingested_event),"
                    " (SELECT count(*) FROM proximity_event),"
                    " (SELECT sum(count) FROM presence_count),"
                    " (SELECT count(*) FROM visit_queue),"
                    " (SELECT sum(cardinality(visitor_ids)) FROM visit_queue)"
                )
            )
        ).one()
    # one queued row: the 100 sightings of the one request that stored them
    assert tuple(counts) == (201, 100, 101, 1, 100)
    assert await follow_visits(committed_db) == 100
    async with committed_db.session(system=True) as session:
        assert (await session.execute(text("SELECT count(*) FROM visit"))).scalar() == 1


@pytest.fixture
async def listener(committed_db_url: str) -> AsyncIterator[psycopg.AsyncConnection[object]]:
    conn = await psycopg.AsyncConnection.connect(_dsn(committed_db_url), autocommit=True)
    await conn.execute("LISTEN balise_visit")
    yield conn
    await conn.close()


async def test_visit_open_and_close_are_notified(
    committed_db: Database, listener: psycopg.AsyncConnection[object]
) -> None:
    tenant = await seed_tenant(
        committed_db, "notify", sites={"zoo": ["zoo-gw1"]}, visitors_={"lea": ["proximity"]}
    )
    p = tenant.passes["lea"]
    t0 = utcnow() - timedelta(minutes=10)
    async with make_client(committed_db) as client:
        opened = await client.post(
            URL, json=batch("zoo-gw1", [uid_event(p, t0, "enter")]), headers=auth(tenant, "zoo-gw1")
        )
        assert opened.json()["accepted"] == 1
        assert await follow_visits(committed_db) == 1
        closed = await client.post(
            URL,
            json=batch("zoo-gw1", [uid_event(p, t0 + timedelta(minutes=5), "exit", dwell_s=300)]),
            headers=auth(tenant, "zoo-gw1"),
        )
        assert closed.json()["accepted"] == 1
        assert await follow_visits(committed_db) == 1
    received = []
    async with asyncio.timeout(10):
        async for note in listener.notifies():
            received.append(json.loads(note.payload))
            if len(received) == 2:
                break
    async with committed_db.session(system=True) as session:
        visit_id = (await session.execute(text("SELECT id FROM visit"))).scalar()
    expected = {
        "destination_id": str(tenant.destination_id),
        "visitor_id": str(tenant.visitors["lea"]),
        "site_id": str(tenant.sites["zoo"]),
        "visit_id": str(visit_id),
    }
    # "at": the sighting that opened or closed it, in RFC 3339 UTC
    at = [datetime.fromisoformat(note.pop("at")) for note in received]
    assert at == [t0, t0 + timedelta(minutes=5)]
    assert received == [{**expected, "state": "opened"}, {**expected, "state": "closed"}]


async def test_zip_bomb_is_refused_without_inflating_it() -> None:
    chunk = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1 << 20)

    async def bomb() -> AsyncIterator[bytes]:
        # 1 GiB of zeros, compressed on the fly (about 1 MB on the wire)
        for _ in range(1024):
            yield chunk.compress(zeros)
        yield chunk.flush()

    tracemalloc.start()
    try:
        with pytest.raises(Problem) as refused:
            await read_body(bomb(), "gzip", limit=4 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status == 413
    assert peak < 16 << 20  # the limit plus a few buffers, never the gigabyte


async def test_zip_bomb_over_http_is_413(committed_db: Database) -> None:
    tenant = await seed_tenant(committed_db, "bomb", sites={"spa": ["spa-gw1"]}, visitors_={})
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    body = (
        squeeze.compress(b'{"gateway_id":"spa-gw1","events":[' + b" " * (64 << 20))
        + squeeze.flush()
    )
    assert len(body) < 1 << 20
    async with make_client(committed_db, app_settings(ingest_max_body_bytes=1 << 20)) as client:
        response = await client.post(
            URL,
            content=body,
            headers={**auth(tenant, "spa-gw1"), **GZIP_JSON},
        )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def _stub_eid(identity_key: bytes, time_counter: int, k: int) -> bytes:
    """A stand-in for eddystone's EID: deterministic, distinct per key and window."""
    return (int.from_bytes(identity_key[:4], "big") ^ (time_counter >> k)).to_bytes(8, "big")


async def test_eid_frames_resolve_through_the_precomputed_table(committed_db: Database) -> None:
    tenant = await seed_tenant(
        committed_db, "eid", sites={"spa": ["spa-gw1"]}, visitors_={"lea": ["proximity"]}
    )
    key = bytes(range(16))
    async with committed_db.session(tenant.destination_id) as session:
        device = Device(
            destination_id=tenant.destination_id,
            kind="eddystone-eid",
            identity="eid:lea-key",
            visitor_id=tenant.visitors["lea"],
            rotation_exponent=10,
        )
        session.add(device)
        await session.flush()
        now = utcnow()
        size = await refresh_eid_windows(
            session,
            tenant.destination_id,
            now,
            lambda d: EidIdentity(key, d.rotation_exponent or 10),
            compute=_stub_eid,
        )
        await session.commit()
    assert size == 3  # current window and one on each side
    counter = int(now.timestamp())
    showing = _stub_eid(key, counter, 10).hex()
    stale = _stub_eid(key, counter - 5 * 1024, 10).hex()
    events = [
        {
            **uid_event("000000000000", now - timedelta(seconds=1)),
            "device": {"type": "eddystone-eid", "eid": showing},
        },
        {
            **uid_event("000000000000", now - timedelta(seconds=1)),
            "device": {"type": "eddystone-eid", "eid": stale},
        },
    ]
    async with make_client(committed_db) as client:
        response = await client.post(
            URL, json=batch("spa-gw1", events), headers=auth(tenant, "spa-gw1")
        )
    assert response.json()["accepted"] == 2
    async with committed_db.session(system=True) as session:
        stored = (await session.execute(text("SELECT device_id, id FROM proximity_event"))).all()
        counted = (await session.execute(text("SELECT sum(count) FROM presence_count"))).scalar()
    assert [(d, str(i)) for d, i in stored] == [(device.id, events[0]["id"])]
    assert counted == 1
    # another destination's tenant session cannot read the EID table
    other = await seed_tenant(committed_db, "eid-other", sites={}, visitors_={})
    async with committed_db.session(other.destination_id) as session:
        assert (await session.execute(text("SELECT count(*) FROM eid_window"))).scalar() == 0
    assert uuid.UUID(str(device.id))
