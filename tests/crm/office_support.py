"""Office test helpers: a destination with staff of every role, a partner, a site, a gateway and
two visitors, each principal with a ready bearer secret (no argon2 cost per test)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

from crm.core import credentials
from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations import service as destinations
from crm.gateways import service as gateways
from crm.passes import service as passes
from crm.staff import service as staff_service
from crm.staff.models import StaffUser
from crm.visitors import service as visitors
from partners.offers.models import Offer
from roadbook.content.models import ContentItem

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "marketing", "desk")


@cache
def password_hash() -> str:
    """One argon2 hash of ``PASSWORD``, shared by every seeded account."""
    return staff_service.hash_password(PASSWORD)


@dataclass
class Office:
    """One seeded destination and the secrets of everyone who may call its API."""

    slug: str
    destination_id: uuid.UUID
    partner_id: uuid.UUID
    site_id: uuid.UUID
    gateway_id: str
    gateway_token: str
    pass_id: uuid.UUID | None = None  # visitor A's UID pass
    item_id: uuid.UUID | None = None  # a catalogue item (the office's own)
    offer_id: uuid.UUID | None = None  # a partner offer (a draft)
    staff_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # role → id
    emails: dict[str, str] = field(default_factory=dict)  # role → e-mail
    staff_tokens: dict[str, str] = field(default_factory=dict)  # role → bearer token
    visitor_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    roadbook_tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.staff_tokens[role]}"}

    def ids(self) -> set[str]:
        """Every id of this destination a response could leak."""
        return {
            str(self.destination_id),
            str(self.partner_id),
            str(self.site_id),
            str(self.pass_id),
            str(self.item_id),
            str(self.offer_id),
            self.gateway_id,
            *(str(i) for i in self.staff_ids.values()),
            *(str(i) for i in self.visitor_ids.values()),
        }


async def seed_office(db: Database, slug: str | None = None) -> Office:
    """A destination with one partner, one site, one gateway, two visitors, three staff, a
    catalogue item and a draft offer."""
    slug = slug or f"dest-{uuid.uuid4().hex[:8]}"
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, slug, slug.title())
        partner = await destinations.add_partner(
            session, destination.id, f"zoo-{slug}", "Zoo d'Amnéville"
        )
        site = await destinations.add_site(
            session,
            destination.id,
            "zoo",
            "Zoo",
            partner_id=partner.id,
            latitude=49.26,
            longitude=6.14,
            opening_hours={"mon": [["09:00", "18:00"]]},
        )
        gateway, gateway_token = await gateways.add_gateway(session, f"gw-{slug}", site)
        office = Office(
            slug=slug,
            destination_id=destination.id,
            partner_id=partner.id,
            site_id=site.id,
            gateway_id=gateway.id,
            gateway_token=gateway_token,
        )
        for name in ("a", "b"):
            enrolment = await visitors.enrol(
                session, destination.id, consents=["proximity", "personalisation"]
            )
            office.visitor_ids[name] = enrolment.visitor.id
            office.roadbook_tokens[name] = enrolment.roadbook_token
        card = await passes.register_uid_pass(
            session, destination.id, "a1b2c3d4e5f60718293a", uuid.uuid4().hex[:12]
        )
        await visitors.assign_pass(session, card.id, office.visitor_ids["a"])
        office.pass_id = card.id
        item = ContentItem(
            destination_id=destination.id,
            kind="place",
            slug="lac",
            title={"fr": "Le lac"},
            site_id=site.id,
            contact={"websites": ["https://lac.example/"]},
        )
        session.add(item)
        office.item_id = item.id
        offer = Offer(
            destination_id=destination.id,
            partner_id=partner.id,
            title={"fr": "Entrée -10 %"},
            valid_from=utcnow() - timedelta(days=1),
            valid_until=utcnow() + timedelta(days=30),
        )
        session.add(offer)
        office.offer_id = offer.id
        for role in ROLES:
            user = StaffUser(
                destination_id=destination.id,
                email=f"{role}@{slug}.example",
                name=role.title(),
                role=role,
                password_hash=password_hash(),
            )
            session.add(user)
            await session.flush()
            token = await credentials.issue(
                session,
                "staff",
                str(user.id),
                destination.id,
                expires_at=utcnow() + timedelta(hours=1),
            )
            office.staff_ids[role] = user.id
            office.emails[role] = user.email
            office.staff_tokens[role] = token
        await session.commit()
    return office
