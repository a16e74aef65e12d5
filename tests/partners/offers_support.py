"""Offer test helpers: a valid offer of a seeded destination's partner, written through the
service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from office_support import Office

from crm.core.db import Database
from crm.core.models import utcnow
from partners.offers import service
from partners.offers.models import Offer
from partners.offers.service import OfferFields


def fields(office: Office, **changes: Any) -> OfferFields:
    """A valid offer of ``office``'s partner, valid from a day ago for 30 days, with changes."""
    now = utcnow()
    values: dict[str, Any] = {
        "partner_id": office.partner_id,
        "title": {"fr": "Billet famille -15 %", "en": "Family ticket -15%"},
        "valid_from": now - timedelta(days=1),
        "valid_until": now + timedelta(days=30),
        **changes,
    }
    return OfferFields(**values)


def december_friday_evenings() -> dict[str, Any]:
    """An offer's dates and hours: December 2026, Fridays 19:00-22:00 in the destination's zone
    (Paris); ``make_offer(db, office, **december_friday_evenings())``."""
    return {
        "valid_from": datetime(2026, 12, 1, tzinfo=UTC),
        "valid_until": datetime(2026, 12, 31, tzinfo=UTC),
        "schedule": {"rules": [{"days": ["fri"], "opens": "19:00", "closes": "22:00"}]},
    }


async def make_offer(
    db: Database,
    office: Office,
    *,
    status: str = "approved",
    at: datetime | None = None,
    **changes: Any,
) -> Offer:
    """An offer written through the service (``status``: draft, submitted or approved)."""
    async with db.session(office.destination_id) as session:
        offer = await service.create_offer(
            session,
            office.destination_id,
            fields(office, **changes),
            status=status,
            by="test",
            at=at,
        )
        await session.commit()
        return offer
