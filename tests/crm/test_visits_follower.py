"""The visits follower merges every queued sighting exactly once: racing followers, a failed
run, an erasure between ingest and merge (committed mode: each follower has its own connection)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ingest_support import (
    NAMESPACE,
    SPA_AND_ZOO,
    Tenant,
    app_settings,
    make_client,
    seed_tenant,
    send,
    uid_event,
)
from sqlalchemy import text

from crm.core.db import Database
from crm.core.models import utcnow
from crm.rights import service as rights
from crm.visitors import service as visitors
from crm.visitors.models import Visitor
from crm.visits import follower

NAMES = ("lea", "tom", "ana")


@pytest.fixture
async def tenant(committed_db: Database) -> Tenant:
    return await seed_tenant(
        committed_db,
        "follower",
        sites=SPA_AND_ZOO,
        visitors_={name: ["proximity"] for name in NAMES},
    )


async def post(db: Database, tenant: Tenant, gateway: str, events: list[dict[str, Any]]) -> int:
    async with make_client(db) as client:
        response = await send(client, tenant, gateway, events)
    assert response.status_code == 200, response.text
    return int(response.json()["accepted"])


async def rows(db: Database, sql: str, **params: object) -> list[Any]:
    async with db.session(system=True) as session:
        return list((await session.execute(text(sql), params)).all())


async def test_racing_followers_merge_each_sighting_once(
    committed_db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every visitor seen every minute for 40 minutes, alternately by the spa's two gateways
    # (one batch per gateway and minute range), and three times at the zoo.
    t0 = utcnow() - timedelta(hours=2)
    seen: dict[tuple[str, str], list[datetime]] = {}
    stored = 0
    for gateway, site, minutes in (
        ("spa-gw1", "spa", range(0, 40, 2)),
        ("spa-gw2", "spa", range(1, 40, 2)),
        ("zoo-gw1", "zoo", range(50, 53)),
    ):
        for chunk in (minutes[: len(minutes) // 2], minutes[len(minutes) // 2 :]):
            events = []
            for name in NAMES:
                for m in chunk:
                    at = t0 + timedelta(minutes=m)
                    events.append(uid_event(tenant.passes[name], at, seq=m))
                    seen.setdefault((name, site), []).append(at)
            stored += await post(committed_db, tenant, gateway, events)
    assert len(await rows(committed_db, "SELECT id FROM visit_queue")) == 6

    # Small claims, so that three followers interleave on one queue.
    monkeypatch.setattr(follower, "CLAIM_ROWS", 1)
    merged = await asyncio.gather(
        *(follower.follow(committed_db, app_settings()) for _ in range(3))
    )
    assert sum(merged) == stored == 3 * (40 + 3)
    assert await rows(committed_db, "SELECT id FROM visit_queue") == []
    visits = await rows(
        committed_db,
        "SELECT visitor_id, site_id, first_seen_at, last_seen_at, closed_at FROM visit",
    )
    by_pair = {(v[0], v[1]): v for v in visits}
    assert len(by_pair) == len(visits) == 6  # one visit per visitor and site, none twice
    for (name, site), moments in seen.items():
        visit = by_pair[(tenant.visitors[name], tenant.sites[site])]
        assert abs((visit[2] - min(moments)).total_seconds()) < 0.001
        assert abs((visit[3] - max(moments)).total_seconds()) < 0.001
        assert visit[4] is None


async def test_a_failed_run_leaves_the_queue_for_the_next(
    committed_db: Database, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = utcnow() - timedelta(minutes=30)
    await post(committed_db, tenant, "spa-gw1", [uid_event(tenant.passes["lea"], at, "enter")])
    await post(committed_db, tenant, "zoo-gw1", [uid_event(tenant.passes["tom"], at, "enter")])
    merge = follower.record_sightings
    calls = 0

    async def failing_on_the_second_site(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the database went away")
        return await merge(*args, **kwargs)

    monkeypatch.setattr(follower, "record_sightings", failing_on_the_second_site)
    with pytest.raises(RuntimeError):
        await follower.follow(committed_db, app_settings())
    # the first site's merge was rolled back with the claim: nothing lost, nothing half-done
    assert len(await rows(committed_db, "SELECT id FROM visit_queue")) == 2
    assert await rows(committed_db, "SELECT id FROM visit") == []

    monkeypatch.setattr(follower, "record_sightings", merge)
    assert await follower.follow(committed_db, app_settings()) == 2
    assert len(await rows(committed_db, "SELECT id FROM visit")) == 2


async def test_an_erased_visitors_queued_sightings_are_dropped(
    committed_db: Database, tenant: Tenant
) -> None:
    at = utcnow() - timedelta(minutes=10)
    events = [uid_event(tenant.passes[name], at) for name in ("lea", "tom")]
    assert await post(committed_db, tenant, "spa-gw1", events) == 2
    lea = tenant.visitors["lea"]
    async with committed_db.session(tenant.destination_id) as session:
        visitor = await session.get(Visitor, lea)
        assert visitor is not None
        await rights.erase_visitor(session, visitor, by="visitor")
        await session.commit()
    # erasure strips Léa from the queued batch, Tom's sighting stays
    queued = await rows(committed_db, "SELECT visitor_ids FROM visit_queue")
    assert queued == [([tenant.visitors["tom"]],)]

    # A straggler: a batch that resolved Léa's pass just before the erasure committed.
    async with committed_db.session(system=True) as session:
        await session.execute(
            text(
                "INSERT INTO visit_queue (destination_id, site_id, queued_at, visitor_ids,"
                " observed_us, kinds, dwell_s) VALUES (:dest, :site, now(), ARRAY[:v]::uuid[],"
                " ARRAY[0]::bigint[], ARRAY['dwell'], ARRAY[0])"
            ),
            {"dest": tenant.destination_id, "site": tenant.sites["spa"], "v": lea},
        )
        await session.commit()
    assert await follower.follow(committed_db, app_settings()) == 2  # both taken off the queue
    visits = await rows(committed_db, "SELECT visitor_id FROM visit")
    assert visits == [(tenant.visitors["tom"],)]
    assert await rows(committed_db, "SELECT id FROM visit_queue") == []


async def test_erasure_racing_the_follower_neither_deadlocks_nor_leaves_a_visit(
    committed_db: Database, tenant: Tenant
) -> None:
    """Erasure (queue, visitor lock, deletes) and the follower (queue rows, visitor key-share
    locks, visit writes) take their locks in an order that cannot deadlock: PostgreSQL would
    abort one of them (DeadlockDetected) if it could."""
    settings = app_settings()
    for i in range(8):
        instance = f"{0xF00 + i:012x}"
        async with committed_db.session(system=True) as session:
            enrolment = await visitors.enrol(
                session,
                tenant.destination_id,
                consents=["proximity"],
                pass_uid=f"{NAMESPACE}:{instance}",
                at=utcnow() - timedelta(days=1),
            )
            await session.commit()
        visitor_id = enrolment.visitor.id
        at = utcnow() - timedelta(minutes=20)
        # a stored visit at both sites, then more sightings queued for both
        for minute in (0, 5):
            for gateway in ("spa-gw1", "zoo-gw1"):
                event = uid_event(instance, at + timedelta(minutes=minute), seq=minute)
                assert await post(committed_db, tenant, gateway, [event]) == 1
            if minute == 0:
                await follower.follow(committed_db, settings)

        async def erase(visitor_id: uuid.UUID = visitor_id) -> None:
            async with committed_db.session(tenant.destination_id) as session:
                visitor = await session.get(Visitor, visitor_id)
                assert visitor is not None
                await rights.erase_visitor(session, visitor, by="visitor")
                await session.commit()

        if i % 2:
            await asyncio.gather(erase(), follower.follow(committed_db, settings))
        else:
            await asyncio.gather(follower.follow(committed_db, settings), erase())
        left = "SELECT id FROM visit WHERE visitor_id = :v"
        assert await rows(committed_db, left, v=visitor_id) == []
        assert await follower.follow(committed_db, settings) == 0


async def queue_row(
    db: Database, tenant: Tenant, row_id: int, site: str, sightings: list[tuple[str, int, str]]
) -> None:
    """Queue one batch as ingest would, under a chosen id: ``(visitor name, µs, kind)``s."""
    async with db.session(system=True) as session:
        await session.execute(
            text(
                "INSERT INTO visit_queue (id, destination_id, site_id, queued_at, visitor_ids,"
                " observed_us, kinds, dwell_s) OVERRIDING SYSTEM VALUE VALUES (:id, :dest,"
                " :site, now(), CAST(:visitors AS uuid[]), CAST(:observed AS bigint[]),"
                " CAST(:kinds AS text[]), CAST(:dwell AS int[]))"
            ),
            {
                "id": row_id,
                "dest": tenant.destination_id,
                "site": tenant.sites[site],
                "visitors": [tenant.visitors[name] for name, _, _ in sightings],
                "observed": [us for _, us, _ in sightings],
                "kinds": [kind for _, _, kind in sightings],
                "dwell": [0 for _ in sightings],
            },
        )
        await session.commit()


async def test_ties_at_the_same_microsecond_merge_in_arrival_order(
    committed_db: Database, tenant: Tenant
) -> None:
    """An exit and a dwell at the same microsecond: the one that arrived last decides whether
    the visit ends closed (queue row first, then place in the row), however PostgreSQL happens
    to return the rows or sort the ties."""
    t = int((utcnow() - timedelta(hours=1)).timestamp()) * 1_000_000
    s = 1_000_000
    # Across rows: row 1001 arrived before row 1002 but is stored after it (heap order 1002,
    # 1001), and its tied sightings sit at later places than row 1002's: neither the order
    # rows come back in nor the place alone can stand in for the row.
    later = [("lea", t, "exit"), ("tom", t, "dwell")]
    await queue_row(committed_db, tenant, 1002, "spa", later)
    earlier = [("ana", t, "dwell"), ("lea", t, "dwell"), ("tom", t, "exit")]
    await queue_row(committed_db, tenant, 1001, "spa", earlier)
    # Within a row: ten sightings whose times an unstable sort reorders; the tie is at the
    # last moment (9 s), in places 1 and 3 of the row.
    offsets = [9, 1, 9, 2, 8, 3, 7, 4, 6, 5]
    ana = [("ana", t + k * s, "exit" if i == 2 else "dwell") for i, k in enumerate(offsets)]
    lea = [("lea", t + k * s, "exit" if i == 0 else "dwell") for i, k in enumerate(offsets)]
    await queue_row(committed_db, tenant, 1003, "zoo", ana + lea)

    assert await follower.follow(committed_db, app_settings()) == 2 + 3 + 2 * len(offsets)
    names = {v: k for k, v in tenant.visitors.items()} | {v: k for k, v in tenant.sites.items()}
    found = await rows(
        committed_db, "SELECT visitor_id, site_id, last_seen_at, closed_at FROM visit"
    )
    visits = {(names[v], names[site]): (last, closed) for v, site, last, closed in found}
    assert len(visits) == len(found)  # one visit per visitor and site

    def at(us: int) -> datetime:
        return datetime.fromtimestamp(us / 1_000_000, UTC)

    assert visits == {
        ("lea", "spa"): (at(t), at(t)),  # dwell, then exit: closed
        ("tom", "spa"): (at(t), None),  # exit, then dwell: still open
        ("ana", "spa"): (at(t), None),
        ("ana", "zoo"): (at(t + 9 * s), at(t + 9 * s)),  # dwell, then exit
        ("lea", "zoo"): (at(t + 9 * s), None),  # exit, then dwell
    }


async def test_a_claim_of_more_pairs_than_the_lock_table_holds_still_merges(
    committed_db: Database, tenant: Tenant
) -> None:
    """20,000 visitors seen at one site in one claim: one advisory lock per site, not per
    (visitor, site) pair, which overflowed PostgreSQL's shared lock table (64 locks per
    transaction x 100 connections here) and failed every retry, stalling the queue."""
    count = 20_000
    async with committed_db.session(system=True) as session:
        await session.execute(
            text(
                "INSERT INTO visitor (id, destination_id, language, wishes, adults, children,"
                " accessibility, created_at, last_action_at) SELECT gen_random_uuid(), :dest,"
                " 'fr', '[]', 1, 0, '[]', now(), now() FROM generate_series(1, :n)"
            ),
            {"dest": tenant.destination_id, "n": count},
        )
        await session.execute(
            text(
                "INSERT INTO visit_queue (destination_id, site_id, queued_at, visitor_ids,"
                " observed_us, kinds, dwell_s) SELECT :dest, :site, now(), array_agg(id),"
                " array_agg(CAST(:us AS bigint)), array_agg('enter'::text), array_agg(0)"
                " FROM visitor WHERE destination_id = :dest AND id <> ALL(CAST(:named AS uuid[]))"
            ),
            {
                "dest": tenant.destination_id,
                "site": tenant.sites["spa"],
                "us": int((utcnow() - timedelta(minutes=5)).timestamp() * 1_000_000),
                "named": list(tenant.visitors.values()),
            },
        )
        await session.commit()
    assert await follower.follow(committed_db, app_settings()) == count
    opened = "SELECT count(*) FROM visit WHERE site_id = :site"
    assert (await rows(committed_db, opened, site=tenant.sites["spa"]))[0][0] == count
