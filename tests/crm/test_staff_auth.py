"""Staff login, sessions (bearer and cookie), logout, roles and account management."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select, update
from sqlmodel import col

from crm.core.clock import FrozenClock
from crm.core.credentials import Credential, token_hash
from crm.core.db import Database
from crm.core.models import utcnow
from crm.main import create_app
from crm.staff.models import StaffUser

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import app_settings, make_client
from office_support import PASSWORD, Office, seed_office


async def login(
    client: httpx2.AsyncClient, office: Office, role: str = "admin", password: str = PASSWORD
) -> httpx2.Response:
    return await client.post(
        "/api/v1/auth/login",
        json={"destination": office.slug, "email": office.emails[role], "password": password},
    )


async def test_login_returns_a_token_and_a_session_cookie(
    client: httpx2.AsyncClient, office: Office, db: Database, crm_clock: FrozenClock
) -> None:
    response = await login(client, office, "marketing")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["staff"]["role"] == "marketing"
    assert body["staff"]["email"] == office.emails["marketing"]
    assert "password_hash" not in body["staff"]
    assert response.headers["cache-control"] == "no-store"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"balise_session={body['token']};")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "max-age=43200" in lowered
    assert "secure" not in lowered  # plain http (tests); Secure over https
    # Only the hash is kept, with the staff member as subject and a 12 h expiry.
    async with db.session(system=True) as session:
        row = await session.get(Credential, token_hash(body["token"]))
    assert row is not None and row.kind == "staff"
    assert row.subject == str(office.staff_ids["marketing"])
    assert row.expires_at is not None
    assert row.expires_at == crm_clock.now() + timedelta(hours=12)

    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == str(office.staff_ids["marketing"])


async def test_session_cookie_authenticates_pages(
    client: httpx2.AsyncClient, office: Office
) -> None:
    response = await login(client, office)
    token = response.json()["token"]
    client.cookies.clear()
    me = await client.get("/api/v1/auth/me", headers={"Cookie": f"balise_session={token}"})
    assert me.status_code == 200
    assert me.json()["role"] == "admin"


async def test_secure_cookie_when_public_url_is_https(db: Database, office: Office) -> None:
    async with make_client(db, app_settings(public_url="https://crm.example")) as client:
        response = await login(client, office)
    assert "secure" in response.headers["set-cookie"].lower()


async def test_email_is_case_insensitive(client: httpx2.AsyncClient, office: Office) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        json={
            "destination": office.slug,
            "email": "  " + office.emails["desk"].upper(),
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("case", ["password", "email", "destination", "other", "disabled"])
async def test_every_login_failure_is_the_same_401(
    client: httpx2.AsyncClient, office: Office, other: Office, db: Database, case: str
) -> None:
    payload = {"destination": office.slug, "email": office.emails["admin"], "password": PASSWORD}
    if case == "password":
        payload["password"] = PASSWORD + "!"
    elif case == "email":
        payload["email"] = "nobody@example.org"
    elif case == "destination":
        payload["destination"] = "nowhere"
    elif case == "other":  # right password, other destination's slug
        payload["destination"] = other.slug
    else:
        async with db.session(system=True) as session:
            await session.execute(
                update(StaffUser)
                .where(col(StaffUser.id) == office.staff_ids["admin"])
                .values(disabled_at=utcnow())
            )
            await session.commit()
    response = await client.post("/api/v1/auth/login", json=payload)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "wrong destination, e-mail or password"
    assert "set-cookie" not in response.headers


async def test_login_body_is_validated(client: httpx2.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"email": "x@y.z"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_logout_revokes_the_token_and_clears_the_cookie(
    client: httpx2.AsyncClient, office: Office
) -> None:
    token = (await login(client, office)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    response = await client.post("/api/v1/auth/logout", headers=headers)
    assert response.status_code == 204
    assert 'balise_session=""' in response.headers["set-cookie"]
    again = await client.get("/api/v1/auth/me", headers=headers)
    assert again.status_code == 401
    assert again.headers["www-authenticate"] == "Bearer"
    # Other sessions of the same person are untouched.
    assert (await client.get("/api/v1/auth/me", headers=office.bearer("admin"))).status_code == 200


async def test_expired_and_garbage_tokens_are_401(
    client: httpx2.AsyncClient, office: Office, db: Database, crm_clock: FrozenClock
) -> None:
    expires_at = crm_clock.now() + timedelta(microseconds=1)
    async with db.session(system=True) as session:
        await session.execute(
            update(Credential)
            .where(col(Credential.token_hash) == token_hash(office.staff_tokens["desk"]))
            .values(expires_at=expires_at)
        )
        await session.commit()
    # live until the microsecond before its expiry, dead at it
    assert (await client.get("/api/v1/auth/me", headers=office.bearer("desk"))).status_code == 200
    crm_clock.set(expires_at)
    for headers in (
        office.bearer("desk"),
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer " + "x" * 5000},
        {},
    ):
        response = await client.get("/api/v1/auth/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/problem+json"


async def test_gateway_and_roadbook_tokens_are_not_staff_tokens(
    client: httpx2.AsyncClient, office: Office
) -> None:
    for token in (office.gateway_token, office.roadbook_tokens["a"]):
        response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


async def test_cookie_sessions_refuse_cross_origin_writes(
    client: httpx2.AsyncClient, office: Office
) -> None:
    cookie = f"balise_session={office.staff_tokens['admin']}"
    body = {"email": "new@x.example", "role": "desk", "password": PASSWORD}
    client.cookies.clear()
    evil = await client.post(
        "/api/v1/office/staff",
        json=body,
        headers={"Cookie": cookie, "Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    same = await client.post(
        "/api/v1/office/staff", json=body, headers={"Cookie": cookie, "Origin": "http://test"}
    )
    assert same.status_code == 201, same.text


async def test_roles_gate_staff_management(client: httpx2.AsyncClient, office: Office) -> None:
    for role in ("marketing", "desk"):
        response = await client.get("/api/v1/office/staff", headers=office.bearer(role))
        assert response.status_code == 403
        assert response.json()["detail"] == f"this needs the role admin; you are {role}"
    response = await client.get("/api/v1/office/staff", headers=office.bearer("admin"))
    assert response.status_code == 200
    assert sorted(s["role"] for s in response.json()) == ["admin", "desk", "marketing"]


async def test_admin_manages_accounts(
    client: httpx2.AsyncClient, office: Office, other: Office
) -> None:
    admin = office.bearer("admin")
    created = await client.post(
        "/api/v1/office/staff",
        headers=admin,
        json={
            "email": "Camille@Office.example",
            "name": "Camille",
            "role": "desk",
            "password": "long enough pw",
        },
    )
    assert created.status_code == 201, created.text
    camille = created.json()
    assert camille["email"] == "camille@office.example"
    duplicate = await client.post(
        "/api/v1/office/staff",
        headers=admin,
        json={"email": "camille@office.example", "role": "admin", "password": "long enough pw"},
    )
    assert duplicate.status_code == 409
    for bad in (
        {"email": "not-an-email", "role": "desk", "password": "long enough pw"},
        {"email": "a@b.example", "role": "root", "password": "long enough pw"},
        {"email": "a@b.example", "role": "desk", "password": "short"},
    ):
        assert (
            await client.post("/api/v1/office/staff", headers=admin, json=bad)
        ).status_code == 422

    logged = await client.post(
        "/api/v1/auth/login",
        json={
            "destination": office.slug,
            "email": "camille@office.example",
            "password": "long enough pw",
        },
    )
    assert logged.status_code == 200
    camille_auth = {"Authorization": f"Bearer {logged.json()['token']}"}
    # Promotion ends the sessions opened under the old role.
    promoted = await client.patch(
        f"/api/v1/office/staff/{camille['id']}", headers=admin, json={"role": "marketing"}
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "marketing"
    assert (await client.get("/api/v1/auth/me", headers=camille_auth)).status_code == 401
    # Another destination's admin cannot see or touch the account.
    foreign = await client.patch(
        f"/api/v1/office/staff/{camille['id']}",
        headers=other.bearer("admin"),
        json={"disabled": True},
    )
    assert foreign.status_code == 404
    listed = await client.get("/api/v1/office/staff", headers=other.bearer("admin"))
    assert camille["id"] not in listed.text


async def test_the_last_admin_cannot_be_removed(client: httpx2.AsyncClient, office: Office) -> None:
    url = f"/api/v1/office/staff/{office.staff_ids['admin']}"
    for change in ({"disabled": True}, {"role": "desk"}):
        response = await client.patch(url, headers=office.bearer("admin"), json=change)
        assert response.status_code == 409, change
    assert (await client.get("/api/v1/auth/me", headers=office.bearer("admin"))).status_code == 200


async def test_disabling_ends_sessions(
    client: httpx2.AsyncClient, office: Office, db: Database
) -> None:
    response = await client.patch(
        f"/api/v1/office/staff/{office.staff_ids['desk']}",
        headers=office.bearer("admin"),
        json={"disabled": True},
    )
    assert response.status_code == 200 and response.json()["disabled_at"]
    assert (await client.get("/api/v1/auth/me", headers=office.bearer("desk"))).status_code == 401
    async with db.session(system=True) as session:
        live = (
            await session.execute(
                select(Credential).where(
                    col(Credential.subject) == str(office.staff_ids["desk"]),
                    col(Credential.revoked_at).is_(None),
                )
            )
        ).all()
    assert live == []


def staff_client(app: Any, address: str) -> httpx2.AsyncClient:
    """A client of ``app`` calling from ``address``."""
    transport = httpx2.ASGITransport(app=app, client=(address, 40000))
    return httpx2.AsyncClient(transport=transport, base_url="http://test")


async def test_repeated_wrong_passwords_get_429(client: httpx2.AsyncClient, office: Office) -> None:
    for _ in range(10):
        assert (await login(client, office, password="wrong password")).status_code == 401
    blocked = await login(client, office)  # even the right password, from this address
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"
    assert 0 < int(blocked.headers["retry-after"]) <= 30
    assert (await login(client, office, "desk")).status_code == 200  # other accounts are fine


async def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(
    db: Database, office: Office
) -> None:
    app = create_app(app_settings(), db=db)
    async with (
        staff_client(app, "203.0.113.66") as attacker,
        staff_client(app, "198.51.100.5") as owner,
    ):
        statuses = [
            (await login(attacker, office, password=f"guess {i:04d}")).status_code
            for i in range(14)
        ]
        assert statuses == [401] * 10 + [429] * 4
        mine = await login(owner, office)
        assert mine.status_code == 200, mine.text
        assert (await login(attacker, office)).status_code == 429


async def test_the_attackers_address_is_limited_across_accounts(
    db: Database, office: Office
) -> None:
    app = create_app(app_settings(ratelimit_auth_failures_burst=12), db=db)
    app.state.login_failures.clock = lambda: 5000.0  # no refill during the test
    async with staff_client(app, "203.0.113.67") as attacker:
        for role in ("admin", "marketing"):
            for _ in range(6):
                assert (await login(attacker, office, role, "wrong password")).status_code == 401
        refused = await login(attacker, office, "desk", "wrong password")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"  # then one more try a second


async def test_concurrent_wrong_passwords_get_only_the_allowed_tries(
    committed_db: Database,
) -> None:
    office = await seed_office(committed_db)
    app = create_app(app_settings(), db=committed_db)
    async with staff_client(app, "203.0.113.68") as attacker:
        responses = await asyncio.gather(
            *(login(attacker, office, password=f"guess {i:04d}") for i in range(30))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 10 + [429] * 20, statuses


def test_require_role_refuses_unknown_roles() -> None:
    from crm.staff.deps import require_role

    with pytest.raises(ValueError, match="unknown staff roles"):
        require_role("root")
