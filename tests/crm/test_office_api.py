"""Office API: sites, partners, gateways (tokens shown once, rotation, revocation), passes."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import httpx2
import pytest

from crm.core.credentials import Credential, token_hash
from crm.core.db import Database

sys.path.insert(0, str(Path(__file__).parent))
from office_support import Office

SITE: dict[str, Any] = {
    "slug": "thermapolis",
    "name": "Thermapolis",
    "kind": "venue",
    "latitude": 49.2606,
    "longitude": 6.1438,
    "opening_hours": {"sun": [["10:00", "20:00"]], "mon": [["09:00", "12:00"], ["14:00", "03:00"]]},
    "wishes": ["wellness", "family"],
}


async def test_admin_creates_and_updates_a_site(client: httpx2.AsyncClient, office: Office) -> None:
    admin = office.bearer("admin")
    created = await client.post(
        "/api/v1/office/sites", headers=admin, json={**SITE, "partner_id": str(office.partner_id)}
    )
    assert created.status_code == 201, created.text
    site = created.json()
    # Days come back in week order; overnight intervals are kept.
    assert list(site["opening_hours"]) == ["mon", "sun"]
    assert site["opening_hours"]["mon"] == [["09:00", "12:00"], ["14:00", "03:00"]]
    assert site["partner_id"] == str(office.partner_id)

    patched = await client.patch(
        f"/api/v1/office/sites/{site['id']}",
        headers=admin,
        json={"name": "Thermapolis (spa)", "partner_id": None, "latitude": None, "longitude": None},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "Thermapolis (spa)"
    assert body["partner_id"] is None and body["latitude"] is None
    assert body["opening_hours"] == site["opening_hours"]  # untouched

    for role in ("admin", "marketing", "desk"):
        listed = await client.get("/api/v1/office/sites", headers=office.bearer(role))
        assert listed.status_code == 200
        assert {s["slug"] for s in listed.json()} == {"zoo", "thermapolis"}
        one = await client.get(f"/api/v1/office/sites/{site['id']}", headers=office.bearer(role))
        assert one.status_code == 200


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"opening_hours": {"mon": [["9:00", "18:00"]]}}, "not a time"),
        ({"opening_hours": {"lun": [["09:00", "18:00"]]}}, "unknown day"),
        ({"opening_hours": {"mon": [["09:00", "09:00"]]}}, "empty"),
        ({"opening_hours": {"mon": [["14:00", "18:00"], ["09:00", "12:00"]]}}, "in order"),
        ({"opening_hours": {"mon": [["20:00", "02:00"], ["21:00", "22:00"]]}}, "past midnight"),
        ({"opening_hours": {"mon": [["24:00", "02:00"]]}}, "24:00"),
        ({"opening_hours": {"mon": [["09:00", "25:00"]]}}, "not a time"),
        ({"opening_hours": {"mon": [["09:00"]]}}, ""),
        ({"opening_hours": {"mon": "09:00-18:00"}}, ""),
        ({"latitude": 91.0}, ""),
        ({"latitude": 49.0, "longitude": None}, "latitude and longitude"),
        ({"wishes": ["casino"]}, ""),
        ({"slug": "Not A Slug"}, ""),
        ({"kind": "spaceport"}, ""),
        ({"color": "red"}, ""),
    ],
)
async def test_site_validation_is_precise(
    client: httpx2.AsyncClient, office: Office, change: dict[str, Any], fragment: str
) -> None:
    response = await client.post(
        "/api/v1/office/sites", headers=office.bearer("admin"), json={**SITE, **change}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.text
    listed = await client.get("/api/v1/office/sites", headers=office.bearer("admin"))
    assert [s["slug"] for s in listed.json()] == ["zoo"]  # nothing written


async def test_site_conflicts_and_foreign_partners(
    client: httpx2.AsyncClient, office: Office, other: Office
) -> None:
    admin = office.bearer("admin")
    taken = await client.post("/api/v1/office/sites", headers=admin, json={**SITE, "slug": "zoo"})
    assert taken.status_code == 409
    # A foreign key would accept another destination's partner: the API must not.
    foreign = await client.post(
        "/api/v1/office/sites", headers=admin, json={**SITE, "partner_id": str(other.partner_id)}
    )
    assert foreign.status_code == 422
    assert "no partner" in foreign.json()["detail"]
    renamed = await client.patch(
        f"/api/v1/office/sites/{office.site_id}",
        headers=admin,
        json={"partner_id": str(other.partner_id)},
    )
    assert renamed.status_code == 422
    missing = await client.get(f"/api/v1/office/sites/{other.site_id}", headers=admin)
    assert missing.status_code == 404
    patch_other = await client.patch(
        f"/api/v1/office/sites/{other.site_id}", headers=admin, json={"name": "Mine now"}
    )
    assert patch_other.status_code == 404


async def test_only_admins_write(client: httpx2.AsyncClient, office: Office) -> None:
    for role in ("marketing", "desk"):
        headers = office.bearer(role)
        assert (
            await client.post("/api/v1/office/sites", headers=headers, json=SITE)
        ).status_code == 403
        assert (
            await client.post(
                "/api/v1/office/partners", headers=headers, json={"slug": "x", "name": "X"}
            )
        ).status_code == 403
        assert (
            await client.post(
                "/api/v1/office/gateways",
                headers=headers,
                json={"id": "gw-x", "site_id": str(office.site_id)},
            )
        ).status_code == 403
        assert (
            await client.post(f"/api/v1/office/gateways/{office.gateway_id}/token", headers=headers)
        ).status_code == 403


async def test_partners(client: httpx2.AsyncClient, office: Office, other: Office) -> None:
    admin = office.bearer("admin")
    created = await client.post(
        "/api/v1/office/partners", headers=admin, json={"slug": "casino", "name": "Casino"}
    )
    assert created.status_code == 201, created.text
    partner = created.json()
    again = await client.post(
        "/api/v1/office/partners", headers=admin, json={"slug": "casino", "name": "Other"}
    )
    assert again.status_code == 409
    # Same slug in another destination is fine.
    elsewhere = await client.post(
        "/api/v1/office/partners",
        headers=other.bearer("admin"),
        json={"slug": "casino", "name": "C"},
    )
    assert elsewhere.status_code == 201
    renamed = await client.patch(
        f"/api/v1/office/partners/{partner['id']}", headers=admin, json={"name": "Casino 2000"}
    )
    assert renamed.status_code == 200 and renamed.json()["slug"] == "casino"
    listed = await client.get("/api/v1/office/partners", headers=office.bearer("desk"))
    assert {p["name"] for p in listed.json()} == {"Casino 2000", "Zoo d'Amnéville"}
    assert (
        await client.get(f"/api/v1/office/partners/{elsewhere.json()['id']}", headers=admin)
    ).status_code == 404


async def test_gateway_token_shown_once_rotated_and_revoked(
    client: httpx2.AsyncClient, office: Office, db: Database
) -> None:
    admin = office.bearer("admin")
    name = f"spa-{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/v1/office/gateways", headers=admin, json={"id": name, "site_id": str(office.site_id)}
    )
    assert created.status_code == 201, created.text
    first = created.json()["token"]
    assert created.json()["gateway"]["id"] == name
    listed = await client.get("/api/v1/office/gateways", headers=office.bearer("marketing"))
    assert first not in listed.text and {g["id"] for g in listed.json()} == {
        name,
        office.gateway_id,
    }
    got = await client.get(f"/api/v1/office/gateways/{name}", headers=office.bearer("desk"))
    assert got.status_code == 200 and "token" not in got.json()

    async def live(token: str) -> bool:
        async with db.session(system=True) as session:
            row = await session.get(Credential, token_hash(token))
            return row is not None and row.revoked_at is None

    assert await live(first)
    rotated = await client.post(f"/api/v1/office/gateways/{name}/token", headers=admin)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["token"]
    assert second != first
    assert await live(second) and not await live(first)  # revoked after the response was sent

    revoked = await client.delete(f"/api/v1/office/gateways/{name}/token", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json() == {"gateway_id": name, "revoked": 1}
    assert not await live(second)
    # The gateway itself is refused from now on.
    heartbeat = await client.post(
        "/api/v1/gateway/events",
        headers={"Authorization": f"Bearer {second}"},
        json={"gateway_id": name, "sent_at": "2026-01-01T00:00:00Z", "events": []},
    )
    assert heartbeat.status_code == 401


async def test_gateway_errors(client: httpx2.AsyncClient, office: Office, other: Office) -> None:
    admin = office.bearer("admin")
    taken_elsewhere = await client.post(
        "/api/v1/office/gateways",
        headers=admin,
        json={"id": other.gateway_id, "site_id": str(office.site_id)},
    )
    assert taken_elsewhere.status_code == 409
    taken_here = await client.post(
        "/api/v1/office/gateways",
        headers=admin,
        json={"id": office.gateway_id, "site_id": str(office.site_id)},
    )
    assert taken_here.status_code == 409
    foreign_site = await client.post(
        "/api/v1/office/gateways",
        headers=admin,
        json={"id": "gw-new", "site_id": str(other.site_id)},
    )
    assert foreign_site.status_code == 422
    bad_name = await client.post(
        "/api/v1/office/gateways",
        headers=admin,
        json={"id": "no spaces", "site_id": str(office.site_id)},
    )
    assert bad_name.status_code == 422
    for method, suffix in (("GET", ""), ("POST", "/token"), ("DELETE", "/token")):
        response = await client.request(
            method, f"/api/v1/office/gateways/{other.gateway_id}{suffix}", headers=admin
        )
        assert response.status_code == 404, (method, suffix)


async def test_passes_are_listed_without_secrets(
    client: httpx2.AsyncClient, office: Office, db: Database
) -> None:
    from crm.visitors import service as visitors

    async with db.session(system=True) as session:
        await visitors.enrol(
            session, office.destination_id, pass_uid="a1b2c3d4e5f60718293a:0000000000aa"
        )
        await session.commit()
    response = await client.get("/api/v1/office/passes", headers=office.bearer("desk"))
    assert response.status_code == 200
    [found] = [p for p in response.json() if p["identity"].endswith(":0000000000aa")]
    assert found["identity"] == "uid:a1b2c3d4e5f60718293a:0000000000aa"
    assert "identity_key_enc" not in found


async def test_renaming_onto_a_taken_slug_is_409_and_changes_nothing(
    client: httpx2.AsyncClient, office: Office
) -> None:
    admin = office.bearer("admin")
    other_site = await client.post("/api/v1/office/sites", headers=admin, json=SITE)
    assert other_site.status_code == 201
    clash = await client.patch(
        f"/api/v1/office/sites/{other_site.json()['id']}",
        headers=admin,
        json={"slug": "zoo", "name": "Renamed"},
    )
    assert clash.status_code == 409, clash.text
    assert clash.json()["detail"] == "another site already has the slug 'zoo'"
    unchanged = await client.get(f"/api/v1/office/sites/{other_site.json()['id']}", headers=admin)
    assert unchanged.json()["name"] == "Thermapolis"
    second = await client.post(
        "/api/v1/office/partners", headers=admin, json={"slug": "casino", "name": "Casino"}
    )
    clash = await client.patch(
        f"/api/v1/office/partners/{second.json()['id']}",
        headers=admin,
        json={"slug": f"zoo-{office.slug}"},
    )
    assert clash.status_code == 409, clash.text


async def test_nul_characters_are_422_not_500(client: httpx2.AsyncClient, office: Office) -> None:
    admin = office.bearer("admin")
    partner = await client.post(
        "/api/v1/office/partners", headers=admin, json={"slug": "nul", "name": "a\u0000b"}
    )
    assert partner.status_code == 422
    login = await client.post(
        "/api/v1/auth/login",
        json={"destination": office.slug, "email": "a\u0000@b.example", "password": "x"},
    )
    assert login.status_code == 422


async def test_desk_registers_hands_out_and_takes_back_passes(
    client: httpx2.AsyncClient, office: Office, other: Office
) -> None:
    desk = office.bearer("desk")
    uid = "A1B2C3D4E5F60718293A:0000000000BB"
    created = await client.post("/api/v1/office/passes", headers=desk, json={"uid": uid})
    assert created.status_code == 201, created.text
    card = created.json()
    assert card["identity"] == "uid:a1b2c3d4e5f60718293a:0000000000bb"
    assert card["visitor_id"] is None
    again = await client.post("/api/v1/office/passes", headers=desk, json={"uid": uid.lower()})
    assert again.status_code == 409
    # Another destination may register the same card identity (vendors reuse namespaces).
    elsewhere = await client.post(
        "/api/v1/office/passes", headers=other.bearer("admin"), json={"uid": uid}
    )
    assert elsewhere.status_code == 201
    url = f"/api/v1/office/passes/{card['id']}"
    visitor = str(office.visitor_ids["b"])
    given = await client.patch(url, headers=desk, json={"visitor_id": visitor})
    assert given.status_code == 200 and given.json()["visitor_id"] == visitor
    foreign_visitor = await client.patch(
        url, headers=desk, json={"visitor_id": str(other.visitor_ids["a"])}
    )
    assert foreign_visitor.status_code == 422
    back = await client.patch(url, headers=desk, json={"visitor_id": None})
    assert back.status_code == 200 and back.json()["visitor_id"] is None
    assert (
        await client.patch(url, headers=other.bearer("admin"), json={"visitor_id": None})
    ).status_code == 404
    assert (
        await client.post(
            "/api/v1/office/passes", headers=office.bearer("marketing"), json={"uid": uid}
        )
    ).status_code == 403
    assert (
        await client.post("/api/v1/office/passes", headers=desk, json={"uid": "nothex"})
    ).status_code == 422


async def test_who_holds_a_pass_is_for_desk_and_admin_and_audited(
    client: httpx2.AsyncClient, office: Office, db: Database
) -> None:
    from sqlalchemy import select
    from sqlmodel import col

    from crm.core.audit import AuditLog

    marketing = await client.get("/api/v1/office/passes", headers=office.bearer("marketing"))
    [seen] = marketing.json()
    assert seen["assigned"] is True and seen["visitor_id"] is None
    desk = await client.get("/api/v1/office/passes", headers=office.bearer("desk"))
    [held] = desk.json()
    assert held["visitor_id"] == str(office.visitor_ids["a"])
    moved = await client.patch(
        f"/api/v1/office/passes/{office.pass_id}",
        headers=office.bearer("desk"),
        json={"visitor_id": str(office.visitor_ids["b"])},
    )
    assert moved.status_code == 200
    async with db.session(system=True) as session:
        rows = (
            await session.execute(
                select(AuditLog)
                .where(col(AuditLog.destination_id) == office.destination_id)
                .order_by(col(AuditLog.id))
            )
        ).scalars()
        entries = [(r.actor, r.action, r.visitor_id) for r in rows]
    actor = f"staff:{office.staff_ids['desk']}"
    assert entries == [
        (actor, "pass.list", None),
        (actor, "pass.return", office.visitor_ids["a"]),
        (actor, "pass.assign", office.visitor_ids["b"]),
    ]
