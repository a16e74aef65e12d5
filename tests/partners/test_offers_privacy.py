"""Redemptions are personal data: in the visitor's export (API and service) and erased with
the visitor; a code already used stays, without its visitor, so the offer's quota still counts
it; erasing again (after a backup is restored) is harmless."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlmodel import col

from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.main import install
from crm.rights import service as rights
from crm.visitors.models import Visitor
from partners.offers import redemption, service
from partners.offers.models import Redemption
from roadbook.exposures.models import Exposure

sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import make_client
from offers_support import make_offer
from office_support import Office


async def _codes(db: Database, office: Office) -> list[tuple[str | None, bool]]:
    async with db.session(system=True) as session:
        rows = await session.execute(
            select(Redemption)
            .where(col(Redemption.destination_id) == office.destination_id)
            .order_by(col(Redemption.id))
        )
        return [
            (str(r.visitor_id) if r.visitor_id else None, r.redeemed_at is not None)
            for r in rows.scalars()
        ]


async def test_codes_are_exported_and_erased_with_the_visitor(db: Database, office: Office) -> None:
    install()
    kept = await make_offer(db, office, quota=2, title={"fr": "Billet famille", "en": "Family"})
    unused = await make_offer(db, office, title={"fr": "Goûter"})
    at = utcnow().replace(microsecond=0)
    a, b = office.visitor_ids["a"], office.visitor_ids["b"]
    async with db.session(office.destination_id) as session:
        used = await redemption.code_for(session, kept, a)
        await redemption.redeem(session, office.destination_id, used.code, "zoo-till", at)
        waiting = await redemption.code_for(session, unused, a)
        await redemption.code_for(session, kept, b)
        await session.commit()
        visitor = await session.get(Visitor, a)
        assert visitor is not None
        document = await rights.export_visitor(session, visitor, Settings())
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert document["redemptions"] == [
        {
            "offer": f"offer:{kept.id}",
            "offer_title": {"fr": "Billet famille", "en": "Family"},
            "code": redemption.display(used.code),
            "issued_at": document["redemptions"][0]["issued_at"],
            "redeemed_at": stamp,
        },
        {
            "offer": f"offer:{unused.id}",
            "offer_title": {"fr": "Goûter"},
            "code": redemption.display(waiting.code),
            "issued_at": document["redemptions"][1]["issued_at"],
            "redeemed_at": None,
        },
    ]
    assert "zoo-till" not in str(document["redemptions"])  # who validated is not the visitor's

    async with db.session(office.destination_id) as session:
        await rights.erase_visitor(session, visitor, by="visitor")
        await session.commit()
    # Visitor A's unused code is gone, the used one stays without a visitor; B's is untouched.
    assert await _codes(db, office) == [(None, True), (str(b), False)]
    async with db.session(office.destination_id) as session:
        [live, _] = await service.live_offers(session, office.destination_id, utcnow())
        assert live.offer.id == kept.id and live.quota_remaining == 1
        # Again, as after restoring a backup: nothing more changes.
        await redemption.erase(session, office.destination_id, [a, b])
        await session.commit()
    assert await _codes(db, office) == [(None, True)]


async def test_the_visitor_s_own_export_carries_their_codes(db: Database, office: Office) -> None:
    offer = await make_offer(db, office)
    async with db.session(office.destination_id) as session:
        issued = await redemption.code_for(session, offer, office.visitor_ids["a"])
        await session.commit()
    async with make_client(db) as client:
        answer = await client.get(f"/r/{office.roadbook_tokens['a']}/export.json")
        other = await client.get(f"/r/{office.roadbook_tokens['b']}/export.json")
    assert answer.status_code == 200, answer.text
    [exported] = answer.json()["redemptions"]
    assert exported["code"] == redemption.display(issued.code)
    assert exported["offer"] == f"offer:{offer.id}"
    assert other.json()["redemptions"] == []


async def test_a_destination_takes_its_codes_and_exposures_along(
    db: Database, office: Office
) -> None:
    """Codes and exposures hold no foreign key to their destination (crm.core.models
    .TenantLeafRow): deleting the destination still deletes them, through their offer and
    visitor, the anonymous used code (no visitor) included."""
    offer = await make_offer(db, office)
    a, b = office.visitor_ids["a"], office.visitor_ids["b"]
    async with db.session(office.destination_id) as session:
        used = await redemption.code_for(session, offer, a)
        await redemption.redeem(session, office.destination_id, used.code, "till", utcnow())
        await redemption.code_for(session, offer, b)
        session.add(
            Exposure(
                destination_id=office.destination_id, visitor_id=b, item_id=offer.item_id,
                kind="offer", section="now", partner_id=offer.partner_id, commercial=True,
            )
        )  # fmt: skip
        await session.commit()
        visitor = await session.get(Visitor, a)
        assert visitor is not None
        await rights.erase_visitor(session, visitor, by="visitor")
        await session.commit()
    assert await _codes(db, office) == [(None, True), (str(b), False)]
    async with db.session(system=True) as session:
        await session.execute(
            delete(Destination).where(col(Destination.id) == office.destination_id)
        )
        left = [
            await session.scalar(
                select(func.count())
                .select_from(table)
                .where(col(table.destination_id) == office.destination_id)
            )
            for table in (Redemption, Exposure)
        ]
    assert left == [0, 0]
