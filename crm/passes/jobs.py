"""EID windows kept ahead of ingest: the table rebuilt around now (a scheduler job) and its age."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from crm.core import metrics, serverkey
from crm.core.db import Database
from crm.core.hooks import JobSpec
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.passes.eid import refresh_eid_windows
from crm.passes.models import Device
from eddystone.eid import EidIdentity

log = structlog.get_logger(__name__)


def identity_of(keys: list[bytes], device: Device) -> EidIdentity | None:
    """A pass's EID identity (key decrypted with the server key); None when unusable."""
    if device.identity_key_enc is None or device.rotation_exponent is None:
        return None
    try:
        identity_key = serverkey.unseal(keys, device.identity_key_enc)
    except serverkey.ServerKeyError as exc:
        log.warning("eid_identity_unreadable", device=str(device.id), error=str(exc))
        return None
    # The beacon's clock is taken as Unix time (offset 0) until registration records one.
    return EidIdentity(identity_key, device.rotation_exponent)


async def refresh_eid(db: Database, settings: Settings) -> None:
    """Job: rebuild every destination's EID table around now (one transaction each)."""
    keys = serverkey.server_keys(settings)
    async with db.session(system=True) as session:
        destinations = list((await session.execute(select(col(Destination.id)))).scalars())
    now = utcnow()
    for destination_id in destinations:
        await _refresh_destination(db, destination_id, now, keys)


async def _refresh_destination(
    db: Database, destination_id: uuid.UUID, now: datetime, keys: list[bytes]
) -> None:
    async with db.session(destination_id) as session, session.begin():
        await refresh_eid_windows(session, destination_id, now, lambda d: identity_of(keys, d))


async def eid_table_age_s(session: AsyncSession, now: datetime) -> float | None:
    """Seconds since the stalest EID table refresh among destinations with EID passes."""
    age = (
        await session.execute(
            text(
                """SELECT max(extract(epoch FROM :now - coalesce(w.refreshed, 'epoch')))
                   FROM (SELECT DISTINCT destination_id FROM device
                         WHERE kind = 'eddystone-eid') d
                   LEFT JOIN (SELECT destination_id, max(refreshed_at) AS refreshed
                              FROM eid_window GROUP BY destination_id) w USING (destination_id)"""
            ),
            {"now": now},
        )
    ).scalar()
    return float(age) if age is not None else None


async def read_gauges(session: AsyncSession, settings: Settings, now: datetime) -> None:
    """``/metrics``: the age of the stalest EID table (0: no EID pass)."""
    metrics.EID_TABLE_AGE.set(await eid_table_age_s(session, now) or 0.0)


# EID windows last 2^K s (K >= 8: 256 s) and the table keeps one on each side of the current
# one: refreshing every 2 minutes keeps every pass resolvable.
JOBS: list[JobSpec] = [("eid_windows", refresh_eid, 120.0)]
