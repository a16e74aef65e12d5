"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from crm.core.db import Database
from crm.core.errors import OUTAGE_RETRY_AFTER_S, Problem
from crm.core.settings import PROJECT_ROOT

router = APIRouter(tags=["operations"])

# /readyz answers within this, whatever the database does (orchestrators' probes give up after
# a second by default).
READY_WITHIN_S = 0.8
# A probe still unanswered after this is cancelled; until then later checks share it, so a hung
# database costs one connection attempt, not one per check.
PROBE_DEADLINE_S = 10.0


def migration_head(root: Path = PROJECT_ROOT) -> str | None:
    """The newest revision of the migration history shipped with this code."""
    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    return script.get_current_head()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


async def _schema_version(db: Database) -> str | None:
    async with asyncio.timeout(PROBE_DEADLINE_S), db.session(system=True) as session:
        version: str | None = (
            await session.execute(text("SELECT version_num FROM alembic_version"))
        ).scalar()
        return version


def _retrieve(probe: asyncio.Task[str | None]) -> None:
    # A probe nobody waits for any more: its outcome is read here, not reported as lost.
    if not probe.cancelled():
        probe.exception()


def _probe(request: Request) -> asyncio.Task[str | None]:
    """The readiness probe in flight, or a new one."""
    probe: asyncio.Task[str | None] | None = getattr(request.app.state, "readiness_probe", None)
    if probe is None or probe.done() or probe.get_loop() is not asyncio.get_running_loop():
        probe = asyncio.get_running_loop().create_task(_schema_version(request.app.state.db))
        probe.add_done_callback(_retrieve)
        request.app.state.readiness_probe = probe
    return probe


def _not_ready(detail: str) -> Problem:
    return Problem(
        503,
        "Service Unavailable",
        detail,
        headers={"Retry-After": str(OUTAGE_RETRY_AFTER_S)},
    )


@router.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
async def readyz(request: Request) -> dict[str, str]:
    """The database answers and its schema is at this code's migration head (within 0.8 s)."""
    probe = _probe(request)
    # Waiting does not cancel the probe: a connection attempt to a hung server ends by its own
    # timeout (crm/core/db.py), and psycopg's cancellation of a running query can take seconds.
    done, _ = await asyncio.wait({probe}, timeout=READY_WITHIN_S)
    if not done:
        raise _not_ready(f"database did not answer within {READY_WITHIN_S} s")
    try:
        current = probe.result()
    except Exception as exc:
        raise _not_ready(f"database unreachable: {type(exc).__name__}") from exc
    head = request.app.state.migration_head
    if current != head:
        raise _not_ready(f"schema at {current}, code expects {head}: run crm migrate")
    return {"status": "ready", "schema": str(current)}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus exposition: this process's counters and the database gauges (never fails)."""
    from crm.core import metrics as core_metrics

    await core_metrics.refresh_database_gauges(request.app.state.db, request.app.state.settings)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
