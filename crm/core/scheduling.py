"""The scheduler: APScheduler in every worker's lifespan, running in exactly one of them.

Every worker and replica runs :class:`SchedulerLeader`. It opens a DEDICATED psycopg connection
(not from the pool: an advisory lock belongs to its session) and tries
``pg_try_advisory_lock(SCHEDULER_LOCK)``. The holder starts an ``AsyncIOScheduler`` with every
job; the others close their connection and try again every ``scheduler_retry_s``.

The lock lives as long as its connection, so the connection is watched both ways:

- the leader waits on the connection's socket between probes: a terminated backend or a closed
  socket is noticed at once, and the scheduler is stopped (running jobs cancelled) before a
  follower can take over;
- every ``scheduler_probe_s`` the leader checks, with a timeout, that it still holds the lock;
- TCP keepalives are set on BOTH ends: the client's (libpq ``keepalives_*``,
  ``tcp_user_timeout``) so that a leader cut off from the database stops, and the server's
  (``SET tcp_keepalives_*``) so that PostgreSQL drops — and unlocks — the session of a dead host
  within about 30 seconds instead of the kernel's default two hours.

Jobs are what the packages registered (``crm.core.hooks.register_jobs``, from each domain's
``plugin.py``, ``roadbook``'s and ``partners``' too): ``(name, coroutine function (db, settings),
interval seconds)``. Each job runs with ``max_instances=1`` and ``coalesce=True``, first right
after the scheduler starts; every job is idempotent, since a leader change may run a job twice.
Stopping the scheduler cancels the running jobs and waits (up to ``JOB_STOP_TIMEOUT_S``) for them
to end, before the lock is released and before :meth:`SchedulerLeader.stop` returns: a job ends
by handing its pooled connection back, and the app disposes of the pool right after ``stop``; a
connection handed back to a pool already disposed of is never closed (it is dropped, open, with
the pool).

Any instance can tell whether a leader exists (:func:`leader_status`, from ``pg_locks``): the
``balise_scheduler_leader_present`` and ``balise_scheduler_last_leader_heartbeat`` metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core import hooks, metrics
from crm.core.db import Database
from crm.core.hooks import JobFunc, JobSpec
from crm.core.settings import Settings

# pg_try_advisory_lock(bigint): "BALISCHD". pg_locks shows it as classid (high 32 bits),
# objid (low 32 bits), objsubid 1. Distinct from the migration lock (0x42414C49).
SCHEDULER_LOCK = 0x4241_4C49_5343_4844
_LOCK_CLASSID = SCHEDULER_LOCK >> 32
_LOCK_OBJID = SCHEDULER_LOCK & 0xFFFF_FFFF
APPLICATION_NAME = "balise-scheduler"

# Client side (libpq): probe an idle link after 10 s, every 5 s, give up after 3 misses;
# unacknowledged data is abandoned after 30 s.
CLIENT_KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
    "connect_timeout": 10,
}
# Server side: the same, so that PostgreSQL ends a dead leader's session (and its lock).
SERVER_KEEPALIVES = (
    "SELECT set_config('tcp_keepalives_idle', '10', false),"
    " set_config('tcp_keepalives_interval', '5', false),"
    " set_config('tcp_keepalives_count', '3', false),"
    " set_config('tcp_user_timeout', '30000', false),"
    " set_config('idle_session_timeout', '0', false),"
    " set_config('statement_timeout', '0', false)"
)
PROBE_TIMEOUT_S = 10.0
# How long a stop waits for the jobs it cancelled to end (a job catches the cancellation at its
# next await; only one stuck in a call that cannot be interrupted takes longer).
JOB_STOP_TIMEOUT_S = 10.0
# How long stopping waits for the server to release the lock before just closing.
UNLOCK_TIMEOUT_S = 2.0

log = structlog.get_logger(__name__)


async def run_job(
    name: str,
    func: JobFunc,
    db: Database,
    settings: Settings,
    running: set[asyncio.Task[Any]] | None = None,
) -> None:
    """Run one job, logging and counting its outcome (a failure waits for the next run).

    Its task is in ``running`` while it runs, for the leader to wait for it when it stops.
    """
    task = asyncio.current_task()
    if running is not None and task is not None:
        task.set_name(f"scheduler job {name}")
        running.add(task)
    started = time.monotonic()
    try:
        await func(db, settings)
    except asyncio.CancelledError:
        # The scheduler was stopped (leadership lost or shutdown): a normal end for this task,
        # which is the executor's own leaf task; a new leader runs the job again.
        log.info("job_cancelled", job=name)
        return
    except Exception:
        metrics.record_job(name, False, time.monotonic() - started)
        log.exception("job_failed", job=name)
        return
    finally:
        if running is not None and task is not None:
            running.discard(task)
    metrics.record_job(name, True, time.monotonic() - started)


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background loop's ``task`` (none: nothing to do) and wait until it has ended,
    as the stop of a long-lived service does (the scheduler's leader loop, ``roadbook``'s live
    listener)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def lock_conninfo(url: str) -> str:
    """A libpq URI for the lock connection, from the app's SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class LeaderStatus:
    """What any instance can see of the leader: whether one holds the lock, and when it probed."""

    present: bool
    heartbeat_at: datetime | None


async def leader_status(session: AsyncSession) -> LeaderStatus:
    """Whether a session of this database holds the scheduler lock, and its last probe time.

    The leader's probes are its only queries, so its backend's ``state_change`` is its
    heartbeat (visible to the same login or a member of ``pg_read_all_stats``; when hidden, the
    time of the query stands in: the lock itself proves the session alive).
    """
    row = (
        await session.execute(
            text(
                """SELECT a.state_change, now() FROM pg_locks l
                   LEFT JOIN pg_stat_activity a ON a.pid = l.pid
                   WHERE l.locktype = 'advisory' AND l.granted
                     AND l.database = (SELECT oid FROM pg_database
                                       WHERE datname = current_database())
                     AND l.classid::bigint = :classid AND l.objid::bigint = :objid
                     AND l.objsubid = 1"""
            ),
            {"classid": _LOCK_CLASSID, "objid": _LOCK_OBJID},
        )
    ).first()
    if row is None:
        return LeaderStatus(False, None)
    return LeaderStatus(True, row[0] or row[1])


class _Executor(AsyncIOExecutor):  # type: ignore[misc]
    """APScheduler's asyncio executor, quiet about jobs cancelled by a stop (not errors)."""

    def _run_job_error(self, job_id: str, exc: BaseException, traceback: Any = None) -> None:
        if isinstance(exc, asyncio.CancelledError):
            log.info("job_cancelled", job=job_id)
            return
        super()._run_job_error(job_id, exc, traceback)


class SchedulerLeader:
    """Leader election plus the scheduler it guards; one per app (``app.state.scheduler``)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        jobs: Sequence[JobSpec] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.jobs = list(jobs) if jobs is not None else hooks.jobs()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.scheduler: AsyncIOScheduler | None = None
        self.conn: psycopg.AsyncConnection[Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[Any]] = set()  # the jobs' tasks (run_job)

    @property
    def is_leader(self) -> bool:
        """True while this instance holds the lock and its scheduler runs."""
        return self.scheduler is not None

    def start(self) -> None:
        """Begin competing for leadership in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"scheduler-leader {self.name}")

    async def stop(self) -> None:
        """Stop the scheduler, release the lock (a follower takes over on its next try)."""
        await cancel_and_wait(self._task)
        self._task = None
        self._demote("shutdown")
        await self._jobs_ended()
        await self._close()

    async def _run(self) -> None:
        while True:
            try:
                if await self._acquire():
                    self._promote()
                    reason = await self._hold()
                    self._demote(reason)
            except Exception as exc:
                self._demote(f"error: {type(exc).__name__}")
                log.warning("scheduler_lock_error", instance=self.name, error=repr(exc))
            await self._jobs_ended()
            await self._close()
            await asyncio.sleep(self.settings.scheduler_retry_s)

    async def _acquire(self) -> bool:
        self.conn = await psycopg.AsyncConnection.connect(
            lock_conninfo(self.db.url),
            autocommit=True,
            application_name=APPLICATION_NAME,
            **CLIENT_KEEPALIVES,
        )
        await self.conn.execute(SERVER_KEEPALIVES)
        cur = await self.conn.execute("SELECT pg_try_advisory_lock(%s)", [SCHEDULER_LOCK])
        row = await cur.fetchone()
        return bool(row and row[0])

    async def _hold(self) -> str:
        """Return (with the reason) once the lock is lost or can no longer be confirmed."""
        conn = self.conn
        assert conn is not None
        while True:
            try:
                async with asyncio.timeout(PROBE_TIMEOUT_S):
                    cur = await conn.execute(
                        """SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
                           AND pid = pg_backend_pid() AND granted AND objsubid = 1
                           AND classid::bigint = %s AND objid::bigint = %s)""",
                        [_LOCK_CLASSID, _LOCK_OBJID],
                    )
                    row = await cur.fetchone()
            except TimeoutError:
                return "probe timed out"
            except psycopg.Error as exc:
                return f"connection lost: {type(exc).__name__}"
            if not (row and row[0]):
                return "lock no longer held"
            try:
                # Wakes up as soon as the server closes the session (pg_terminate_backend,
                # restart, failover): no notification is ever sent on this connection.
                async for _ in conn.notifies(timeout=self.settings.scheduler_probe_s):
                    pass
            except psycopg.Error as exc:
                return f"connection lost: {type(exc).__name__}"

    def _promote(self) -> None:
        # APScheduler logs every run at INFO; run_job logs what matters.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        scheduler = AsyncIOScheduler(timezone=UTC, executors={"default": _Executor()})
        now = datetime.now(UTC)
        for name, func, interval in self.jobs:
            scheduler.add_job(
                run_job,
                "interval",
                seconds=interval,
                args=[name, func, self.db, self.settings, self._running],
                id=name,
                name=name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=now,
            )
        scheduler.start()
        self.scheduler = scheduler
        metrics.SCHEDULER_LEADER.set(1)
        log.info("scheduler_leader", instance=self.name, jobs=[n for n, _, _ in self.jobs])

    def _demote(self, reason: str) -> None:
        if self.scheduler is None:
            return
        # Cancels running jobs too: a follower may start them again at any moment.
        self.scheduler.shutdown(wait=False)
        self.scheduler = None
        metrics.SCHEDULER_LEADER.set(0)
        log.warning("scheduler_stopped", instance=self.name, reason=reason)

    async def _jobs_ended(self) -> None:
        """Wait for the jobs ``_demote`` cancelled to end (their connections back in the pool)."""
        running = {task for task in self._running if not task.done()}
        if not running:
            return
        _, stuck = await asyncio.wait(running, timeout=JOB_STOP_TIMEOUT_S)
        if stuck:
            log.warning(
                "scheduler_jobs_still_running",
                instance=self.name,
                jobs=sorted(task.get_name() for task in stuck),
            )

    async def _close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            # Released by the server before it answers: once this returns, a follower (or a
            # check of who leads) finds the lock free. Closing alone only sends Terminate, and
            # the server lets go of the lock a moment later. A dead connection just closes.
            # The close is in a finally: a stop() cancelling the loop while it waits for the
            # unlock must not leave the connection open (psycopg's close itself never waits).
            try:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        conn.execute("SELECT pg_advisory_unlock_all()"), UNLOCK_TIMEOUT_S
                    )
            finally:
                with contextlib.suppress(Exception):
                    await conn.close()


def start(db: Database, settings: Settings) -> SchedulerLeader:
    """Start competing for leadership with every registered job (app lifespan)."""
    leader = SchedulerLeader(db, settings)
    leader.start()
    return leader
