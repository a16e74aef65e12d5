"""Gateway health from heartbeats: online, stale or offline (scheduler job and metrics).

A gateway is ``online`` when its last heartbeat is younger than ``gateway_stale_s``, ``stale``
up to ``gateway_offline_s``, ``offline`` beyond, and ``never`` when it has not sent one yet
(registered, perhaps not installed: worth a look, not a page). The states are computed from
``gateway.last_heartbeat_at`` when asked — by the job, which logs each gateway that changes
state, and by every ``/metrics`` scrape — so no stored status can go out of date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core import metrics
from crm.core.db import Database
from crm.core.hooks import JobSpec
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.fleet.service import forget_stale_attempts

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class FleetHealth:
    """Counts of gateways by state, their states, and the oldest outbox event reported."""

    counts: dict[str, int]
    states: dict[str, str] = field(default_factory=dict)
    oldest_outbox_age_s: float | None = None


def classify(last_heartbeat_at: datetime | None, now: datetime, settings: Settings) -> str:
    """The state of a gateway whose last heartbeat arrived at ``last_heartbeat_at``."""
    if last_heartbeat_at is None:
        return "never"
    age = (now - last_heartbeat_at).total_seconds()
    if age < settings.gateway_stale_s:
        return "online"
    if age < settings.gateway_offline_s:
        return "stale"
    return "offline"


async def fleet_health(session: AsyncSession, settings: Settings, now: datetime) -> FleetHealth:
    """Every gateway's state across destinations (a system session: jobs and metrics)."""
    rows = (
        await session.execute(
            text(
                """SELECT id, last_heartbeat_at,
                          CASE WHEN jsonb_typeof(heartbeat -> 'outbox_oldest_age_s') = 'number'
                               THEN (heartbeat ->> 'outbox_oldest_age_s')::float8 END
                   FROM gateway"""
            )
        )
    ).all()
    counts = dict.fromkeys(metrics.GATEWAY_STATES, 0)
    states: dict[str, str] = {}
    oldest: float | None = None
    for gateway_id, last, outbox_age in rows:
        state = classify(last, now, settings)
        counts[state] += 1
        states[gateway_id] = state
        if outbox_age is not None and (oldest is None or outbox_age > oldest):
            oldest = outbox_age
    return FleetHealth(counts, states, oldest)


def _publish(health: FleetHealth) -> None:
    for state in metrics.GATEWAY_STATES:
        metrics.GATEWAYS.labels(state).set(health.counts.get(state, 0))
    metrics.OUTBOX_OLDEST_AGE.set(health.oldest_outbox_age_s or 0.0)


async def read_gauges(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """``/metrics``: gateways by state and the oldest outbox event reported."""
    _publish(await fleet_health(session, settings, now))


# The leader's view of the previous run, to log changes only (a new leader logs them all once).
_previous: dict[str, str] = {}


async def check_gateways(db: Database, settings: Settings) -> None:
    """Job: compute the fleet's health, publish it as gauges, log gateways that changed state."""
    async with db.session(system=True) as session:
        health = await fleet_health(session, settings, utcnow())
    _publish(health)
    for gateway_id, state in health.states.items():
        before = _previous.get(gateway_id, "online")
        if state != before and state != "never":
            log_at = log.info if state == "online" else log.warning
            log_at("gateway_state", gateway=gateway_id, state=state, previous=before)
    _previous.clear()
    _previous.update(health.states)


async def forget_claim_attempts(db: Database, settings: Settings) -> None:
    """Job: forget failed claim-code attempts once they can no longer count or lock.

    Failures are otherwise only pruned when another one arrives; without this job the last
    offenders' addresses would stay indefinitely.
    """
    async with db.session(system=True) as session, session.begin():
        forgotten = await forget_stale_attempts(session, utcnow())
    if forgotten:
        log.info("claim_attempts_forgotten", rows=forgotten)


JOBS: list[JobSpec] = [
    ("gateway_health", check_gateways, 60.0),
    ("claim_attempts_forget", forget_claim_attempts, 3600.0),
]
