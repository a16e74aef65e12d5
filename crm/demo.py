"""The demo destination, modelled on Amnéville-les-Thermes (Moselle).

Sites are real venues of the Bois de Coulange leisure area with coordinates rounded to about
100 m; opening hours are plausible, not authoritative. Visitors and passes are invented.
``seed`` is idempotent: the destination is created once; every call issues fresh gateway and
roadbook tokens (revoking the previous ones) because secrets are shown once and never stored.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core import hooks
from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.core.vocabulary import eid_identity, uid_identity
from crm.destinations import service as destinations_service
from crm.destinations.models import Site
from crm.gateways import service as gateways_service
from crm.gateways.models import Gateway
from crm.passes import service as passes_service
from crm.passes.eid import refresh_eid_windows
from crm.passes.jobs import identity_of
from crm.passes.models import Device
from crm.staff import service as staff_service
from crm.staff.models import StaffUser
from crm.visitors import service as visitors_service
from crm.visitors.models import Visitor

DESTINATION_SLUG = "amneville"
# Pages served on this machine may embed the demo's roadbook widget (docs/widget.md).
EMBED_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*"]
# A namespace for the demo's UID card stock (any vendor's namespace is accepted).
PASS_NAMESPACE = "ba11ce0000000000a3e7"  # noqa: S105 - an identifier, not a secret
# The demo's office account (admin); its password is new at every seed, printed once.
OFFICE_EMAIL = "office@amneville.example"
OFFICE_NAME = "Office de tourisme (démo)"

_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(*slots: str, days: tuple[str, ...] = _WEEK) -> dict[str, list[list[str]]]:
    """A site's ``opening_hours``: the same ``"HH:MM-HH:MM"`` slots on each of ``days``."""
    return {day: [slot.split("-") for slot in slots] for day in days}


SITES: list[dict[str, Any]] = [
    {
        "slug": "zoo",
        "name": "Zoo d'Amnéville",
        "kind": "zoo",
        "latitude": 49.2567,
        "longitude": 6.1183,
        "wishes": ["family", "nature"],
        "opening_hours": _hours("09:30-18:30"),
    },
    {
        "slug": "thermapolis",
        "name": "Thermapolis",
        "kind": "spa",
        "latitude": 49.2590,
        "longitude": 6.1268,
        "wishes": ["wellness"],
        "opening_hours": _hours("10:00-22:00"),
    },
    {
        "slug": "villa-pompei",
        "name": "Villa Pompéi",
        "kind": "spa",
        "latitude": 49.2596,
        "longitude": 6.1245,
        "wishes": ["wellness"],
        "opening_hours": _hours("10:00-21:00"),
    },
    {
        "slug": "snowhall",
        "name": "Snowhall",
        "kind": "ski-slope",
        "latitude": 49.2611,
        "longitude": 6.1352,
        "wishes": ["sport", "family"],
        "opening_hours": _hours("10:00-23:00"),
    },
    {
        "slug": "galaxie",
        "name": "Galaxie Amnéville",
        "kind": "concert-hall",
        "latitude": 49.2547,
        "longitude": 6.1398,
        "wishes": ["nightlife", "culture"],
        "opening_hours": _hours("19:00-23:59", days=("fri", "sat")),
    },
    {
        "slug": "casino",
        "name": "Casino d'Amnéville",
        "kind": "casino",
        "latitude": 49.2586,
        "longitude": 6.1281,
        "wishes": ["nightlife"],
        "opening_hours": _hours("10:00-03:00"),
    },
    {
        "slug": "golf",
        "name": "Golf d'Amnéville",
        "kind": "golf",
        "latitude": 49.2640,
        "longitude": 6.1215,
        "wishes": ["sport", "nature"],
        "opening_hours": _hours("08:00-19:00"),
    },
    {
        "slug": "brasserie-du-lac",
        "name": "Brasserie du Lac",
        "kind": "restaurant",
        "latitude": 49.2575,
        "longitude": 6.1300,
        "wishes": ["gastronomy"],
        "opening_hours": _hours("11:30-14:30", "18:30-22:30"),
    },
    {
        "slug": "table-des-thermes",
        "name": "La Table des Thermes",
        "kind": "restaurant",
        "latitude": 49.2593,
        "longitude": 6.1259,
        "wishes": ["gastronomy", "wellness"],
        "opening_hours": _hours("12:00-14:00", "19:00-21:30", days=_WEEK[1:]),
    },
    {
        "slug": "hotel-diane",
        "name": "Hôtel Diane",
        "kind": "hotel",
        "latitude": 49.2582,
        "longitude": 6.1232,
        "wishes": ["wellness"],
        "opening_hours": _hours("00:00-23:59"),
    },
    {
        "slug": "hotel-du-bois",
        "name": "Hôtel du Bois de Coulange",
        "kind": "hotel",
        "latitude": 49.2603,
        "longitude": 6.1302,
        "wishes": ["nature"],
        "opening_hours": _hours("00:00-23:59"),
    },
]

# One gateway at each of the busiest sites.
GATEWAYS = {
    "zoo-1": "zoo",
    "thermapolis-1": "thermapolis",
    "snowhall-1": "snowhall",
    "galaxie-1": "galaxie",
    "brasserie-1": "brasserie-du-lac",
}

VISITORS: list[dict[str, Any]] = [
    {
        "name": "Léa",
        "language": "fr",
        "wishes": ["wellness", "family"],
        "consents": ["proximity", "personalisation"],
        "instance": "000000000001",
    },
    {
        "name": "Tom",
        "language": "en",
        "wishes": ["sport", "nightlife"],
        "consents": ["proximity", "personalisation"],
        "instance": "000000000002",
    },
    {
        "name": "Anke",
        "language": "de",
        "wishes": ["nature", "gastronomy"],
        "consents": ["proximity", "personalisation"],
        # A rotating EID pass, the default for new card stock (docs/architecture.md).
        "eid_k": 10,
    },
    {
        "name": "Daan",
        "language": "nl",
        "wishes": ["family", "culture"],
        "consents": ["proximity", "personalisation"],
        "instance": "000000000004",
    },
    # No proximity consent: the CRM keeps only anonymous counts of this pass.
    {
        "name": "Marc",
        "language": "fr",
        "wishes": ["gastronomy"],
        "consents": ["personalisation"],
        "instance": "000000000005",
    },
]


@dataclass
class DemoSeed:
    """What ``seed`` made or refreshed: secrets the demo needs, shown once."""

    destination: Destination
    sites: dict[str, Site]
    gateway_tokens: dict[str, str] = field(default_factory=dict)
    roadbooks: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (language, token)
    passes: list[dict[str, str]] = field(default_factory=list)
    office_account: tuple[str, str] = ("", "")  # (e-mail, password)


async def seed(session: AsyncSession, server_key: bytes) -> DemoSeed:
    """Create the demo destination if needed and issue fresh demo secrets. ``session`` is system.

    ``server_key`` seals the EID pass's identity key, as for any EID pass.
    """
    destination = await destinations_service.destination_by_slug(session, DESTINATION_SLUG)
    created = destination is None
    if destination is None:
        destination = await destinations_service.create_destination(
            session, DESTINATION_SLUG, "Amnéville-les-Thermes"
        )
        for site in SITES:
            await destinations_service.add_site(session, destination.id, **site)
    # Also on a demo database seeded before the widget existed.
    missing = [origin for origin in EMBED_ORIGINS if origin not in destination.embed_origins]
    if missing:
        destination.embed_origins = [*destination.embed_origins, *missing]
        session.add(destination)
    sites = {s.slug: s for s in await destinations_service.list_sites(session, destination.id)}
    result = DemoSeed(destination=destination, sites=sites)
    for name, site_slug in GATEWAYS.items():
        gateway = await session.get(Gateway, name)
        if gateway is None:
            _, token = await gateways_service.add_gateway(session, name, sites[site_slug])
        else:
            await gateways_service.revoke_tokens(session, gateway.id)
            token = await gateways_service.issue_token(session, gateway)
        result.gateway_tokens[name] = token
    for person in VISITORS:
        token, card = await _demo_visitor(session, destination.id, person, server_key)
        result.roadbooks[person["name"]] = (person["language"], token)
        result.passes.append(card)
    result.office_account = await _office_account(session, destination.id)
    if created:
        await hooks.run(hooks.DEMO_SEED, session, destination, sites)
    # The EID pass must resolve at once, not at the scheduler's next EID refresh.
    await refresh_eid_windows(
        session, destination.id, utcnow(), lambda device: identity_of([server_key], device)
    )
    await session.flush()
    return result


async def _office_account(session: AsyncSession, destination_id: uuid.UUID) -> tuple[str, str]:
    """The demo's admin account, created once; a fresh password at every seed (its earlier
    sessions end), since only its hash is kept."""
    password = secrets.token_urlsafe(12)
    user = (
        await session.execute(
            select(StaffUser).where(
                col(StaffUser.destination_id) == destination_id,
                col(StaffUser.email) == OFFICE_EMAIL,
            )
        )
    ).scalar_one_or_none()
    if user is None:
        await staff_service.add_staff(
            session,
            destination_id,
            email=OFFICE_EMAIL,
            name=OFFICE_NAME,
            role="admin",
            password=password,
        )
    else:
        await staff_service.update_staff(session, user.id, password=password)
    return OFFICE_EMAIL, password


def _demo_eid_key(name: str) -> bytes:
    """A stable identity key per demo visitor, so a re-seeded demo finds its pass again."""
    return hashlib.sha256(f"balise-demo-eid:{name}".encode()).digest()[:16]


async def _demo_visitor(
    session: AsyncSession, destination_id: uuid.UUID, person: dict[str, Any], server_key: bytes
) -> tuple[str, dict[str, Any]]:
    """Enrol a demo visitor with their pass once; later runs reissue their roadbook token."""
    if "eid_k" in person:
        key = _demo_eid_key(person["name"])
        identity = eid_identity(key)
        card: dict[str, Any] = {
            "type": "eddystone-eid",
            "identity_key": key.hex(),
            "k": person["eid_k"],
        }
    else:
        identity = uid_identity(PASS_NAMESPACE, person["instance"])
        card = {
            "type": "eddystone-uid",
            "namespace": PASS_NAMESPACE,
            "instance": person["instance"],
        }
    device = (
        await session.execute(
            select(Device).where(
                col(Device.destination_id) == destination_id, col(Device.identity) == identity
            )
        )
    ).scalar_one_or_none()
    if device is not None and device.visitor_id is not None:
        visitor = await session.get(Visitor, device.visitor_id)
        assert visitor is not None
        return await visitors_service.reissue_roadbook_token(session, visitor), card
    enrolment = await visitors_service.enrol(
        session,
        destination_id,
        language=person["language"],
        wishes=person["wishes"],
        consents=person["consents"],
        pass_uid=None if "eid_k" in person else f"{PASS_NAMESPACE}:{person['instance']}",
        by="demo",
    )
    if device is not None:
        device.visitor_id = enrolment.visitor.id
    elif "eid_k" in person:
        await passes_service.register_eid_pass(
            session,
            destination_id,
            server_key,
            rotation_exponent=person["eid_k"],
            identity_key=key,
            visitor_id=enrolment.visitor.id,
        )
    return enrolment.roadbook_token, card
