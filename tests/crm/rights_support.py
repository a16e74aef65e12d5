"""Helpers of the visitors / rights / retention tests: staff tokens and the privacy scan."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core import credentials
from crm.core.db import Database
from crm.staff.models import StaffUser


async def staff_token(db: Database, destination_id: uuid.UUID, role: str) -> tuple[uuid.UUID, str]:
    """A staff member of ``role`` and a live bearer token (no password: not tested here)."""
    async with db.session(system=True) as session:
        user = StaffUser(
            destination_id=destination_id,
            email=f"{role}-{uuid.uuid4().hex[:8]}@office.example",
            name=role.title(),
            role=role,
            password_hash="!",
        )
        session.add(user)
        await session.flush()
        token = await credentials.issue(session, "staff", str(user.id), destination_id)
        await session.commit()
    return user.id, token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def rows_mentioning(
    session: AsyncSession, value: str, *, skip: frozenset[str] = frozenset({"erasure_ledger"})
) -> dict[str, int]:
    """Every table.column (uuid, text, varchar, json, jsonb, arrays, as text) holding ``value``."""
    columns = (
        await session.execute(
            text("""
            SELECT c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('uuid', 'text', 'character varying', 'json', 'jsonb', 'ARRAY')
            ORDER BY 1, 2""")
        )
    ).all()
    assert len(columns) > 20, "the scan must see the whole schema"
    found: dict[str, int] = {}
    for table, column, _ in columns:
        if table in skip:
            continue
        count = (
            await session.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE :pattern'),
                {"pattern": f"%{value}%"},
            )
        ).scalar_one()
        if count:
            found[f"{table}.{column}"] = int(count)
    return found


async def insert_event(
    session: AsyncSession,
    *,
    destination_id: uuid.UUID,
    site_id: uuid.UUID,
    device_id: uuid.UUID,
    visitor_id: uuid.UUID,
    observed_at: datetime,
    kind: str = "dwell",
) -> uuid.UUID:
    """A stored proximity event at ``observed_at`` (its month's partition created if needed)."""
    await session.execute(
        text("SELECT balise_ensure_event_partition(:day)"), {"day": observed_at.date()}
    )
    event_id = uuid.uuid4()
    await session.execute(
        text("""
        INSERT INTO proximity_event (id, observed_at, destination_id, received_at, gateway_id,
            site_id, device_id, visitor_id, seq, kind, rssi, distance_m, zone, dwell_s)
        VALUES (:id, :at, :dest, :at, 'gw', :site, :device, :visitor, 1, :kind, -60, 1.5,
            'near', 0)"""),
        {
            "id": event_id,
            "at": observed_at,
            "dest": destination_id,
            "site": site_id,
            "device": device_id,
            "visitor": visitor_id,
            "kind": kind,
        },
    )
    return event_id
