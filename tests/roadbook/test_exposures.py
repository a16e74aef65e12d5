"""Exposures and clicks (personal data: exported, erased, rolled up after the stay) and the
co-visitation job (consenting visitors only, pairs of at least 5 visitors)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import col

from crm.core.db import Database
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.main import install
from crm.rights import service as rights
from crm.visitors import service as visitors
from crm.visitors.models import Visitor
from crm.visits.models import Visit
from roadbook.covisitation import job as covisitation
from roadbook.engine.output import Item
from roadbook.exposures import jobs, service
from roadbook.exposures.models import Click, Exposure, ExposureRollup

NOW = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)
PARTNER = str(uuid.uuid4())


def _item(item_id: str, commercial: bool = False) -> Item:
    return Item(
        id=item_id,
        kind="offer" if commercial else "place",
        section="today",
        title=item_id,
        title_language="en",
        reason="why",
        reason_language="en",
        label="Partner offer" if commercial else None,
        commercial=commercial,
        partner_id=PARTNER if commercial else None,
        score=1.0,
        terms={},
        planned_at=NOW,
        until=None,
    )


async def _visitor(db: Database, **fields: object) -> Visitor:
    install()
    async with db.session(system=True) as session:
        slug = f"expo-{uuid.uuid4().hex[:8]}"
        destination = await destinations.create_destination(session, slug, "Expo")
        enrolled = await visitors.enrol(session, destination.id, **fields)  # type: ignore[arg-type]
        await session.commit()
    return enrolled.visitor


async def _count(db: Database, model: type[Exposure] | type[Click], visitor: Visitor) -> int:
    async with db.session(system=True) as session:
        query = select(func.count()).select_from(model).where(col(model.visitor_id) == visitor.id)
        return int((await session.execute(query)).scalar_one())


async def test_a_showing_is_recorded_once_and_offers_count_for_caps_after_it(db: Database) -> None:
    visitor = await _visitor(db)
    shown = [_item("place:a"), _item("offer:b", commercial=True)]
    async with db.session(visitor.destination_id) as session:
        first = await service.history(session, visitor.id, NOW)
        assert first == service.History(frozenset(), ())
        assert await service.record(session, visitor, shown, first, NOW) == 2
        # A reload within the showing records nothing and does not count against caps.
        later = NOW + timedelta(minutes=10)
        again = await service.history(session, visitor.id, later)
        assert again.current == {"place:a", "offer:b"}
        assert again.for_caps == ()
        assert await service.record(session, visitor, shown, again, later) == 0
        # After the showing, the offer's exposure counts; the place's is no longer read.
        next_showing = NOW + service.SHOWING + timedelta(seconds=1)
        after = await service.history(session, visitor.id, next_showing)
        assert after.current == frozenset()
        assert [(e.item_id, e.at, e.partner_id, e.commercial) for e in after.for_caps] == [
            ("offer:b", NOW, PARTNER, True)
        ]
        # In UTC, as the ORM's columns give times (whatever the connection's time zone).
        assert after.for_caps[0].at.tzinfo is UTC
        assert await service.record(session, visitor, shown, after, next_showing) == 2
        await session.commit()
    assert await _count(db, Exposure, visitor) == 4


async def test_exposures_and_clicks_are_exported_and_erased_with_the_visitor(db: Database) -> None:
    visitor = await _visitor(db)
    async with db.session(visitor.destination_id) as session:
        history = await service.history(session, visitor.id, NOW)
        await service.record(session, visitor, [_item("offer:b", True)], history, NOW)
        await service.record_click(session, visitor, "offer:b", PARTNER, NOW)
        await session.commit()
    async with db.session(visitor.destination_id) as session:
        document = await rights.export_visitor(session, visitor, Settings())
    assert document["exposures"] == [
        {"item": "offer:b", "kind": "offer", "section": "today", "sponsored": True,
         "shown_at": "2026-07-14T10:00:00Z"}
    ]  # fmt: skip
    assert document["clicks"] == [{"item": "offer:b", "clicked_at": "2026-07-14T10:00:00Z"}]
    async with db.session(visitor.destination_id) as session:
        await rights.erase_visitor(session, visitor, by="visitor")
        await session.commit()
    assert await _count(db, Exposure, visitor) == 0
    assert await _count(db, Click, visitor) == 0


async def test_exposures_are_rolled_up_anonymously_after_the_stay(db: Database) -> None:
    stay_end = date(2026, 7, 15)
    visitor = await _visitor(db, stay_start=date(2026, 7, 12), stay_end=stay_end)
    async with db.session(visitor.destination_id) as session:
        items = [_item("offer:b", True), _item("place:a")]
        await service.record(session, visitor, items, service.History(frozenset(), ()), NOW)
        await service.record_click(session, visitor, "offer:b", PARTNER, NOW)
        await session.commit()
    settings = Settings()
    end_of_stay = datetime(2026, 7, 16, tzinfo=UTC)
    # Still inside retention after the stay: nothing moves.
    just_before = end_of_stay + timedelta(days=settings.retention_days_after_stay)
    assert await jobs.roll_up_exposures(db, settings, now=just_before) == 0
    assert await _count(db, Exposure, visitor) == 2
    moved = await jobs.roll_up_exposures(db, settings, now=just_before + timedelta(seconds=1))
    assert moved == 3
    assert await _count(db, Exposure, visitor) == 0
    assert await _count(db, Click, visitor) == 0
    async with db.session(system=True) as session:
        rows = (
            await session.scalars(
                select(ExposureRollup)
                .where(col(ExposureRollup.destination_id) == visitor.destination_id)
                .order_by(col(ExposureRollup.item_id))
            )
        ).all()
    assert [(r.day, r.item_id, r.partner_id, r.shown, r.clicked) for r in rows] == [
        (NOW.date(), "offer:b", uuid.UUID(PARTNER), 1, 1),
        (NOW.date(), "place:a", None, 1, 0),
    ]
    # Idempotent: a second run finds nothing more.
    assert await jobs.roll_up_exposures(db, settings, now=just_before + timedelta(days=1)) == 0


async def test_covisitation_counts_consenting_visitors_only_and_pairs_of_five(
    db: Database,
) -> None:
    install()
    async with db.session(system=True) as session:
        slug = f"covis-{uuid.uuid4().hex[:8]}"
        destination = await destinations.create_destination(session, slug, "Covis")
        zoo = await destinations.add_site(session, destination.id, "zoo", "Zoo")
        spa = await destinations.add_site(session, destination.id, "spa", "Spa")
        ski = await destinations.add_site(session, destination.id, "ski", "Ski")
        everyone = []
        for n in range(7):
            consents = ["personalisation"] if n < 5 else []
            enrolled = await visitors.enrol(
                session, destination.id, consents=consents, at=NOW - timedelta(days=10)
            )
            everyone.append(enrolled.visitor)
        # The fifth withdraws at the very instant of a new grant: the withdrawal wins.
        tie = NOW - timedelta(days=1)
        await visitors.record_consent(session, everyone[4], "personalisation", True, at=tie)
        await visitors.record_consent(session, everyone[4], "personalisation", False, at=tie)
        # Everyone went to the zoo and the spa; only four went skiing too: below the minimum
        # support.
        visited = [(v, site) for v in everyone for site in (zoo, spa)]
        visited += [(v, ski) for v in everyone[:4]]
        for visitor, site in visited:
            session.add(
                Visit(
                    destination_id=destination.id,
                    visitor_id=visitor.id,
                    site_id=site.id,
                    first_seen_at=NOW - timedelta(days=2),
                    last_seen_at=NOW - timedelta(days=2),
                )
            )
        await session.commit()
    async with db.session(system=True) as session:
        assert await covisitation.compute(session, destination.id, NOW) == 4
        await session.commit()
    # Four consenting visitors: no pair reaches 5.
    async with db.session(destination.id) as session:
        covisitation.KEPT.forget()
        assert await covisitation.scores(session, destination.id) == {}
    async with db.session(system=True) as session:
        await visitors.record_consent(session, everyone[5], "personalisation", True, at=NOW)
        assert await covisitation.compute(session, destination.id, NOW) == 5
        await session.commit()
    async with db.session(destination.id) as session:
        covisitation.KEPT.forget()
        table = await covisitation.scores(session, destination.id)
    assert table == {str(zoo.id): {str(spa.id): 1.0}, str(spa.id): {str(zoo.id): 1.0}}
