"""Ingest's scheduler jobs: event partitions ahead, the dedup ledger's purge, the EID table.

Each job is idempotent (a leader change may run it twice) and works across destinations.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core import metrics
from crm.core.db import Database
from crm.core.hooks import JobSpec
from crm.core.models import utcnow
from crm.core.settings import Settings

log = structlog.get_logger(__name__)

PARTITION_MONTHS_AHEAD = 2
PURGE_BATCH = 10_000


def month_start(day: date, months_ahead: int = 0) -> date:
    """The first day of the month ``months_ahead`` after ``day``'s."""
    index = day.year * 12 + day.month - 1 + months_ahead
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    """The partition of ``proximity_event`` holding ``month`` (balise_ensure_event_partition)."""
    return f"proximity_event_p{month:%Y%m}"


async def ensure_partitions(db: Database, settings: Settings) -> None:
    """Job: this month's partition and the next ``PARTITION_MONTHS_AHEAD`` months' exist."""
    today = utcnow().date()
    async with db.session(system=True) as session, session.begin():
        for ahead in range(PARTITION_MONTHS_AHEAD + 1):
            await session.execute(
                text("SELECT balise_ensure_event_partition(:day)"),
                {"day": month_start(today, ahead)},
            )


async def next_partition_missing(session: AsyncSession, now: datetime) -> bool:
    """Whether next month's partition is missing (an alert: ingest would fail next month)."""
    name = partition_name(month_start(now.date(), 1))
    found = (
        await session.execute(
            text(
                """SELECT EXISTS (SELECT 1 FROM pg_inherits i
                   JOIN pg_class c ON c.oid = i.inhrelid
                   WHERE i.inhparent = 'proximity_event'::regclass AND c.relname = :name)"""
            ),
            {"name": name},
        )
    ).scalar()
    return not found


async def purge_dedup_ledger(db: Database, settings: Settings) -> None:
    """Job: forget ledger ids older than ``dedup_ledger_days`` (far beyond any outbox backlog).

    Deletes in batches, one short transaction each, so a large backlog never holds long locks.
    """
    cutoff = utcnow() - timedelta(days=settings.dedup_ledger_days)
    total = 0
    while True:
        async with db.session(system=True) as session, session.begin():
            result = await session.execute(
                # by the whole key: the same id may be recent in another destination
                text(
                    """DELETE FROM ingested_event WHERE (destination_id, id) IN (
                         SELECT destination_id, id FROM ingested_event
                         WHERE ingested_at < :cutoff LIMIT :n)"""
                ),
                {"cutoff": cutoff, "n": PURGE_BATCH},
            )
        deleted = int(getattr(result, "rowcount", 0) or 0)
        total += deleted
        if deleted < PURGE_BATCH:
            break
    if total:
        log.info("dedup_ledger_purged", rows=total, before=cutoff.isoformat())


async def read_gauges(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """``/metrics``: whether next month's event partition is missing."""
    missing = await next_partition_missing(session, now)
    metrics.PARTITION_NEXT_MONTH_MISSING.set(1 if missing else 0)


JOBS: list[JobSpec] = [
    ("event_partitions", ensure_partitions, 6 * 3600.0),
    ("dedup_ledger_purge", purge_dedup_ledger, 3600.0),
]
