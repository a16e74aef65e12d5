"""Prometheus metrics an operator alerts on (docs/operations.md lists them with alert rules).

Two kinds:

- **Database gauges** (gateways by state, oldest outbox age, next month's partition, scheduler
  leader, EID table age, visits follower backlog) are computed from PostgreSQL when
  ``/metrics`` is scraped, so every worker and replica reports the same values: scrape any.
  They are defined here; the domain that knows each one registers its reader
  (``crm.core.hooks.register_gauges``).
- **Process counters** (ingest outcomes, rate-limited requests, job runs, this process's
  leadership) count what happened in this worker process; Prometheus sums them across targets.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import text

from crm.core import hooks
from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings

log = structlog.get_logger(__name__)

GATEWAY_STATES = ("online", "stale", "offline", "never")

# Database gauges
GATEWAYS = Gauge(
    "balise_gateways",
    "Gateways by heartbeat state (never: registered, no heartbeat yet)",
    ["state"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "balise_gateway_outbox_oldest_age_seconds",
    "Age of the oldest event waiting in a gateway outbox, max over gateways (from heartbeats)",
)
PARTITION_NEXT_MONTH_MISSING = Gauge(
    "balise_event_partition_next_month_missing",
    "1 when next month's proximity_event partition does not exist yet",
)
LEADER_PRESENT = Gauge(
    "balise_scheduler_leader_present",
    "1 when some process holds the scheduler lock on this database",
)
LEADER_HEARTBEAT = Gauge(
    "balise_scheduler_last_leader_heartbeat",
    "Unix time of the scheduler leader's last lock probe (0: no leader)",
)
EID_TABLE_AGE = Gauge(
    "balise_eid_window_age_seconds",
    "Age of the newest EID table refresh, worst destination with EID passes (0: none)",
)
VISIT_QUEUE_AGE = Gauge(
    "balise_visit_queue_oldest_age_seconds",
    "How long the oldest ingested batch has waited for the visits follower (0: none waiting)",
)
METRICS_DB_UP = Gauge(
    "balise_metrics_database_up", "1 when the last scrape could read the database gauges"
)

# Process counters
INGEST_EVENTS = Counter(
    "balise_ingest_events_total",
    "Events received by this process, by outcome (accepted, duplicate, rejected)",
    ["outcome"],
)
INGEST_REJECTED = Counter(
    "balise_ingest_rejected_total", "Events rejected by this process, by reason", ["reason"]
)
RATE_LIMITED = Counter(
    "balise_rate_limited_total", "Requests refused with 429 by this process", ["scope"]
)
SCHEDULER_LEADER = Gauge(
    "balise_scheduler_leader", "1 while this process is the scheduler leader and runs the jobs"
)
JOB_RUNS = Counter(
    "balise_scheduler_job_runs_total", "Scheduler job runs in this process", ["job", "outcome"]
)
JOB_LAST_SUCCESS = Gauge(
    "balise_scheduler_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful run in this process",
    ["job"],
)
JOB_DURATION = Gauge(
    "balise_scheduler_job_duration_seconds", "Duration of the job's last run", ["job"]
)

for _outcome in ("accepted", "duplicate", "rejected"):
    INGEST_EVENTS.labels(_outcome)
for _state in GATEWAY_STATES:
    GATEWAYS.labels(_state)


def record_ingest(accepted: int, duplicates: int, rejected_reasons: Iterable[str]) -> None:
    """Count one ingested batch (call it after the batch's transaction committed)."""
    INGEST_EVENTS.labels("accepted").inc(accepted)
    INGEST_EVENTS.labels("duplicate").inc(duplicates)
    rejected = 0
    for reason in rejected_reasons:
        INGEST_REJECTED.labels(reason).inc()
        rejected += 1
    INGEST_EVENTS.labels("rejected").inc(rejected)


def record_job(job: str, ok: bool, seconds: float) -> None:
    """Count one scheduler job run."""
    JOB_RUNS.labels(job, "ok" if ok else "error").inc()
    JOB_DURATION.labels(job).set(seconds)
    if ok:
        JOB_LAST_SUCCESS.labels(job).set(time.time())


async def refresh_database_gauges(
    db: Database, settings: Settings, now: datetime | None = None
) -> bool:
    """Recompute the database gauges; False (and ``balise_metrics_database_up`` 0) on failure.

    The scheduler's leader gauges are core's; the others are set by the readers the domains
    registered (``crm.core.hooks.register_gauges``), all in one transaction. Scrapes must never
    fail: an unreachable database is itself reported, not raised.
    """
    from crm.core.scheduling import leader_status

    now = now or utcnow()
    try:
        async with db.session(system=True) as session, session.begin():
            # A scrape must not hang on a locked catalog or a slow server.
            await session.execute(text("SET LOCAL statement_timeout = '5s'"))
            for read in hooks.gauge_readers():
                await read(session, settings, now)
            leader = await leader_status(session)
    except Exception as exc:
        log.warning("metrics_database_unavailable", error=type(exc).__name__)
        METRICS_DB_UP.set(0)
        return False
    LEADER_PRESENT.set(1 if leader.present else 0)
    LEADER_HEARTBEAT.set(leader.heartbeat_at.timestamp() if leader.heartbeat_at else 0.0)
    METRICS_DB_UP.set(1)
    return True
