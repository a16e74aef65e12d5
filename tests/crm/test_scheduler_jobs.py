"""The scheduler's jobs, and two real app lifespans sharing one database: one runs the jobs."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from crm.core import serverkey
from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.scheduling import SchedulerLeader, lock_conninfo
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.fleet import jobs as fleet_jobs
from crm.ingest import jobs as ingest_jobs
from crm.main import create_app
from crm.passes import jobs as passes_jobs
from crm.passes.models import Device
from eddystone.eid import compute_eid, window_start

SERVER_KEY = base64.b64encode(os.urandom(32)).decode()


def job_settings(url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "server_key": SERVER_KEY,
        "data_dir": tmp_path,
        "scheduler_retry_s": 0.5,
        "scheduler_probe_s": 0.2,
    }
    values.update(overrides)
    return Settings(_env_file=None, database_url=url, **values)  # type: ignore[call-arg]


async def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)


def partition_exists(url: str, name: str) -> bool:
    with psycopg.connect(lock_conninfo(url)) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [name]).fetchone()
    return bool(row and row[0])


def test_month_start_rolls_over_years() -> None:
    from datetime import date

    assert ingest_jobs.month_start(date(2026, 11, 25), 2) == date(2027, 1, 1)
    assert ingest_jobs.month_start(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert ingest_jobs.month_start(date(2026, 1, 31)) == date(2026, 1, 1)
    assert ingest_jobs.partition_name(date(2027, 1, 1)) == "proximity_event_p202701"


async def test_partition_job_creates_the_months_ahead(
    committed_db: Database, tmp_path: Path
) -> None:
    today = utcnow().date()
    ahead = ingest_jobs.partition_name(ingest_jobs.month_start(today, 2))
    nxt = ingest_jobs.partition_name(ingest_jobs.month_start(today, 1))
    async with committed_db.session(system=True) as session, session.begin():
        await session.execute(text(f"DROP TABLE {ahead}"))
        await session.execute(text(f"DROP TABLE {nxt}"))
        assert await ingest_jobs.next_partition_missing(session, utcnow())
    settings = job_settings(committed_db.url, tmp_path)
    await ingest_jobs.ensure_partitions(committed_db, settings)
    await ingest_jobs.ensure_partitions(committed_db, settings)  # idempotent
    assert partition_exists(committed_db.url, ahead)
    async with committed_db.session(system=True) as session:
        assert not await ingest_jobs.next_partition_missing(session, utcnow())


async def test_dedup_ledger_purge_keeps_recent_ids(db: Database, tmp_path: Path) -> None:
    settings = job_settings(db.url, tmp_path, dedup_ledger_days=120)
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, "purge", "Purge")
        now = utcnow()
        rows = [(uuid.uuid4(), now - timedelta(days=d)) for d in (1, 119, 121, 400)]
        for event_id, at in rows:
            await session.execute(
                text(
                    "INSERT INTO ingested_event (id, destination_id, gateway_id, ingested_at)"
                    " VALUES (:id, :d, 'gw', :at)"
                ),
                {"id": event_id, "d": destination.id, "at": at},
            )
        await session.commit()
    await ingest_jobs.purge_dedup_ledger(db, settings)
    async with db.session(system=True) as session:
        left = set((await session.execute(text("SELECT id FROM ingested_event"))).scalars())
    assert left == {rows[0][0], rows[1][0]}


async def test_eid_job_builds_the_table_from_sealed_identity_keys(
    db: Database, tmp_path: Path
) -> None:
    settings = job_settings(db.url, tmp_path)
    identity_key = os.urandom(16)
    keys = serverkey.server_keys(settings)
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, "eidjob", "EID job")
        good = Device(
            destination_id=destination.id,
            kind="eddystone-eid",
            identity="eid:good",
            identity_key_enc=serverkey.seal(keys[0], identity_key),
            rotation_exponent=10,
        )
        foreign = Device(  # sealed under another server's key: skipped, not fatal
            destination_id=destination.id,
            kind="eddystone-eid",
            identity="eid:foreign",
            identity_key_enc=serverkey.seal(os.urandom(32), identity_key),
            rotation_exponent=10,
        )
        session.add_all([good, foreign])
        await session.commit()
        assert (await passes_jobs.eid_table_age_s(session, utcnow()) or 0) > 10**9  # never
    await passes_jobs.refresh_eid(db, settings)
    now = utcnow()
    async with db.session(system=True) as session:
        rows = (
            await session.execute(text("SELECT eid, device_id FROM eid_window ORDER BY 1"))
        ).all()
        age = await passes_jobs.eid_table_age_s(session, now)
    current = compute_eid(identity_key, window_start(int(now.timestamp()), 10), 10)
    assert {device for _, device in rows} == {good.id}
    assert current in {bytes(eid) for eid, _ in rows}
    assert age is not None and 0 <= age < 60


def test_server_key_rotation_reads_old_seals(tmp_path: Path) -> None:
    old, new = os.urandom(32), os.urandom(32)
    sealed = serverkey.seal(old, b"k" * 16)
    settings = job_settings(
        "postgresql+psycopg://x@127.0.0.1/x",
        tmp_path,
        server_key=base64.b64encode(new).decode(),
        server_key_previous=base64.b64encode(old).decode(),
    )
    keys = serverkey.server_keys(settings)
    assert keys[0] == new
    assert serverkey.unseal(keys, sealed) == b"k" * 16
    with pytest.raises(serverkey.ServerKeyError):
        serverkey.unseal(keys[:1], sealed)
    with pytest.raises(serverkey.ServerKeyError):
        serverkey.unseal(keys, sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with pytest.raises(serverkey.ServerKeyError, match="32 bytes"):
        serverkey.server_keys(job_settings("x", tmp_path, server_key="c2hvcnQ="))


def test_demo_server_key_is_created_once_private(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    first = serverkey.server_keys(settings)
    assert serverkey.server_keys(settings) == first
    assert (tmp_path / "data" / "server.key").stat().st_mode & 0o777 == 0o600


async def _lifespan(stack: AsyncExitStack, app: FastAPI) -> FastAPI:
    await stack.enter_async_context(app.router.lifespan_context(app))
    return app


async def test_two_app_lifespans_one_runs_the_jobs_then_the_other(
    committed_db_url: str, tmp_path: Path
) -> None:
    today = utcnow().date()
    ahead = ingest_jobs.partition_name(ingest_jobs.month_start(today, 2))
    with psycopg.connect(lock_conninfo(committed_db_url), autocommit=True) as conn:
        conn.execute(f"DROP TABLE {ahead}")
    settings = job_settings(committed_db_url, tmp_path, scheduler_enabled=True)
    dbs = [Database(committed_db_url), Database(committed_db_url)]
    first_stack, second_stack = AsyncExitStack(), AsyncExitStack()
    try:
        first = await _lifespan(first_stack, create_app(settings, db=dbs[0]))
        leader_of: Callable[[FastAPI], SchedulerLeader] = lambda app: app.state.scheduler  # noqa: E731
        await wait_until(lambda: leader_of(first).is_leader, 5, "first app leads")
        second = await _lifespan(second_stack, create_app(settings, db=dbs[1]))
        # The real jobs ran on the leader: the partition two months ahead is back.
        for _ in range(100):
            if partition_exists(committed_db_url, ahead):
                break
            await asyncio.sleep(0.05)
        assert partition_exists(committed_db_url, ahead)
        await asyncio.sleep(1.0)
        assert leader_of(first).is_leader and not leader_of(second).is_leader

        # Any instance reports the leader (the follower here).
        transport = httpx2.ASGITransport(app=second)
        async with httpx2.AsyncClient(transport=transport, base_url="http://t") as client:
            body = (await client.get("/metrics")).text
        assert "balise_scheduler_leader_present 1.0" in body
        assert "balise_event_partition_next_month_missing 0.0" in body

        await first_stack.aclose()  # the leader's worker shuts down
        assert not leader_of(first).is_leader
        await wait_until(lambda: leader_of(second).is_leader, 3, "second app takes over")
    finally:
        await first_stack.aclose()
        await second_stack.aclose()
        for database in dbs:
            await database.dispose()


async def test_disabled_scheduler_never_competes(db: Database, tmp_path: Path) -> None:
    app = create_app(job_settings(db.url, tmp_path, scheduler_enabled=False), db=db)
    async with AsyncExitStack() as stack:
        await _lifespan(stack, app)
        assert app.state.scheduler is None


async def test_claim_attempts_are_forgotten_once_they_cannot_count(
    db: Database, tmp_path: Path
) -> None:
    settings = job_settings(db.url, tmp_path)
    now = utcnow()
    async with db.session(system=True) as session:
        for client, minutes_ago in (("203.0.113.1", 5), ("203.0.113.2", 29), ("203.0.113.3", 31)):
            await session.execute(
                text(
                    "INSERT INTO claim_attempt (client, failures, first_failure_at)"
                    " VALUES (:c, 3, :at)"
                ),
                {"c": client, "at": now - timedelta(minutes=minutes_ago)},
            )
        await session.commit()
    await fleet_jobs.forget_claim_attempts(db, settings)
    async with db.session(system=True) as session:
        left = set((await session.execute(text("SELECT client FROM claim_attempt"))).scalars())
    # the failure window and the lockout are 15 minutes each: after 30 nothing counts
    assert left == {"203.0.113.1", "203.0.113.2"}
