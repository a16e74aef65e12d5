"""The demo's offers: a dozen from the venues' partners, in four languages, varied targeting,
triggers, caps and redemption kinds, one small quota; all approved but one draft and one paused;
seeding the demo again adds none."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlmodel import col

from crm import demo
from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations.models import Partner, Site
from crm.main import install
from partners.offers import service
from partners.offers.models import Offer


async def test_the_demo_seeds_a_dozen_offers_of_its_partners(db: Database) -> None:
    install()
    async with db.session(system=True) as session:
        seeded = await demo.seed(session, bytes(32))
        await demo.seed(session, bytes(32))  # a second run adds nothing
        destination = seeded.destination.id
        offers = (
            (await session.execute(select(Offer).where(col(Offer.destination_id) == destination)))
            .scalars()
            .all()
        )
        partners = {
            p.id: p
            for p in (
                await session.execute(
                    select(Partner).where(col(Partner.destination_id) == destination)
                )
            ).scalars()
        }
        sites = (
            (await session.execute(select(Site).where(col(Site.destination_id) == destination)))
            .scalars()
            .all()
        )
        live = await service.live_offers(session, destination, utcnow())
    assert len(offers) == 12
    assert Counter(o.status for o in offers) == {"approved": 10, "draft": 1, "paused": 1}
    # Every venue is run by its own partner, named after it; every offer is at its partner's site.
    assert all(site.partner_id is not None for site in sites)
    assert {partners[s.partner_id].name for s in sites if s.partner_id} == {s.name for s in sites}
    by_id = {str(site.id): site for site in sites}
    for offer in offers:
        assert set(offer.title) == set(offer.summary) == {"fr", "en", "de", "nl"}
        assert [by_id[s].partner_id for s in offer.site_ids] == [offer.partner_id]
        assert offer.valid_from <= utcnow() < offer.valid_until
    assert {o.trigger for o in offers} == {"at_site", "nearby", "anywhere"}
    assert {o.redemption_kind for o in offers} == {"code", "qr", "screen"}
    assert {o.with_children for o in offers} == {True, False, None}
    assert any(o.languages for o in offers) and any(o.schedule for o in offers)
    assert any(o.cap_per_day for o in offers) and any(o.cap_min_interval_min for o in offers)
    assert sorted(o.quota for o in offers if o.quota is not None) == [5, 40]
    assert len({o.partner_id for o in offers}) >= 9
    # The roadbook sees the ten approved ones, with their partner's name.
    assert len(live) == 10
    zoo = [o for o in live if o.offer.title["en"] == "Family ticket -15%"]
    assert [(o.partner_name, o.quota_remaining) for o in zoo] == [("Zoo d'Amnéville", None)]
