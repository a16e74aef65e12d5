"""GET /api/v1/gateway/config (ETag, 304, namespaces) and the office's override edit."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
import rights_support
from ingest_support import NAMESPACE, Tenant, auth, gateway_names, seed_tenant
from sqlalchemy import text

from crm.core.db import Database
from crm.fleet import service as fleet_service
from crm.visitors import service as visitors

URL = "/api/v1/gateway/config"


def office_url(gateway_id: str) -> str:
    return f"/api/v1/office/gateways/{gateway_id}/config"


async def staff_token(db: Database, destination_id: uuid.UUID, role: str = "admin") -> str:
    """A live staff bearer token of ``role`` in the destination."""
    return (await rights_support.staff_token(db, destination_id, role))[1]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def admin(db: Database, tenant: Tenant) -> dict[str, str]:
    return bearer(await staff_token(db, tenant.destination_id))


async def test_config_has_etag_namespaces_and_answers_304(
    client: httpx2.AsyncClient, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    response = await client.get(URL, headers=auth(tenant, gw))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["gateway_id"] == gw
    assert body["config_version"] == 1
    assert body["scan"] == {"mode": "active", "namespaces": [NAMESPACE]}
    assert body["presence"] == {
        "enter_rssi_dbm": -75.0,
        "exit_rssi_dbm": -85.0,
        "exit_timeout_s": 60.0,
        "dwell_interval_s": 60.0,
        "min_sightings": 2,
    }
    assert body["advertise"] == {}
    assert body["upload"] == {"batch_max": 500, "interval_s": 5.0}
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    cached = await client.get(URL, headers={**auth(tenant, gw), "If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    weak = await client.get(URL, headers={**auth(tenant, gw), "If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = await client.get(URL, headers={**auth(tenant, gw), "If-None-Match": '"nope"'})
    assert other.status_code == 200
    again = await client.get(URL, headers=auth(tenant, gw))
    assert again.json()["config_version"] == 1  # reading does not bump
    assert (await client.get(URL)).status_code == 401


async def test_override_bumps_version_and_etag(
    client: httpx2.AsyncClient, tenant: Tenant, admin: dict[str, str]
) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    first = await client.get(URL, headers=auth(tenant, gw))
    etag = first.headers["etag"]
    override = {
        "presence": {"enter_rssi_dbm": -70, "exit_rssi_dbm": -80, "exit_timeout_s": 45},
        "scan": {"namespaces": ["00112233445566778899"]},
        "advertise": {"url": "https://goo.gl/abc", "tx_power_0m": -20},
    }
    put = await client.put(office_url(gw), json=override, headers=admin)
    assert put.status_code == 200, put.text
    view = put.json()
    assert view["config_version"] == 2
    assert view["override"]["presence"] == {
        "enter_rssi_dbm": -70.0,
        "exit_rssi_dbm": -80.0,
        "exit_timeout_s": 45.0,
    }
    assert view["applied_config_version"] is None

    stale = await client.get(URL, headers={**auth(tenant, gw), "If-None-Match": etag})
    assert stale.status_code == 200
    assert stale.headers["etag"] != etag
    body = stale.json()
    assert body["config_version"] == 2
    assert body["presence"]["enter_rssi_dbm"] == -70.0
    assert body["presence"]["min_sightings"] == 2  # defaults kept
    assert body["scan"]["namespaces"] == sorted(["00112233445566778899", NAMESPACE])
    assert body["advertise"] == {"url": "https://goo.gl/abc", "tx_power_0m": -20}
    assert stale.headers["etag"] == view["config_etag"]

    same = await client.put(office_url(gw), json=override, headers=admin)
    assert same.json()["config_version"] == 2  # nothing changed: no bump
    cleared = await client.put(office_url(gw), json={}, headers=admin)
    assert cleared.json()["config_version"] == 3
    assert cleared.json()["effective"]["presence"]["enter_rssi_dbm"] == -75.0
    # the other gateways are untouched
    spa = gateway_names(tenant, "spa-gw1")[0]
    assert (await client.get(URL, headers=auth(tenant, spa))).json()["config_version"] == 1


async def test_new_pass_namespace_changes_the_document(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw2")[0]
    first = await client.get(URL, headers=auth(tenant, gw))
    async with db.session(system=True) as session:
        await visitors.enrol(
            session, tenant.destination_id, pass_uid="aaaaaaaaaaaaaaaaaaaa:000000000001"
        )
        await session.commit()
    second = await client.get(
        URL, headers={**auth(tenant, gw), "If-None-Match": first.headers["etag"]}
    )
    assert second.status_code == 200
    assert second.json()["config_version"] == first.json()["config_version"] + 1
    assert "aaaaaaaaaaaaaaaaaaaa" in second.json()["scan"]["namespaces"]


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"presence": {"exit_rssi_dbm": -70}}, "presence.exit_rssi_dbm"),  # above enter -75
        ({"presence": {"enter_rssi_dbm": -80, "exit_rssi_dbm": -80}}, "presence.exit_rssi_dbm"),
        ({"presence": {"exit_timeout_s": 30}}, "exit_timeout_s"),
        # the scanner restarts every 90 s: an exit after 45 s of silence would fire at each one
        (
            {"scan": {"restart_interval_s": 90}, "presence": {"exit_timeout_s": 45}},
            "presence.exit_timeout_s: must be longer than scan.restart_interval_s",
        ),
        ({"presence": {"min_sightings": 0}}, "min_sightings"),
        ({"presence": {"enter_rssi_dbm": "loud"}}, "enter_rssi_dbm"),
        ({"presence": {"enter_rssi_dbm": None}}, "presence.enter_rssi_dbm"),
        ({"presence": {"enter_rsi_dbm": -70}}, "enter_rsi_dbm"),
        ({"scan": {"mode": "sniff"}}, "mode"),
        ({"scan": {"namespaces": ["XYZ"]}}, "namespaces"),
        ({"advertise": {"url": "https://example.com/a-very-long-path"}}, "url"),
        ({"upload": {"batch_max": 10_000}}, "batch_max"),
        ({"gateway": {"id": "x"}}, "gateway"),
    ],
)
async def test_invalid_override_is_a_clear_422_and_changes_nothing(
    client: httpx2.AsyncClient,
    db: Database,
    tenant: Tenant,
    admin: dict[str, str],
    override: dict[str, Any],
    needle: str,
) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    response = await client.put(office_url(gw), json=override, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert needle in response.text
    async with db.session(system=True) as session:
        row = (
            await session.execute(
                text("SELECT config_override FROM gateway WHERE id = :g"), {"g": gw}
            )
        ).one()
    assert row[0] == {}


async def test_office_config_needs_an_admin_of_the_same_destination(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant, admin: dict[str, str]
) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    marketing = bearer(await staff_token(db, tenant.destination_id, role="marketing"))
    assert (await client.put(office_url(gw), json={}, headers=marketing)).status_code == 403
    assert (await client.put(office_url(gw), json={})).status_code == 401
    other = await seed_tenant(
        db, f"metz-{uuid.uuid4().hex[:6]}", sites={"cathedrale": []}, visitors_={}
    )
    foreign = bearer(await staff_token(db, other.destination_id))
    hidden = await client.put(office_url(gw), json={}, headers=foreign)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    got = await client.get(office_url(gw), headers=admin)
    assert got.status_code == 200
    assert got.json()["effective"]["gateway_id"] == gw


async def test_office_can_issue_a_new_claim_code(
    client: httpx2.AsyncClient, tenant: Tenant, admin: dict[str, str]
) -> None:
    gw = gateway_names(tenant, "spa-gw2")[0]
    response = await client.post(f"/api/v1/office/gateways/{gw}/claim", headers=admin)
    assert response.status_code == 200, response.text
    code = response.json()["code"]
    assert fleet_service.normalize_claim(code) is not None
    enrolled = await client.post("/api/v1/gateway/enroll", json={"code": code})
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["gateway_id"] == gw
    # the Pi that held the identity before is cut off
    old = await client.get(URL, headers=auth(tenant, gw))
    assert old.status_code == 401
    new = await client.get(URL, headers=bearer(enrolled.json()["token"]))
    assert new.status_code == 200
