"""Enrolment by one-time claim code: once only, expiry, lockout, race, and the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta

import httpx2
import psycopg
from cli_support import run_crm
from ingest_support import Tenant, app_settings, make_client
from sqlalchemy import text
from sqlalchemy.engine import make_url

from crm.core.clock import FrozenClock
from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations import service as destinations
from crm.destinations.models import Site
from crm.fleet import service as fleet_service
from tests.conftest import LiveServer

URL = "/api/v1/gateway/enroll"
CODE_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


async def claimed_gateway(db: Database, site_id: uuid.UUID) -> tuple[str, str]:
    """A new gateway registered with a claim code: (name, code)."""
    name = f"claim-{uuid.uuid4().hex[:8]}"
    async with db.session(system=True) as session:
        site = await session.get(Site, site_id)
        assert site is not None
        _, code = await fleet_service.add_gateway_with_claim(session, name, site, utcnow())
        await session.commit()
    return name, code


async def test_claim_code_is_exchanged_once(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant, crm_clock: FrozenClock
) -> None:
    name, code = await claimed_gateway(db, tenant.sites["zoo"])
    assert CODE_SHAPE.match(code), code
    async with db.session(system=True) as session:
        tokens = (
            await session.execute(
                text("SELECT kind, expires_at FROM credential WHERE subject = :g"), {"g": name}
            )
        ).all()
    assert [kind for kind, _ in tokens] == ["claim"]  # no token until the Pi claims it
    assert tokens[0][1] == crm_clock.now() + timedelta(hours=24)

    # typed by a human: lower case, spaces, O for 0 and I/L for 1 are forgiven
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    response = await client.post(URL, json={"code": typed})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["gateway_id"] == name
    assert body["config"]["gateway_id"] == name
    assert body["config"]["config_version"] == 1
    assert body["config_etag"].startswith('"')
    token = body["token"]
    headers = {"Authorization": f"Bearer {token}"}
    config = await client.get("/api/v1/gateway/config", headers=headers)
    assert config.status_code == 200
    assert config.headers["etag"] == body["config_etag"]

    again = await client.post(URL, json={"code": code})
    assert again.status_code == 403
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["reason"] == "used"
    # the token from the first exchange still works
    assert (await client.get("/api/v1/gateway/config", headers=headers)).status_code == 200
    async with db.session(system=True) as session:
        digest = hashlib.sha256(code.encode()).digest()
        found = (
            await session.execute(
                text("SELECT count(*) FROM credential WHERE position(:c in token_hash) > 0"),
                {"c": code.replace("-", "").encode()},
            )
        ).scalar()
        clear = (
            await session.execute(
                text("SELECT count(*) FROM credential WHERE token_hash = :h"), {"h": digest}
            )
        ).scalar()
    assert found == 0 and clear == 0  # only the hash of the canonical form is kept


async def test_expired_and_unknown_codes_are_refused(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    name, code = await claimed_gateway(db, tenant.sites["spa"])
    async with db.session(system=True) as session:
        await session.execute(
            text(
                "UPDATE credential SET expires_at = now() - interval '1 minute' "
                "WHERE subject = :g AND kind = 'claim'"
            ),
            {"g": name},
        )
        await session.commit()
    expired = await client.post(URL, json={"code": code})
    assert expired.status_code == 403
    assert expired.json()["reason"] == "expired"
    unknown = await client.post(URL, json={"code": "0000-0000-0000-0000"})
    assert unknown.status_code == 403
    assert unknown.json()["reason"] == "unknown"
    for bad in ({"code": "short"}, {"code": "!!!!-!!!!-!!!!-!!!!"}, {}, {"code": 12}):
        response = await client.post(URL, json=bad)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
    async with db.session(system=True) as session:
        live = (
            await session.execute(
                text("SELECT count(*) FROM credential WHERE subject = :g AND kind = 'gateway'"),
                {"g": name},
            )
        ).scalar()
    assert live == 0


async def test_wrong_codes_lock_the_client_out(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    _, code = await claimed_gateway(db, tenant.sites["spa"])
    for i in range(fleet_service.MAX_FAILURES):
        wrong = await client.post(URL, json={"code": f"ZZZZ-ZZZZ-ZZZZ-{i:04d}"})
        assert wrong.status_code == 403, (i, wrong.text)
    locked = await client.post(URL, json={"code": code})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    assert locked.headers["content-type"] == "application/problem+json"
    # the lockout is per client: the code itself is not burnt
    async with db.session(system=True) as session:
        await session.execute(text("DELETE FROM claim_attempt"))
        await session.commit()
    assert (await client.post(URL, json={"code": code})).status_code == 200


async def test_concurrent_wrong_codes_get_exactly_the_allowed_tries(
    live_server: LiveServer, committed_db: Database
) -> None:
    """60 wrong codes at once from one address: 10 evaluated (403), the other 50 refused (429)."""
    limits = httpx2.Limits(max_connections=60, max_keepalive_connections=60)
    async with httpx2.AsyncClient(base_url=live_server.url, limits=limits, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post(URL, json={"code": f"ZZZZ-ZZZZ-ZZZZ-{i:04d}"}) for i in range(60))
        )
    statuses = [r.status_code for r in responses]
    assert statuses.count(403) == fleet_service.MAX_FAILURES, sorted(statuses)
    assert statuses.count(429) == 60 - fleet_service.MAX_FAILURES, sorted(statuses)
    assert all(int(r.headers["retry-after"]) > 0 for r in responses if r.status_code == 429)
    async with committed_db.session(system=True) as session:
        row = (
            await session.execute(text("SELECT failures, locked_until FROM claim_attempt"))
        ).one()
    assert row[0] == fleet_service.MAX_FAILURES and row[1] is not None


def test_client_key_groups_ipv6_by_64() -> None:
    assert fleet_service.client_key("203.0.113.7") == "203.0.113.7"
    assert fleet_service.client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert fleet_service.client_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert fleet_service.client_key(None) == "unknown"


async def test_concurrent_exchanges_yield_exactly_one_token(committed_db: Database) -> None:
    async with committed_db.session(system=True) as session:
        destination = await destinations.create_destination(session, "race", "Race")
        site = await destinations.add_site(session, destination.id, "zoo", "Zoo")
        await session.commit()
    _, code = await claimed_gateway(committed_db, site.id)
    async with make_client(committed_db, app_settings()) as client:
        responses = await asyncio.gather(*(client.post(URL, json={"code": code}) for _ in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 403, 403, 403], [r.text for r in responses]
    async with committed_db.session(system=True) as session:
        tokens = (
            await session.execute(text("SELECT count(*) FROM credential WHERE kind = 'gateway'"))
        ).scalar()
    assert tokens == 1


async def test_cli_gateway_add_with_claim_prints_the_code_last(
    committed_db: Database, committed_db_url: str
) -> None:
    async with committed_db.session(system=True) as session:
        destination = await destinations.create_destination(session, "cli", "Cli")
        await destinations.add_site(session, destination.id, "zoo", "Zoo")
        await session.commit()
    env = {**os.environ, "DATABASE_URL": committed_db_url}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "crm", "gateway", "add", "zoo-claim", "--site", "zoo", "--claim"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    code = result.stdout.splitlines()[-1]
    assert CODE_SHAPE.match(code), result.stdout
    canonical = fleet_service.normalize_claim(code)
    assert canonical is not None
    dsn = make_url(committed_db_url).set(drivername="postgresql").render_as_string(False)
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cursor = await conn.execute(
            "SELECT kind, token_hash FROM credential WHERE subject = 'zoo-claim'"
        )
        rows = await cursor.fetchall()
    assert rows == [("claim", hashlib.sha256(canonical.encode()).digest())]

    def crm(*args: str) -> subprocess.CompletedProcess[str]:
        return run_crm(committed_db_url, *args)

    again = await asyncio.to_thread(crm, "gateway", "claim", "zoo-claim")
    assert again.returncode == 0, again.stderr
    second = fleet_service.normalize_claim(again.stdout.splitlines()[-1])
    assert second is not None and second != canonical
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cursor = await conn.execute(
            "SELECT token_hash, revoked_at IS NULL FROM credential "
            "WHERE subject = 'zoo-claim' ORDER BY created_at"
        )
        live = {bytes(h): ok for h, ok in await cursor.fetchall()}
    assert live == {
        hashlib.sha256(canonical.encode()).digest(): False,  # the first code no longer works
        hashlib.sha256(second.encode()).digest(): True,
    }
    missing = await asyncio.to_thread(crm, "gateway", "claim", "nowhere-1")
    assert missing.returncode == 1
    assert "no gateway 'nowhere-1'" in missing.stderr
