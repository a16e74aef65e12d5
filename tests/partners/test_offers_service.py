"""Offers through the service: every field checked (a message per field, nothing written),
changes listed, and live_offers: approved and valid now, partner name, quota left, one query."""

from __future__ import annotations

import math
import sys
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations import service as destinations
from crm.visitors import service as visitors
from partners.offers import redemption, service
from partners.offers.models import Offer

sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
sys.path.insert(0, str(Path(__file__).parent))
from offers_support import december_friday_evenings, fields, make_offer
from office_support import Office


async def _problems(db: Database, office: Office, **changes: Any) -> dict[str, str]:
    async with db.session(office.destination_id) as session:
        with pytest.raises(service.OfferInvalid) as refused:
            await service.create_offer(session, office.destination_id, fields(office, **changes))
        count = await session.scalar(select(func.count()).select_from(Offer))
    assert count == 1  # only the seeded draft: nothing written
    return {name: problem.key for name, problem in refused.value.problems.items()}


async def test_a_valid_offer_is_written_as_a_draft_with_its_columns(
    db: Database, office: Office
) -> None:
    schedule = {"rules": [{"days": ["fri", "sat"], "opens": "19:00", "closes": "23:00"}]}
    offer = await make_offer(
        db,
        office,
        status="draft",
        site_ids=(office.site_id, office.site_id),
        summary={"fr": "  Deux adultes, deux enfants.  ", "de": ""},
        image={"url": "https://img.example.org/zoo.jpg", "credit": "Zoo"},
        url="https://zoo.example.org/famille",
        schedule=schedule,
        wishes=("family", "nature"),
        with_children=True,
        languages=("nl", "fr"),
        trigger="at_site",
        cap_per_day=1,
        cap_total=3,
        cap_min_interval_min=90,
        quota=50,
        redemption_kind="qr",
        boost=0.25,
    )
    async with db.session(office.destination_id) as session:
        stored = await session.get(Offer, offer.id)
    assert stored is not None
    assert stored.status == "draft" and stored.approved_at is None
    assert stored.site_ids == [str(office.site_id)]
    assert stored.summary == {"fr": "Deux adultes, deux enfants."}
    assert stored.wishes == ["nature", "family"]  # the vocabulary's order
    assert stored.languages == ["fr", "nl"]
    assert stored.schedule == schedule
    assert (stored.cap_per_day, stored.cap_total, stored.cap_min_interval_min) == (1, 3, 90)
    assert (stored.quota, stored.redemption_kind, stored.boost) == (50, "qr", 0.25)
    assert stored.item_id == f"offer:{offer.id}"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": {"fr": "  "}}, {"title": "e_required_title"}),
        ({"title": {"fr": "x" * 201}}, {"title-fr": "e_too_long"}),
        ({"title": {"it": "Biglietto"}}, {"title": "e_choice"}),
        ({"summary": {"nl": "x" * 1001}}, {"summary-nl": "e_too_long"}),
        ({"url": "http://zoo.example.org"}, {"url": "e_url"}),
        ({"image": {"url": "javascript:alert(1)"}}, {"image_url": "e_url"}),
        ({"image": {"url": "", "credit": "Zoo"}}, {"image_credit": "e_credit"}),
        ({"valid_from": None}, {"valid_from": "e_required"}),
        ({"schedule": {"rules": [{"opens": "25:00"}]}}, {"schedule": "e_time"}),
        ({"wishes": ("family", "casino")}, {"wishes": "e_choice"}),
        ({"languages": ("fr", "it")}, {"languages": "e_choice"}),
        ({"trigger": "everywhere"}, {"trigger": "e_choice"}),
        ({"redemption_kind": "coupon"}, {"redemption_kind": "e_choice"}),
        ({"cap_per_day": -1}, {"cap_per_day": "e_count"}),
        ({"cap_total": -2, "quota": -3}, {"cap_total": "e_count", "quota": "e_count"}),
        ({"cap_min_interval_min": -5}, {"cap_min_interval_min": "e_count"}),
        ({"boost": 1.5}, {"boost": "e_boost"}),
        ({"boost": math.nan}, {"boost": "e_boost"}),
        ({"partner_id": None}, {"partner_id": "e_partner"}),
        ({"partner_id": uuid.uuid4()}, {"partner_id": "e_partner"}),
        ({"site_ids": (uuid.uuid4(),)}, {"site_ids": "e_site"}),
    ],
)
async def test_each_bad_field_is_named_and_nothing_is_written(
    db: Database, office: Office, changes: dict[str, Any], expected: dict[str, str]
) -> None:
    assert await _problems(db, office, **changes) == expected


async def test_validity_must_end_after_it_starts(db: Database, office: Office) -> None:
    now = utcnow()
    assert await _problems(db, office, valid_from=now, valid_until=now) == {
        "valid_until": "e_order"
    }
    with pytest.raises(ValueError, match="naive"):
        await _problems(db, office, valid_from=now.replace(tzinfo=None))


async def test_sites_and_partner_of_another_destination_or_partner_are_refused(
    db: Database, office: Office, other: Office
) -> None:
    # Another destination's partner, and this partner with another destination's site.
    assert await _problems(db, office, partner_id=other.partner_id) == {"partner_id": "e_partner"}
    assert await _problems(db, office, site_ids=(other.site_id,)) == {"site_ids": "e_site"}
    async with db.session(office.destination_id) as session:
        spa = await destinations.add_partner(session, office.destination_id, "spa", "Spa")
        await session.commit()
    # The zoo's site is not the spa's; a spa without a site cannot trigger at its site.
    assert await _problems(db, office, partner_id=spa.id, site_ids=(office.site_id,)) == {
        "site_ids": "e_site"
    }
    assert await _problems(db, office, partner_id=spa.id, trigger="nearby") == {
        "trigger": "e_no_site"
    }


async def test_update_lists_the_changed_fields_and_refuses_an_ended_offer(
    db: Database, office: Office
) -> None:
    offer = await make_offer(db, office)
    async with db.session(office.destination_id) as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        same = service.OfferFields.of(row)
        assert await service.update_offer(session, row, same) == []
        changed = await service.update_offer(
            session, row, replace(same, quota=10, title={**same.title, "de": "Familienticket"})
        )
        assert changed == ["title", "quota"]
        assert row.title["de"] == "Familienticket" and row.quota == 10
        with pytest.raises(service.OfferInvalid) as bad:
            await service.update_offer(session, row, replace(same, cap_per_day=-1))
        assert bad.value.problems["cap_per_day"].key == "e_count"
        assert row.cap_per_day is None
        service.transition(row, "ended", by="test")
        with pytest.raises(service.OfferInvalid) as ended:
            await service.update_offer(session, row, replace(same, quota=3))
        assert list(ended.value.problems) == ["status"]


async def test_live_offers_are_the_approved_ones_valid_now_with_quota_left_in_one_query(
    db: Database, office: Office, other: Office
) -> None:
    now = utcnow()
    live = await make_offer(db, office, quota=2, title={"fr": "En cours"})
    unlimited = await make_offer(db, office, title={"fr": "Sans quota"})
    await make_offer(db, office, status="draft", title={"fr": "Brouillon"})
    await make_offer(
        db,
        office,
        title={"fr": "Plus tard"},
        valid_from=now + timedelta(days=1),
        valid_until=now + timedelta(days=2),
    )
    await make_offer(
        db,
        office,
        title={"fr": "Fini"},
        valid_from=now - timedelta(days=3),
        valid_until=now - timedelta(seconds=1),
    )
    await make_offer(db, other, title={"fr": "Ailleurs"})
    paused = await make_offer(db, office, title={"fr": "En pause"})
    async with db.session(office.destination_id) as session:
        row = await session.get(Offer, paused.id)
        assert row is not None
        service.transition(row, "paused", by="test")
        # Two codes for the live offer: one redeemed, one not.
        held = await session.get(Offer, live.id)
        assert held is not None
        first = await redemption.code_for(session, held, office.visitor_ids["a"])
        await redemption.code_for(session, held, office.visitor_ids["b"])
        await redemption.redeem(session, office.destination_id, first.code, "till")
        await session.commit()

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with db.session(office.destination_id) as session:
            offers = await service.live_offers(session, office.destination_id, utcnow())
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert [(o.offer.title["fr"], o.partner_name, o.quota_remaining) for o in offers] == [
        ("En cours", "Zoo d'Amnéville", 1),
        ("Sans quota", "Zoo d'Amnéville", None),
    ]
    assert offers[0].item_id == f"offer:{live.id}" and offers[1].offer.id == unlimited.id
    assert len([s for s in statements if "FROM offer" in s]) == 1
    with pytest.raises(ValueError, match="naive"):
        async with db.session(office.destination_id) as session:
            await service.live_offers(session, office.destination_id, now.replace(tzinfo=None))


async def test_quota_remaining_never_goes_below_zero(db: Database, office: Office) -> None:
    offer = await make_offer(db, office, quota=1)
    async with db.session(office.destination_id) as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        code = await redemption.code_for(session, row, office.visitor_ids["a"])
        await redemption.redeem(session, office.destination_id, code.code, "till")
        row.quota = 0  # the office lowered it after the redemption
        await session.commit()
        [live] = await service.live_offers(session, office.destination_id, utcnow())
    assert live.quota_remaining == 0


async def test_runs_at_reads_validity_and_weekly_hours_in_the_destination_zone(
    db: Database, office: Office
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    offer = await make_offer(db, office, **december_friday_evenings())
    friday_evening = datetime(2026, 12, 4, 19, 30, tzinfo=paris)
    assert service.runs_at(offer, friday_evening, paris)
    assert not service.runs_at(offer, friday_evening - timedelta(hours=1), paris)
    assert not service.runs_at(offer, friday_evening + timedelta(days=1), paris)  # Saturday
    assert not service.runs_at(offer, datetime(2027, 1, 1, 19, 30, tzinfo=paris), paris)
    assert service.LiveOffer(offer, "Zoo", None).schedule is not None


async def test_a_visitor_of_another_destination_gets_no_code(
    db: Database, office: Office, other: Office
) -> None:
    offer = await make_offer(db, office)
    async with db.session(system=True) as session:
        with pytest.raises(ValueError, match="no visitor"):
            await redemption.code_for(session, offer, other.visitor_ids["a"])
        stranger = await visitors.enrol(session, other.destination_id, consents=[])
        with pytest.raises(ValueError, match="no visitor"):
            await redemption.code_for(session, offer, stranger.visitor.id)
