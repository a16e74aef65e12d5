"""Row-level security: a query that forgets its WHERE still sees only its own destination."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from crm.core.db import Database
from crm.core.tenancy import Destination
from crm.destinations import service as destinations
from crm.destinations.models import Site
from crm.visitors import service as visitors
from crm.visitors.models import Consent, Visitor


async def _two_destinations(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    async with db.session(system=True) as session:
        a = await destinations.create_destination(session, "dest-a", "A")
        b = await destinations.create_destination(session, "dest-b", "B")
        for dest in (a, b):
            await destinations.add_site(session, dest.id, "spa", f"Spa {dest.slug}")
            await visitors.enrol(session, dest.id, consents=["proximity"])
        await session.commit()
        return a.id, b.id


async def test_forgotten_where_returns_only_own_rows(db: Database) -> None:
    a, _ = await _two_destinations(db)
    async with db.session(a) as session:
        sites = (await session.execute(select(Site))).scalars().all()
        people = (await session.execute(select(Visitor))).scalars().all()
        consents = (await session.execute(select(Consent))).scalars().all()
        dests = (await session.execute(select(Destination))).scalars().all()
    assert {s.destination_id for s in sites} == {a}
    assert {v.destination_id for v in people} == {a} and len(people) == 1
    assert {c.destination_id for c in consents} == {a}
    assert [d.id for d in dests] == [a]


async def test_no_tenant_sees_nothing(db: Database) -> None:
    await _two_destinations(db)
    async with db.session() as session:
        assert (await session.execute(select(Site))).scalars().all() == []
        role = (await session.execute(text("SELECT current_user"))).scalar()
    assert role == "balise_app"


async def test_cannot_write_into_another_destination(db: Database) -> None:
    a, b = await _two_destinations(db)
    async with db.session(a) as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            await destinations.add_site(session, b, "intrus", "Intrus")


async def test_cannot_move_a_row_to_another_destination(db: Database) -> None:
    a, b = await _two_destinations(db)
    async with db.session(a) as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(text("UPDATE site SET destination_id = :b"), {"b": b})
