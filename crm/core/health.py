"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from crm.core.errors import Problem
from crm.core.settings import PROJECT_ROOT

router = APIRouter(tags=["operations"])


def migration_head(root: Path = PROJECT_ROOT) -> str | None:
    """The newest revision of the migration history shipped with this code."""
    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    return script.get_current_head()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database unreachable or not migrated"}})
async def readyz(request: Request) -> dict[str, str]:
    """The database answers and its schema is at this code's migration head."""
    db = request.app.state.db
    try:
        async with db.session(system=True) as session:
            current = (
                await session.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
    except Exception as exc:
        raise Problem(
            503, "Service Unavailable", f"database unreachable: {type(exc).__name__}"
        ) from exc
    head = request.app.state.migration_head
    if current != head:
        raise Problem(
            503, "Service Unavailable", f"schema at {current}, code expects {head}: run crm migrate"
        )
    return {"status": "ready", "schema": str(current)}


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus exposition: this process's counters and the database gauges (never fails)."""
    from crm.core import metrics as core_metrics

    await core_metrics.refresh_database_gauges(request.app.state.db, request.app.state.settings)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
