"""Retention jobs (docs/architecture.md), run by the scheduler leader (``crm/core/scheduling.py``).

- ``purge_expired_events``: a visitor's raw proximity events are kept until
  ``retention_days_after_stay`` days after their stay ends, then added to the anonymous
  per-site, per-hour ``presence_count`` and deleted. The stay ends at the end (UTC) of its last
  day; with no stay known, or for an event after the stay (stale stay dates), the event's own
  time counts instead: no event outlives ``max(stay end, observed_at) + retention``.
  Visits (the site sessions the roadbook shows) are part of the profile and go with it.
- ``erase_inactive_profiles``: profiles with no action of the visitor themself
  (``visitor.last_action_at``: enrolment, consent changes, export...) for
  ``profile_inactivity_days`` are erased through the erasure path (into the erasure ledger,
  ``by`` = ``retention``).

Both work across destinations in a ``system`` session, in batches each committed on its own
(a crash loses at most one batch's progress, never consistency), and are idempotent: a leader
change may run them twice. ``now`` is a parameter for tests; the scheduler passes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.db import Database
from crm.core.hooks import JobSpec
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.rights import service
from crm.visitors.models import Visitor

log = structlog.get_logger(__name__)

EVENT_BATCH = 5_000
PROFILE_BATCH = 500

# One statement per batch: pick expired events, delete them, count them anonymously. A row
# another run deleted first is not RETURNed here, so concurrent runs never count twice.
_PURGE_EVENTS = service.rolled_up("""
    DELETE FROM proximity_event p USING (
        SELECT e.id, e.observed_at
        FROM proximity_event e
        LEFT JOIN visitor v ON v.id = e.visitor_id
        WHERE e.observed_at < :cutoff
          AND greatest(
                e.observed_at,
                coalesce(((v.stay_end + 1)::timestamp AT TIME ZONE 'UTC'), e.observed_at)
              ) < :cutoff
        LIMIT :batch
    ) d
    WHERE p.id = d.id AND p.observed_at = d.observed_at
    RETURNING p.destination_id, p.site_id, p.observed_at, p.kind""")


async def purge_expired_events(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    batch_size: int = EVENT_BATCH,
) -> int:
    """Job: roll up and delete raw events past their retention; the number deleted."""
    cutoff = (now or utcnow()) - timedelta(days=settings.retention_days_after_stay)

    async def batch(session: AsyncSession) -> int:
        params = {"cutoff": cutoff, "batch": batch_size}
        return int((await session.execute(_PURGE_EVENTS, params)).scalar_one())

    total = await db.in_batches(batch_size, batch)
    if total:
        log.info("retention_events_purged", events=total)
    return total


async def erase_inactive_profiles(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    batch_size: int = PROFILE_BATCH,
) -> int:
    """Job: erase profiles idle for ``profile_inactivity_days``; the number erased."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.profile_inactivity_days)

    async def batch(session: AsyncSession) -> int:
        rows = (
            await session.execute(
                select(col(Visitor.destination_id), col(Visitor.id))
                .where(col(Visitor.last_action_at) < cutoff)
                .order_by(col(Visitor.last_action_at))
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
        by_destination: dict[uuid.UUID, list[uuid.UUID]] = {}
        for destination_id, visitor_id in rows:
            by_destination.setdefault(destination_id, []).append(visitor_id)
        for destination_id, ids in by_destination.items():
            await service.erase_visitors(session, destination_id, ids, by="retention", at=now)
        return len(rows)

    total = await db.in_batches(batch_size, batch)
    if total:
        log.info("retention_profiles_erased", visitors=total)
    return total


# An ingest transaction that resolved a pass just before its visitor's erasure committed can
# still store that event just after it (proximity_event has no foreign keys). The sweep removes
# such stragglers of recent erasures; reapply_erasures covers the whole ledger after a restore.
_SWEEP_ERASED = service.rolled_up("""
    DELETE FROM proximity_event p USING erasure_ledger l
    WHERE p.visitor_id = l.visitor_id AND p.destination_id = l.destination_id
      AND l.erased_at >= :since
    RETURNING p.destination_id, p.site_id, p.observed_at, p.kind""")
SWEEP_WINDOW = timedelta(days=2)


async def sweep_erased_events(
    db: Database, settings: Settings, *, now: datetime | None = None
) -> int:
    """Job: delete (counted anonymously) events stored for visitors erased in the last 2 days."""
    since = (now or utcnow()) - SWEEP_WINDOW
    async with db.session(system=True) as session:
        deleted = int((await session.execute(_SWEEP_ERASED, {"since": since})).scalar_one())
        await session.commit()
    if deleted:
        log.warning("erased_visitor_events_swept", events=deleted)
    return deleted


JOBS: list[JobSpec] = [
    ("retention_events", purge_expired_events, 3600.0),
    ("retention_profiles", erase_inactive_profiles, 24 * 3600.0),
    ("erasure_sweep", sweep_erased_events, 600.0),
]
