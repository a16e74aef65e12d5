"""Gateway API tokens are checked before the body is read, and failures are limited per address.

A body is an async generator that records whether the app pulled from it: a refused request
must not have read (let alone inflated) a byte of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx2
from ingest_support import (
    GZIP_JSON,
    FakeClock,
    Tenant,
    app_settings,
    auth,
    batch,
    seed_tenant,
    uid_event,
)
from sqlalchemy import text

from crm.core.db import Database
from crm.core.models import utcnow
from crm.main import create_app

URL = "/api/v1/gateway/events"
ATTACKER = ("203.0.113.50", 6000)
ELSEWHERE = ("198.51.100.60", 6000)


class Body:
    """A request body (here: not gzip at all) that says whether anyone read it."""

    def __init__(self, content: bytes = b"\x1f\x8b this is not gzip") -> None:
        self.content = content
        self.read = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield self.content


def bogus(i: int) -> dict[str, str]:
    return {"Authorization": f"Bearer random-guess-{i:04d}-" + "x" * 30}


def limited_app(db: Database, burst: int = 3) -> tuple[Any, FakeClock]:
    """An app allowing ``burst`` failed authentications per address, then one a second."""
    app = create_app(
        app_settings(ratelimit_auth_failures_per_s=1.0, ratelimit_auth_failures_burst=burst),
        db=db,
    )
    clock = FakeClock()
    app.state.gateway_auth.throttle.clock = clock
    return app, clock


def client_at(app: Any, address: tuple[str, int]) -> httpx2.AsyncClient:
    transport = httpx2.ASGITransport(app=app, client=address)
    return httpx2.AsyncClient(transport=transport, base_url="http://test")


def valid_batch(tenant: Tenant, gateway: str) -> dict[str, Any]:
    return batch(gateway, [uid_event(tenant.passes["lea"], utcnow())])


async def test_a_bad_token_is_refused_before_the_body_is_read(db: Database, tenant: Tenant) -> None:
    app, _ = limited_app(db)
    async with client_at(app, ATTACKER) as client:
        body = Body()
        refused = await client.post(URL, content=body, headers={**bogus(0), **GZIP_JSON})
        assert refused.status_code == 401  # not 400: the invalid gzip was never looked at
        assert refused.headers["www-authenticate"] == "Bearer"
        assert not body.read
        missing = Body()
        assert (await client.post(URL, content=missing, headers=GZIP_JSON)).status_code == 401
        assert not missing.read
        # A valid gateway's body is read as before (and a bad gzip is its own 400).
        gw = next(iter(tenant.tokens))
        good = Body()
        answer = await client.post(URL, content=good, headers={**auth(tenant, gw), **GZIP_JSON})
        assert answer.status_code == 400 and good.read


async def test_failed_tokens_end_in_429_per_address_without_reading_anything(
    db: Database, tenant: Tenant
) -> None:
    app, clock = limited_app(db, burst=3)
    spa, zoo = next(iter(tenant.tokens)), list(tenant.tokens)[-1]
    async with client_at(app, ATTACKER) as attacker, client_at(app, ELSEWHERE) as other:
        # A gateway behind the attacker's address, seen valid before the attack...
        before = await attacker.post(URL, json=valid_batch(tenant, spa), headers=auth(tenant, spa))
        assert before.status_code == 200, before.text
        # ...then random tokens on every gateway endpoint count against the address.
        assert (await attacker.post(URL, content=Body(), headers=bogus(1))).status_code == 401
        heartbeat = await attacker.post("/api/v1/gateway/heartbeat", json={}, headers=bogus(2))
        assert heartbeat.status_code == 401
        assert (await attacker.get("/api/v1/gateway/config", headers=bogus(3))).status_code == 401
        for i in range(4, 8):
            body = Body()
            refused = await attacker.post(URL, content=body, headers={**bogus(i), **GZIP_JSON})
            assert refused.status_code == 429
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"] == "1"
            assert not body.read
        config = await attacker.get("/api/v1/gateway/config", headers=bogus(9))
        assert config.status_code == 429
        # The valid gateway at that address is not held back, nor is another address.
        during = await attacker.post(URL, json=valid_batch(tenant, spa), headers=auth(tenant, spa))
        assert during.status_code == 200, during.text
        assert (await other.post(URL, content=Body(), headers=bogus(10))).status_code == 401
        elsewhere = await other.post(URL, json=valid_batch(tenant, zoo), headers=auth(tenant, zoo))
        assert elsewhere.status_code == 200, elsewhere.text
        # One more try a second, no more.
        clock.now += 1.0
        assert (await attacker.post(URL, content=Body(), headers=bogus(11))).status_code == 401
        assert (await attacker.post(URL, content=Body(), headers=bogus(12))).status_code == 429


async def test_a_revoked_token_stops_working_at_once(db: Database, tenant: Tenant) -> None:
    app, _ = limited_app(db)
    gw = next(iter(tenant.tokens))
    async with client_at(app, ATTACKER) as client:
        ok = await client.post(URL, json=valid_batch(tenant, gw), headers=auth(tenant, gw))
        assert ok.status_code == 200  # now trusted: the next posts skip the pre-check
        async with db.session(system=True) as session:
            await session.execute(
                text("UPDATE credential SET revoked_at = now() WHERE subject = :g"), {"g": gw}
            )
            await session.commit()
        body = Body(b"{}")
        revoked = await client.post(URL, content=body, headers=auth(tenant, gw))
        assert revoked.status_code == 401  # the transaction's own check still runs
        again = Body()
        assert (await client.post(URL, content=again, headers=auth(tenant, gw))).status_code == 401
        assert not again.read  # no longer trusted: checked before the body again


async def test_a_revoked_token_failing_elsewhere_is_no_longer_trusted(
    db: Database, tenant: Tenant
) -> None:
    app, _ = limited_app(db)
    gw = next(iter(tenant.tokens))
    async with client_at(app, ATTACKER) as client:
        ok = await client.post(URL, json=valid_batch(tenant, gw), headers=auth(tenant, gw))
        assert ok.status_code == 200
        async with db.session(system=True) as session:
            await session.execute(
                text("UPDATE credential SET revoked_at = now() WHERE subject = :g"), {"g": gw}
            )
            await session.commit()
        config = await client.get("/api/v1/gateway/config", headers=auth(tenant, gw))
        assert config.status_code == 401
        body = Body()
        assert (await client.post(URL, content=body, headers=auth(tenant, gw))).status_code == 401
        assert not body.read


async def test_concurrent_random_tokens_get_only_the_allowed_tries(
    committed_db: Database,
) -> None:
    await seed_tenant(committed_db, "throttle", sites={"spa": ["spa-1"]}, visitors_={})
    app, _ = limited_app(committed_db, burst=5)
    bodies = [Body() for _ in range(40)]
    async with client_at(app, ATTACKER) as attacker:
        responses = await asyncio.gather(
            *(
                attacker.post(URL, content=body, headers={**bogus(i), **GZIP_JSON})
                for i, body in enumerate(bodies)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 5 + [429] * 35, statuses
    assert not any(body.read for body in bodies)
