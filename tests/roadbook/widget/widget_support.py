"""A destination for the widget's tests: three places around its zoo, a partner's offer whose
texts hold markup (redeemed with a QR code), the pages allowed to embed it, and a visitor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.models import utcnow
from crm.destinations import service as destinations
from crm.visitors import service as visitors
from partners.offers.models import Offer
from roadbook.content.models import ContentItem

XSS = "<img src=x onerror=alert(1)>"
EMBED_ORIGINS = ["https://www.zootown.example", "http://localhost:*"]


@dataclass(frozen=True)
class Zootown:
    token: str


def _place(
    destination_id: object, slug: str, title: str, lat: float, lon: float, site: str = ""
) -> ContentItem:
    return ContentItem.model_validate(
        {
            "destination_id": destination_id,
            "kind": "place",
            "slug": slug,
            "title": {"fr": title, "en": title, "de": title, "nl": title},
            "summary": {"en": f"About {title}"},
            "latitude": lat,
            "longitude": lon,
            "contact": {"websites": [site or f"https://{slug}.example/"]},
        }
    )


async def seed_zootown(session: AsyncSession) -> Zootown:
    """``zootown`` (embeddable from ``EMBED_ORIGINS``) and its site ``zoo``; commits."""
    now = utcnow()
    zootown = await destinations.create_destination(session, "zootown", "Zootown")
    zootown.embed_origins = list(EMBED_ORIGINS)
    await destinations.add_site(session, zootown.id, "zoo", "Zoo", latitude=49.26, longitude=6.14)
    thermes = await destinations.add_partner(session, zootown.id, "thermes", f"Thermes {XSS}")
    spa = await destinations.add_site(
        session,
        zootown.id,
        "spa",
        "Spa",
        partner_id=thermes.id,
        latitude=49.262,
        longitude=6.142,
    )
    session.add_all(
        [
            _place(zootown.id, "zoo-park", "Zoo d'Amnéville", 49.2601, 6.1401),
            _place(zootown.id, "snowhall", "Snowhall", 49.2620, 6.1450),
            _place(zootown.id, "villa", "Villa Pompéi", 49.2590, 6.1380),
            # A website no page should follow.
            _place(zootown.id, "trap", "Trap", 49.2605, 6.1405, "javascript:alert(1)"),
            Offer.model_validate(
                {
                    "destination_id": zootown.id,
                    "partner_id": thermes.id,
                    "site_ids": [str(spa.id)],
                    "title": {"en": f"Spa evening {XSS}", "fr": f"Soirée spa {XSS}"},
                    "summary": {"en": XSS},
                    "url": "https://thermes.example/evening",
                    "valid_from": now - timedelta(days=1),
                    "valid_until": now + timedelta(days=30),
                    "status": "approved",
                    "approved_at": now,
                    "redemption_kind": "qr",
                }
            ),
        ]
    )
    lea = await visitors.enrol(
        session, zootown.id, language="fr", wishes=["family"], consents=["personalisation"]
    )
    await session.commit()
    return Zootown(lea.roadbook_token)
