"""Visits jobs: the follower that merges queued sightings into visits (``crm.visits.follower``),
and the follower's backlog as a ``/metrics`` gauge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from crm.core import metrics
from crm.core.hooks import JobSpec
from crm.core.settings import Settings
from crm.visits.follower import follow, oldest_queued_age_s

# How often the leader looks at the queue: the roadbook hears of a visit within about this.
FOLLOW_EVERY_S = 1.0

JOBS: list[JobSpec] = [("visits_follow", follow, FOLLOW_EVERY_S)]


async def read_gauges(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """``/metrics``: how long the oldest ingested batch has waited for the follower."""
    metrics.VISIT_QUEUE_AGE.set(await oldest_queued_age_s(session, now))
