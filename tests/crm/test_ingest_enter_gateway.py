"""The gateway look-up inside the ingest transaction switches to the gateway's tenant (RLS on)."""

from __future__ import annotations

import gzip

import pytest
from fastapi.security import HTTPAuthorizationCredentials
from ingest_support import GZIP_JSON, app_settings, auth, make_client, seed_tenant
from sqlalchemy import text

from crm.core.db import APP_ROLE, Database
from crm.core.errors import Problem
from crm.gateways.deps import enter_as_gateway


async def test_enter_as_gateway_switches_role_and_tenant(db: Database) -> None:
    tenant = await seed_tenant(db, "enter-a", sites={"spa": ["gw-a"]}, visitors_={})
    other = await seed_tenant(db, "enter-b", sites={"spa": ["gw-b"]}, visitors_={})
    creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=tenant.tokens["gw-a"])
    async with db.session(system=True) as session, session.begin():
        gateway = await enter_as_gateway(session, creds)
        assert gateway.gateway_id == "gw-a"
        assert gateway.destination_id == tenant.destination_id
        role, dest = (
            await session.execute(
                text("SELECT current_user, current_setting('app.destination_id')")
            )
        ).one()
        assert (role, dest) == (APP_ROLE, str(tenant.destination_id))
        # RLS applies: the other destination's gateway is invisible
        seen = (await session.execute(text("SELECT id FROM gateway ORDER BY id"))).scalars()
        assert list(seen) == ["gw-a"]
    assert other.destination_id != tenant.destination_id


async def test_enter_as_gateway_bad_token_switches_nothing(db: Database) -> None:
    await seed_tenant(db, "enter-c", sites={"spa": ["gw-c"]}, visitors_={})
    creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials="not-a-token")
    async with db.session(system=True) as session, session.begin():
        with pytest.raises(Problem) as caught:
            await enter_as_gateway(session, creds)
        assert caught.value.status == 401
        role = (await session.execute(text("SELECT current_setting('role')"))).scalar_one()
        assert role == "none"
    with pytest.raises(Problem):
        async with db.session(system=True) as session, session.begin():
            await enter_as_gateway(session, None)


async def test_a_bad_token_is_401_whatever_the_body(db: Database) -> None:
    tenant = await seed_tenant(db, "enter-d", sites={"spa": ["gw-d"]}, visitors_={})
    async with make_client(db, app_settings(ingest_max_body_bytes=1_000)) as client:
        for body in (b"not gzip", gzip.compress(b"x" * 5_000), gzip.compress(b"{")):
            for headers in ({}, {"Authorization": "Bearer nope"}):
                r = await client.post(
                    "/api/v1/gateway/events", content=body, headers={**GZIP_JSON, **headers}
                )
                assert r.status_code == 401, (body, headers, r.text)
                assert r.headers["www-authenticate"] == "Bearer"
        # with the right token the body's own error shows
        good = {**GZIP_JSON, **auth(tenant, "gw-d")}
        statuses = []
        for body in (b"not gzip", gzip.compress(b"x" * 5_000), gzip.compress(b"{")):
            r = await client.post("/api/v1/gateway/events", content=body, headers=good)
            statuses.append(r.status_code)
        assert statuses == [400, 413, 400]
