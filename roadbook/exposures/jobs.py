"""Retention of exposures and clicks: rolled up anonymously, then deleted, after the stay.

Like the visitors' raw proximity events (crm/rights/jobs.py), a visitor's exposures and clicks
are kept until ``retention_days_after_stay`` days after the end of their stay (their own time
when no stay is known, or when it is later), then counted into ``exposure_rollup`` (per
destination, UTC day and item: no visitor) and deleted, in batches each
committed on its own. A row another run deleted first is not RETURNed, so nothing counts twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.db import Database
from crm.core.hooks import JobSpec
from crm.core.models import utcnow
from crm.core.settings import Settings

log = structlog.get_logger(__name__)

BATCH = 5_000
INTERVAL_S = 3600.0


def _expired(table: str, at: str) -> str:
    """Delete a batch of ``table``'s rows past retention, RETURNING what the roll-up counts."""
    return f"""
    DELETE FROM {table} t USING (
        SELECT x.id FROM {table} x JOIN visitor v ON v.id = x.visitor_id
        WHERE x.{at} < :cutoff
          AND greatest(
                x.{at}, coalesce(((v.stay_end + 1)::timestamp AT TIME ZONE 'UTC'), x.{at})
              ) < :cutoff
        LIMIT :batch
    ) d
    WHERE t.id = d.id
    RETURNING t.destination_id, t.{at} AS at, t.item_id, t.partner_id"""  # noqa: S608


def _rolled_up(table: str, at: str, counter: str) -> str:
    shown, clicked = ("count(*)", "0") if counter == "shown" else ("0", "count(*)")
    return f"""
WITH gone AS ({_expired(table, at)}
), counted AS (
    INSERT INTO exposure_rollup AS r (destination_id, day, item_id, partner_id, shown, clicked)
    SELECT destination_id, (at AT TIME ZONE 'UTC')::date, item_id, max(partner_id::text)::uuid,
           {shown}, {clicked}
    FROM gone GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (destination_id, day, item_id)
    DO UPDATE SET {counter} = r.{counter} + excluded.{counter}
)
SELECT count(*) FROM gone"""  # noqa: S608 - constant SQL of this module only


_STATEMENTS = (
    text(_rolled_up("exposure", "shown_at", "shown")),
    text(_rolled_up("click", "clicked_at", "clicked")),
)


async def _batch(statement: TextClause, params: dict[str, Any], session: AsyncSession) -> int:
    """One batch of ``statement``: how many rows it rolled up and deleted."""
    return int((await session.execute(statement, params)).scalar_one())


async def roll_up_exposures(
    db: Database, settings: Settings, *, now: datetime | None = None, batch_size: int = BATCH
) -> int:
    """Job: roll up and delete exposures and clicks past retention; how many rows went."""
    params = {
        "cutoff": (now or utcnow()) - timedelta(days=settings.retention_days_after_stay),
        "batch": batch_size,
    }
    total = 0
    for statement in _STATEMENTS:
        total += await db.in_batches(batch_size, partial(_batch, statement, params))
    if total:
        log.info("retention_exposures_rolled_up", rows=total)
    return total


JOBS: tuple[JobSpec, ...] = (("roll_up_exposures", roll_up_exposures, INTERVAL_S),)
