"""The co-visitation job: each destination's "visitors who went to X also went to Y" table.

Reads the (visitor, site) pairs of the last :data:`WINDOW` of visits whose visitors hold the
``personalisation`` consent now (the consent rule of crm/visitors/consent.py, in SQL: the latest
entry decides, a withdrawal wins a tie), computes the table with
``roadbook.engine.covisitation`` (pairs of at least 5 distinct visitors only) and replaces the
destination's row. Idempotent; run by the scheduler's leader every :data:`INTERVAL_S` seconds.
The roadbook service reads the row through :func:`scores`, kept :data:`TTL_S` in each process.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.db import Database
from crm.core.hooks import JobSpec
from crm.core.kept import Kept
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.core.vocabulary import PERSONALISATION
from roadbook.covisitation.models import CoVisitation
from roadbook.engine.covisitation import covisitation

log = structlog.get_logger(__name__)

WINDOW = timedelta(days=90)
INTERVAL_S = 3600.0
TTL_S = 300.0

_PAIRS = text("""
WITH latest AS (
    SELECT DISTINCT ON (visitor_id) visitor_id, granted
    FROM consent
    WHERE destination_id = :destination AND scope = :scope
    ORDER BY visitor_id, at DESC, granted
)
SELECT DISTINCT v.visitor_id::text, v.site_id::text
FROM visit v JOIN latest l ON l.visitor_id = v.visitor_id AND l.granted
WHERE v.destination_id = :destination AND v.last_seen_at > :since""")


async def compute(session: AsyncSession, destination_id: uuid.UUID, now: datetime) -> int:
    """Recompute one destination's table (the session's caller commits); the visitors read."""
    pairs = (
        await session.execute(
            _PAIRS, {"destination": destination_id, "scope": PERSONALISATION, "since": now - WINDOW}
        )
    ).all()
    table = covisitation(pairs)
    visitors = len({visitor for visitor, _ in pairs})
    values = {"scores": table, "visitors": visitors, "computed_at": now}
    await session.execute(
        insert(CoVisitation)
        .values(destination_id=destination_id, **values)
        .on_conflict_do_update(index_elements=["destination_id"], set_=values)
    )
    return visitors


async def refresh_covisitation(
    db: Database, settings: Settings, *, now: datetime | None = None
) -> int:
    """Job: every destination's table, each committed on its own; destinations done."""
    now = now or utcnow()
    async with db.session(system=True) as session:
        destinations = list(await session.scalars(select(col(Destination.id))))
    for destination_id in destinations:
        async with db.session(system=True) as session:
            visitors = await compute(session, destination_id, now)
            await session.commit()
        log.debug("covisitation_refreshed", destination=str(destination_id), visitors=visitors)
    return len(destinations)


KEPT: Kept[uuid.UUID, Mapping[str, Mapping[str, float]]] = Kept(TTL_S)


async def scores(
    session: AsyncSession, destination_id: uuid.UUID
) -> Mapping[str, Mapping[str, float]]:
    """The destination's table as the engine reads it (empty before the job's first run)."""
    kept = KEPT.get(destination_id)
    if kept is not None:
        return kept
    table = await session.scalar(
        select(col(CoVisitation.scores)).where(col(CoVisitation.destination_id) == destination_id)
    )
    return KEPT.put(destination_id, table or {})


JOBS: tuple[JobSpec, ...] = (("refresh_covisitation", refresh_covisitation, INTERVAL_S),)
