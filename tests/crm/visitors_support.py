"""Helpers for tests of self-enrolment: a fresh destination, and how many visitors it has."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlmodel import col

from crm.core.db import Database
from crm.destinations import service as destinations
from crm.visitors.models import Visitor


async def new_destination(db: Database, prefix: str) -> tuple[uuid.UUID, str]:
    """A committed destination named Amnéville with a unique ``prefix-...`` slug: (id, slug)."""
    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, slug, "Amnéville")
        await session.commit()
    return dest.id, slug


async def visitors_of(db: Database, destination_id: uuid.UUID) -> int:
    """How many visitors the destination has (so a refused form can be shown to write none)."""
    async with db.session(system=True) as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(Visitor)
                    .where(col(Visitor.destination_id) == destination_id)
                )
            ).scalar_one()
        )
