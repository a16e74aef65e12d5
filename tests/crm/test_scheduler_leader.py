"""Scheduler leader election: one leader among instances, takeover, stop on a lost lock connection.

Every test runs two (or more) ``SchedulerLeader``s on one committed database, as two workers or
replicas would; a few use short retry and probe intervals to stay quick.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from crm.core import hooks, metrics
from crm.core.db import Database
from crm.core.hooks import JobSpec
from crm.core.scheduling import (
    APPLICATION_NAME,
    SCHEDULER_LOCK,
    SchedulerLeader,
    leader_status,
    lock_conninfo,
)
from crm.core.settings import Settings
from crm.main import install

RETRY_S = 0.5


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"scheduler_retry_s": RETRY_S, "scheduler_probe_s": 0.2}
    values.update(overrides)
    return Settings(_env_file=None, database_url=url, **values)  # type: ignore[call-arg]


async def wait_until(condition: Callable[[], bool], within: float, what: str) -> float:
    """Poll ``condition``; the seconds it took (AssertionError after ``within``)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not condition():
        if loop.time() - start > within:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.01)
    return loop.time() - start


def ticking(counts: dict[str, int], name: str) -> list[JobSpec]:
    async def tick(db: Database, settings: Settings) -> None:
        counts[name] += 1

    return [("tick", tick, 0.05)]


def lock_holder_pid(url: str) -> int | None:
    # Advisory locks are per database: another CRM on the same server (a demo, another test
    # run) holds the same lock in its own database.
    with psycopg.connect(lock_conninfo(url), autocommit=True) as conn:
        row = conn.execute(
            """SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND objsubid = 1 AND classid::bigint = %s AND objid::bigint = %s""",
            [SCHEDULER_LOCK >> 32, SCHEDULER_LOCK & 0xFFFFFFFF],
        ).fetchone()
    return int(row[0]) if row else None


def terminate(url: str, pid: int) -> None:
    with psycopg.connect(lock_conninfo(url), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])


async def test_one_leader_runs_the_jobs_and_a_follower_takes_over(committed_db: Database) -> None:
    settings = settings_for(committed_db.url)
    counts = {"a": 0, "b": 0}
    a = SchedulerLeader(committed_db, settings, ticking(counts, "a"), name="a")
    b = SchedulerLeader(committed_db, settings, ticking(counts, "b"), name="b")
    try:
        a.start()
        await wait_until(lambda: a.is_leader, 5, "a leads")
        b.start()
        await asyncio.sleep(3 * RETRY_S)  # b has tried several times by now
        assert a.is_leader and not b.is_leader
        assert counts["a"] > 0 and counts["b"] == 0
        async with committed_db.session(system=True) as session:
            status = await leader_status(session)
        assert status.present and status.heartbeat_at is not None

        await a.stop()  # a worker shutting down releases the lock
        took = await wait_until(lambda: b.is_leader, RETRY_S + 2, "b takes over")
        assert took <= RETRY_S + 1.5
        ran = counts["a"]
        await wait_until(lambda: counts["b"] > 0, 2, "b runs the jobs")
        await asyncio.sleep(0.2)
        assert counts["a"] == ran and not a.is_leader
    finally:
        await a.stop()
        await b.stop()
    async with committed_db.session(system=True) as session:
        assert not (await leader_status(session)).present


async def test_leader_stops_the_moment_its_lock_connection_is_terminated(
    committed_db: Database,
) -> None:
    # A long probe interval: only watching the socket can notice the loss this fast.
    settings = settings_for(committed_db.url, scheduler_probe_s=30.0, scheduler_retry_s=1.0)
    counts = {"a": 0, "b": 0}
    cancelled: list[str] = []

    async def forever(db: Database, settings: Settings) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append("forever")
            raise

    a = SchedulerLeader(
        committed_db, settings, [*ticking(counts, "a"), ("forever", forever, 3600.0)], name="a"
    )
    b = SchedulerLeader(committed_db, settings, ticking(counts, "b"), name="b")
    try:
        a.start()
        await wait_until(lambda: a.is_leader, 5, "a leads")
        b.start()
        await asyncio.sleep(0.3)
        assert a.conn is not None
        pid = lock_holder_pid(committed_db.url)
        assert pid == a.conn.info.backend_pid

        terminate(committed_db.url, pid)
        took = await wait_until(lambda: not a.is_leader, 1.0, "a stops its scheduler")
        assert took < 0.5
        # A running job is cancelled, not left to finish.
        await wait_until(lambda: cancelled == ["forever"], 0.5, "the running job is cancelled")
        ran = counts["a"]

        # Someone leads again within the retry interval, and only one.
        await wait_until(lambda: a.is_leader or b.is_leader, 1.0 + 2, "a new leader")
        await asyncio.sleep(0.3)
        assert a.is_leader != b.is_leader
        if b.is_leader:
            assert counts["a"] == ran
    finally:
        await a.stop()
        await b.stop()


async def test_stop_returns_once_the_cancelled_jobs_have_given_their_connections_back(
    committed_db: Database,
) -> None:
    """The app disposes of its pool right after ``stop``: a job still holding a connection then
    would give it back to a pool already disposed of, which never closes it (psycopg's
    ResourceWarning, from whichever later test the garbage collector runs in)."""
    holding = asyncio.Event()
    ended: list[str] = []

    async def hold(db: Database, settings: Settings) -> None:
        async with db.session(system=True) as session:
            await session.execute(text("SELECT 1"))
            holding.set()
            try:
                await asyncio.sleep(3600)
            finally:
                ended.append("hold")

    leader = SchedulerLeader(
        committed_db, settings_for(committed_db.url), [("hold", hold, 3600.0)], name="h"
    )
    try:
        leader.start()
        await asyncio.wait_for(holding.wait(), 5)
        assert committed_db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        await leader.stop()
        assert ended == ["hold"]
        assert committed_db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await leader.stop()


async def test_many_instances_elect_exactly_one(committed_db: Database) -> None:
    settings = settings_for(committed_db.url)
    leaders = [SchedulerLeader(committed_db, settings, [], name=f"w{i}") for i in range(4)]
    try:
        for leader in leaders:
            leader.start()
        await wait_until(lambda: any(x.is_leader for x in leaders), 5, "a leader")
        await asyncio.sleep(2 * RETRY_S)
        assert sum(x.is_leader for x in leaders) == 1
        assert metrics.SCHEDULER_LEADER._value.get() == 1
    finally:
        for leader in leaders:
            await leader.stop()
    assert metrics.SCHEDULER_LEADER._value.get() == 0


async def test_lock_connection_has_keepalives_on_both_ends(committed_db: Database) -> None:
    """The client's keepalives are libpq parameters; the server's are settings of the leader's
    own session, which PostgreSQL reads as 0 on a Unix socket (no TCP there): the session is
    found by the lock it holds, and the timeouts the same statement resets prove it ran there
    whatever the transport."""
    # Database defaults that would end a quiet or slow lock session (and free the lock).
    dbname = make_url(committed_db.url).database
    with psycopg.connect(lock_conninfo(committed_db.url), autocommit=True) as admin:
        for setting in ("statement_timeout", "idle_session_timeout"):
            admin.execute(f"ALTER DATABASE \"{dbname}\" SET {setting} = '7min'")
    leader = SchedulerLeader(committed_db, settings_for(committed_db.url), [], name="k")
    try:
        leader.start()
        await wait_until(lambda: leader.is_leader, 5, "leads")
        conn = leader.conn
        assert conn is not None
        params = conn.info.get_parameters()
        assert params["keepalives_idle"] == "10"
        assert params["tcp_user_timeout"] == "30000"
        assert params["application_name"] == APPLICATION_NAME

        # The server's side: the lock holder is the leader's session ...
        pid = lock_holder_pid(committed_db.url)
        assert pid == conn.info.backend_pid
        with psycopg.connect(lock_conninfo(committed_db.url), autocommit=True) as probe:
            row = probe.execute(
                "SELECT application_name, client_addr IS NOT NULL FROM pg_stat_activity"
                " WHERE pid = %s",
                [pid],
            ).fetchone()
        assert row is not None
        application_name, over_tcp = row
        assert application_name == APPLICATION_NAME
        # ... and its settings are what the leader set (read between two of its probes).
        cur = await conn.execute(
            "SELECT current_setting('statement_timeout'), current_setting('idle_session_timeout'),"
            " current_setting('tcp_keepalives_idle'), current_setting('tcp_keepalives_interval'),"
            " current_setting('tcp_keepalives_count'), current_setting('tcp_user_timeout')"
        )
        got = await cur.fetchone()
    finally:
        await leader.stop()
    tcp = ("10", "5", "3", "30000") if over_tcp else ("0", "0", "0", "0")
    assert got == ("0", "0", *tcp)


async def test_a_follower_keeps_trying_while_the_database_is_unreachable() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    settings = settings_for(url, scheduler_retry_s=0.05)
    leader = SchedulerLeader(Database(url), settings, [], name="lost")
    try:
        leader.start()
        await asyncio.sleep(0.3)
        assert not leader.is_leader
        assert leader._task is not None and not leader._task.done()
    finally:
        await leader.stop()
        await leader.db.dispose()


def test_the_scheduler_runs_the_jobs_every_package_registered() -> None:
    """``crm.main.install`` registers each domain's jobs (crm.core.hooks); a leader built
    without a job list runs exactly those."""
    install()
    jobs = {name: (func, interval) for name, func, interval in hooks.jobs()}
    assert set(jobs) >= {
        "event_partitions",
        "dedup_ledger_purge",
        "eid_windows",
        "gateway_health",
        "claim_attempts_forget",
        "visits_follow",
        "retention_events",
        "retention_profiles",
        "erasure_sweep",
    }
    for func, interval in jobs.values():
        assert asyncio.iscoroutinefunction(func) and interval > 0
        # Module-level functions (APScheduler's rule; and no closure can hide state).
        assert func.__qualname__ == func.__name__
    url = "postgresql+psycopg://nobody@127.0.0.1/none"
    leader = SchedulerLeader(Database(url), settings_for(url))
    assert [name for name, _, _ in leader.jobs] == sorted(jobs)


@pytest.mark.parametrize("entry", [("x", None, 10.0), ("x", print, 0), ("x", print, -5)])
def test_bad_job_entries_are_refused(entry: Any) -> None:
    with pytest.raises(ValueError, match="bad job entry"):
        hooks.register_jobs(entry)
    assert "x" not in {name for name, _, _ in hooks.jobs()}


def test_two_jobs_of_one_name_are_refused() -> None:
    async def other(db: Database, settings: Settings) -> None:
        return None

    install()
    with pytest.raises(ValueError, match="duplicate job name 'visits_follow'"):
        hooks.register_jobs(("visits_follow", other, 1.0))


async def test_a_stop_cancelling_the_lock_release_still_closes_the_connection(
    committed_db: Database,
) -> None:
    """The follower loop's close waits for the server to release the lock; a stop() that
    cancels the loop right then must not leave the lock connection open (it did, once: a
    ResourceWarning in a later test)."""
    leader = SchedulerLeader(committed_db, settings_for(committed_db.url), [], name="c")
    assert await leader._acquire()
    conn = leader.conn
    assert conn is not None
    closing = asyncio.create_task(leader._close())
    await asyncio.sleep(0)  # inside the unlock's round trip
    closing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await closing
    assert conn.closed and leader.conn is None
