"""POST /api/v1/gateway/heartbeat: stored on the gateway, pass health from TLM, strict input."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx2
from ingest_support import GZIP_JSON, NAMESPACE, Tenant, app_settings, auth, gateway_names
from sqlalchemy import text

from crm.core.clock import FrozenClock
from crm.core.db import Database
from crm.core.models import utcnow
from crm.ingest.schemas import rfc3339
from crm.main import create_app

URL = "/api/v1/gateway/heartbeat"
EID_HEX = "0102030405060708"


def heartbeat(gateway_id: str, **extra: Any) -> dict[str, Any]:
    """A full heartbeat as the contract defines it."""
    body: dict[str, Any] = {
        "gateway_id": gateway_id,
        "sent_at": rfc3339(utcnow() - timedelta(seconds=3)),
        "version": "0.1.0",
        "config_version": None,
        "config_hash": "0123456789abcdef",
        "uptime_s": 3600.5,
        "adverts_per_s": 41.2,
        "last_advert_age_s": 0.4,
        "outbox_depth": 12,
        "outbox_oldest_age_s": 7.5,
        "outbox_dropped": 0,
        "watchdog": {"scan_restarts": 2, "adapter_resets": 1, "exits": 0},
        "counters": {"malformed": 3},
        "cpu_temperature_c": 51.2,
        "disk_free_bytes": 12_000_000_000,
        "disk_total_bytes": 30_000_000_000,
        "clock_synced": True,
        "passes": [],
    }
    body.update(extra)
    return body


def uid_health(instance: str, battery_mv: int = 2900, namespace: str = NAMESPACE) -> dict[str, Any]:
    return {
        "device": {"type": "eddystone-uid", "namespace": namespace, "instance": instance},
        "battery_mv": battery_mv,
        "temperature_c": 22.5,
        "adv_count": 1234,
        "uptime_s": 5000.0,
    }


async def fetch(db: Database, sql: str, **params: object) -> Any:
    async with db.session(system=True) as session:
        return (await session.execute(text(sql), params)).first()


async def add_eid_pass(db: Database, tenant: Tenant) -> uuid.UUID:
    """An EID pass whose current EID is ``EID_HEX`` (as the EID job would have computed)."""
    device_id = uuid.uuid4()
    async with db.session(system=True) as session:
        await session.execute(
            text(
                "INSERT INTO device (id, destination_id, kind, identity, health, created_at) "
                "VALUES (:id, :dest, 'eddystone-eid', :identity, '{}', now())"
            ),
            {"id": device_id, "dest": tenant.destination_id, "identity": f"eid:{device_id.hex}"},
        )
        await session.execute(
            text(
                "INSERT INTO eid_window (destination_id, eid, device_id, window_start, "
                "refreshed_at) VALUES (:dest, :eid, :id, 0, now())"
            ),
            {"dest": tenant.destination_id, "eid": bytes.fromhex(EID_HEX), "id": device_id},
        )
        await session.commit()
    return device_id


async def test_heartbeat_is_stored_and_updates_known_pass_health(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant, crm_clock: FrozenClock
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    eid_device = await add_eid_pass(db, tenant)
    passes = [
        uid_health(tenant.passes["lea"], battery_mv=2400),
        uid_health("ffffffffffff"),  # not a registered pass: ignored
        uid_health("000000000001", namespace="99999999999999999999"),
        {
            "device": {"type": "eddystone-eid", "eid": EID_HEX},
            "battery_mv": 3100,
            "temperature_c": None,
            "adv_count": 77,
            "uptime_s": 12.3,
        },
    ]
    response = await client.post(URL, json=heartbeat(gw, passes=passes), headers=auth(tenant, gw))
    assert response.status_code == 200, response.text
    ack = response.json()
    assert ack["passes_updated"] == 2
    assert ack["config_version"] >= 1
    assert ack["config_etag"].startswith('"')
    assert ack["config_stale"] is True  # never applied a remote config

    last, stored = await fetch(
        db, "SELECT last_heartbeat_at, heartbeat FROM gateway WHERE id = :g", g=gw
    )
    assert last == crm_clock.now()  # the CRM's time of receipt, not the gateway's
    # what the operations metrics read, at top level
    assert stored["outbox_depth"] == 12
    assert stored["outbox_oldest_age_s"] == 7.5
    assert stored["clock_synced"] is True
    assert stored["applied_config_version"] is None
    assert stored["watchdog"] == {"scan_restarts": 2, "adapter_resets": 1, "exits": 0}
    assert stored["passes_reported"] == 4 and stored["passes_updated"] == 2
    assert stored["clock_offset_s"] == 3.0  # heartbeat() says it was sent 3 s before now
    # no identity of any pass is kept on the gateway
    assert "passes" not in stored
    assert tenant.passes["lea"] not in json.dumps(stored)

    (health,) = await fetch(
        db,
        "SELECT health FROM device WHERE identity = :i",
        i=f"uid:{NAMESPACE}:{tenant.passes['lea']}",
    )
    assert health["battery_mv"] == 2400
    assert health["temperature_c"] == 22.5
    assert health["adv_count"] == 1234
    assert health["uptime_s"] == 5000.0
    assert health["reported_on"] == crm_clock.now().date().isoformat()
    assert gw not in json.dumps(health)  # no sighting (where/when) outside the consent gate
    (eid_health,) = await fetch(db, "SELECT health FROM device WHERE id = :i", i=eid_device)
    assert eid_health["battery_mv"] == 3100 and eid_health["temperature_c"] is None
    (other,) = await fetch(
        db,
        "SELECT health FROM device WHERE identity = :i",
        i=f"uid:{NAMESPACE}:{tenant.passes['tom']}",
    )
    assert other == {}
    (unknown,) = await fetch(
        db, "SELECT count(*) FROM device WHERE identity LIKE :i", i="%ffffffffffff"
    )
    assert unknown == 0


async def test_heartbeat_reports_not_stale_once_the_current_config_is_applied(
    client: httpx2.AsyncClient, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    config = await client.get("/api/v1/gateway/config", headers=auth(tenant, gw))
    etag, version = config.headers["etag"], config.json()["config_version"]
    ack = await client.post(
        URL,
        json=heartbeat(gw, config_version=version, config_etag=etag),
        headers=auth(tenant, gw),
    )
    assert ack.status_code == 200, ack.text
    assert ack.json()["config_stale"] is False
    by_version = await client.post(
        URL, json=heartbeat(gw, config_version=version), headers=auth(tenant, gw)
    )
    assert by_version.json()["config_stale"] is False
    old = await client.post(
        URL,
        json=heartbeat(gw, config_version=version, config_etag='"old"'),
        headers=auth(tenant, gw),
    )
    assert old.json()["config_stale"] is True


async def test_heartbeat_accepts_gzip(client: httpx2.AsyncClient, tenant: Tenant) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    body = gzip.compress(json.dumps(heartbeat(gw)).encode())
    response = await client.post(
        URL,
        content=body,
        headers={**auth(tenant, gw), **GZIP_JSON},
    )
    assert response.status_code == 200, response.text


async def test_bad_heartbeats_get_problems_and_change_nothing(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw2")[0]
    other = gateway_names(tenant, "zoo-gw1")[0]
    headers = auth(tenant, gw)
    cases: list[tuple[Any, int]] = [
        (heartbeat(other), 403),  # another gateway's name
        (heartbeat(gw, outbox_depth=-1), 422),
        (heartbeat(gw, adverts_per_s="many"), 422),
        (heartbeat(gw, unknown_key=1), 422),  # a typo must not vanish
        (heartbeat(gw, sent_at="2026-11-25T10:00:00"), 422),  # naive time
        (heartbeat(gw, watchdog={"Bad Name": 1}), 422),
        (heartbeat(gw, passes=[{"device": {"type": "mac", "address": "C4:7C:8D:6A:1B:2F"}}]), 422),
        (heartbeat(gw, passes=[uid_health(tenant.passes["lea"], battery_mv=70000)]), 422),
        ({k: v for k, v in heartbeat(gw).items() if k != "clock_synced"}, 422),
        ([1, 2, 3], 422),
    ]
    for body, status in cases:
        response = await client.post(URL, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    raw = await client.post(
        URL, content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert raw.status_code == 400
    assert raw.headers["content-type"] == "application/problem+json"
    unauthenticated = await client.post(URL, json=heartbeat(gw))
    assert unauthenticated.status_code == 401
    last, stored = await fetch(
        db, "SELECT last_heartbeat_at, heartbeat FROM gateway WHERE id = :g", g=gw
    )
    assert last is None and stored == {}
    (health,) = await fetch(
        db,
        "SELECT health FROM device WHERE identity = :i",
        i=f"uid:{NAMESPACE}:{tenant.passes['lea']}",
    )
    assert health == {}


async def test_unmeasured_battery_is_stored_as_null(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "zoo-gw1")[0]
    passes = [uid_health(tenant.passes["ana"], battery_mv=0)]
    response = await client.post(URL, json=heartbeat(gw, passes=passes), headers=auth(tenant, gw))
    assert response.json()["passes_updated"] == 1
    (health,) = await fetch(
        db,
        "SELECT health FROM device WHERE identity = :i",
        i=f"uid:{NAMESPACE}:{tenant.passes['ana']}",
    )
    assert health["battery_mv"] is None and health["adv_count"] == 1234


def test_openapi_heartbeat_schema_has_no_dangling_refs() -> None:
    spec = json.dumps(create_app(app_settings()).openapi())
    assert "#/$defs/" not in spec  # nested models are inlined in the heartbeat's request body
    assert "battery_mv" in spec
