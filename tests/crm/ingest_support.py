"""Ingest test helpers: a seeded destination (sites, gateways, visitors with passes) and batches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx2

from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.gateways import service as gateways
from crm.ingest.schemas import rfc3339
from crm.visitors import service as visitors

NAMESPACE = "a1b2c3d4e5f60718293a"
# The usual test destination's sites and their gateways: the spa has two, the zoo one.
SPA_AND_ZOO = {"spa": ["spa-gw1", "spa-gw2"], "zoo": ["zoo-gw1"]}


class FakeClock:
    """The seconds a rate limit's bucket reads (crm.core.ratelimit), moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Tenant:
    """One destination with sites, gateways (name → token) and visitors (name → ids)."""

    destination_id: uuid.UUID
    sites: dict[str, uuid.UUID] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    visitors: dict[str, uuid.UUID] = field(default_factory=dict)
    passes: dict[str, str] = field(default_factory=dict)  # visitor name → instance hex


async def seed_tenant(
    db: Database,
    slug: str,
    *,
    sites: dict[str, list[str]],
    visitors_: dict[str, list[str]],
    instance_base: int = 1,
    fresh: bool = False,
) -> Tenant:
    """Create a destination; ``sites``: slug → gateway names; ``visitors_``: name → consents.

    ``fresh``: the slug and the gateway names get a random suffix, names no other test holds.
    """
    if fresh:
        suffix = uuid.uuid4().hex[:6]
        slug = f"{slug}-{suffix}"
        sites = {site: [f"{name}-{suffix}" for name in names] for site, names in sites.items()}
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, slug, slug.title())
        tenant = Tenant(destination.id)
        for site_slug, names in sites.items():
            site = await destinations.add_site(session, destination.id, site_slug, site_slug)
            tenant.sites[site_slug] = site.id
            for name in names:
                _, token = await gateways.add_gateway(session, name, site)
                tenant.tokens[name] = token
        earlier = utcnow() - timedelta(days=2)
        for i, (name, consents) in enumerate(visitors_.items()):
            instance = f"{instance_base + i:012x}"
            enrolment = await visitors.enrol(
                session,
                destination.id,
                consents=consents,
                pass_uid=f"{NAMESPACE}:{instance}",
                at=earlier,
            )
            tenant.visitors[name] = enrolment.visitor.id
            tenant.passes[name] = instance
        await session.commit()
    return tenant


async def roadbook_token(db: Database, tenant: Tenant, name: str) -> str:
    """A roadbook token for the visitor ``name`` (enrolment gave one, seed_tenant keeps none)."""
    from crm.core.credentials import Credential, new_token, token_hash

    token = new_token()
    async with db.session(system=True) as session:
        session.add(
            Credential(
                token_hash=token_hash(token),
                kind="roadbook",
                subject=str(tenant.visitors[name]),
                destination_id=tenant.destination_id,
            )
        )
        await session.commit()
    return token


def uid_event(
    instance: str,
    observed_at: datetime,
    kind: str = "dwell",
    *,
    event_id: uuid.UUID | None = None,
    seq: int = 1,
    dwell_s: float = 0,
    namespace: str = NAMESPACE,
) -> dict[str, Any]:
    """One wire event of a UID pass."""
    return {
        "id": str(event_id or uuid.uuid4()),
        "seq": seq,
        "kind": kind,
        "observed_at": rfc3339(observed_at),
        "device": {"type": "eddystone-uid", "namespace": namespace, "instance": instance},
        "rssi": -67.5,
        "distance_m": 2.1,
        "zone": "near",
        "dwell_s": dwell_s,
    }


def batch(
    gateway_id: str, events: list[dict[str, Any]], sent_at: datetime | None = None
) -> dict[str, Any]:
    """A wire batch."""
    return {"gateway_id": gateway_id, "sent_at": rfc3339(sent_at or utcnow()), "events": events}


def app_settings(**overrides: Any) -> Settings:
    """Settings for an app under test (no scheduler, no .env)."""
    return Settings(_env_file=None, scheduler_enabled=False, **overrides)  # type: ignore[call-arg]


async def follow_visits(db: Database) -> int:
    """Run the visits follower once, as the scheduler does every second (tests run none)."""
    from crm.visits.follower import follow

    return await follow(db, app_settings())


def make_client(db: Database, settings: Settings | None = None) -> httpx2.AsyncClient:
    """An HTTP client on the real app (rollback mode: the app's sessions are savepoints)."""
    from crm.main import create_app

    app = create_app(settings or app_settings(), db=db)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test")


def gateway_names(tenant: Tenant, prefix: str) -> list[str]:
    """The tenant's gateway names starting with ``prefix`` (e.g. "spa-gw1")."""
    return sorted(name for name in tenant.tokens if name.startswith(prefix))


def auth(tenant: Tenant, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.tokens[name]}"}


EVENTS_URL = "/api/v1/gateway/events"
# What a gateway sends with a compressed upload (beside its token).
GZIP_JSON = {"Content-Type": "application/json", "Content-Encoding": "gzip"}


async def send(
    client: httpx2.AsyncClient,
    tenant: Tenant,
    gateway: str,
    events: list[Any],
    sent_at: datetime | None = None,
) -> httpx2.Response:
    """POST ``events`` (junk too, for the tests of refusals) as one batch of ``gateway``, with
    its token."""
    return await client.post(
        EVENTS_URL, json=batch(gateway, events, sent_at), headers=auth(tenant, gateway)
    )
