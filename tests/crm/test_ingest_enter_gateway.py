"""The gateway look-up inside the ingest transaction switches to the gateway's tenant (RLS on)."""

from __future__ import annotations

import pytest
from fastapi.security import HTTPAuthorizationCredentials
from ingest_support import seed_tenant
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
