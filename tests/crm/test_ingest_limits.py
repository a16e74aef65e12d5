"""The batch limit: BALISE_INGEST_MAX_EVENTS alone decides, a batch over it is a 413 (the answer
the gateway halves its batch on), and the gateway config document publishes it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from ingest_support import Tenant, app_settings, auth, batch, gateway_names, make_client, uid_event
from office_support import Office
from sqlalchemy import text

from crm.core.db import Database
from crm.core.models import utcnow

URL = "/api/v1/gateway/events"
CONFIG = "/api/v1/gateway/config"


def unknown_events(count: int, *, junk: int = 0) -> list[Any]:
    """``count`` events of unknown passes (counted, not stored), the last ``junk`` invalid."""
    at = utcnow() - timedelta(minutes=5)
    events: list[Any] = [uid_event(f"{i:012x}", at) for i in range(count - junk)]
    return events + ["junk"] * junk


async def ledger_size(db: Database) -> int:
    async with db.session(system=True) as session:
        count = await session.execute(text("SELECT count(*) FROM ingested_event"))
        return int(count.scalar_one())


async def test_one_event_over_the_default_limit_is_a_413(db: Database, tenant: Tenant) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    async with make_client(db) as client:
        response = await client.post(
            URL, json=batch(gw, unknown_events(5_001)), headers=auth(tenant, gw)
        )
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["max_events"] == 5_000
    assert await ledger_size(db) == 0


@pytest.mark.parametrize("junk", [0, 1, 12], ids=["valid", "one-invalid", "all-invalid"])
async def test_the_setting_alone_sets_the_limit(db: Database, tenant: Tenant, junk: int) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    async with make_client(db, app_settings(ingest_max_events=12)) as client:
        over = await client.post(
            URL, json=batch(gw, unknown_events(13, junk=junk)), headers=auth(tenant, gw)
        )
        # counted before any event is judged: no rejection list, nothing stored
        assert over.status_code == 413, over.text
        assert over.json()["max_events"] == 12
        assert await ledger_size(db) == 0
        at = await client.post(
            URL, json=batch(gw, unknown_events(12, junk=junk)), headers=auth(tenant, gw)
        )
    assert at.status_code == 200, at.text
    assert at.json()["accepted"] == 12 - junk
    assert len(at.json()["rejected"]) == junk


async def test_a_limit_above_5000_is_honoured(db: Database, tenant: Tenant) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    async with make_client(db, app_settings(ingest_max_events=6_000)) as client:
        response = await client.post(
            URL, json=batch(gw, unknown_events(5_001)), headers=auth(tenant, gw)
        )
    assert response.status_code == 200, response.text[:300]
    assert response.json()["accepted"] == 5_001
    assert await ledger_size(db) == 5_001


async def test_the_config_document_publishes_the_limit_and_fits_batch_max_to_it(
    db: Database, tenant: Tenant
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    async with make_client(db, app_settings(ingest_max_events=6_000)) as client:
        roomy = (await client.get(CONFIG, headers=auth(tenant, gw))).json()
    assert roomy["limits"] == {"max_events_per_batch": 6_000}
    assert roomy["upload"]["batch_max"] == 500  # the default fits
    async with make_client(db, app_settings(ingest_max_events=100)) as client:
        tight = await client.get(CONFIG, headers=auth(tenant, gw))
        etag = tight.headers["etag"]
        # the heartbeat compares with the same document: not stale right after the fetch
        beat = await client.post(
            "/api/v1/gateway/heartbeat",
            json=heartbeat(gw, tight.json()["config_version"], etag),
            headers=auth(tenant, gw),
        )
    assert tight.json()["limits"] == {"max_events_per_batch": 100}
    assert tight.json()["upload"]["batch_max"] == 100  # the default 500 would only get 413s
    assert tight.json()["config_version"] > roomy["config_version"]  # the document changed
    assert beat.status_code == 200, beat.text
    assert beat.json()["config_stale"] is False


def heartbeat(gateway: str, version: int, etag: str) -> dict[str, Any]:
    return {
        "gateway_id": gateway,
        "sent_at": utcnow().isoformat(),
        "version": "test",
        "config_version": version,
        "config_etag": etag,
        "uptime_s": 10.0,
        "adverts_per_s": 0.0,
        "outbox_depth": 0,
        "clock_synced": True,
    }


async def test_an_override_above_the_limit_is_refused(db: Database, office: Office) -> None:
    gw, admin = office.gateway_id, office.bearer("admin")
    url = f"/api/v1/office/gateways/{gw}/config"
    async with make_client(db, app_settings(ingest_max_events=6_000)) as roomy:
        ok = await roomy.put(url, json={"upload": {"batch_max": 6_000}}, headers=admin)
        assert ok.status_code == 200, ok.text
        assert ok.json()["effective"]["upload"]["batch_max"] == 6_000
        over = await roomy.put(url, json={"upload": {"batch_max": 6_001}}, headers=admin)
    assert over.status_code == 422, over.text
    assert "upload.batch_max" in over.json()["detail"]
    assert "6000" in over.json()["detail"]
    # the limit lowered after the override was stored: the document is fitted, never a 500
    async with make_client(db, app_settings(ingest_max_events=1_000)) as tight:
        served = await tight.get(
            CONFIG, headers={"Authorization": f"Bearer {office.gateway_token}"}
        )
    assert served.status_code == 200, served.text
    assert served.json()["upload"]["batch_max"] == 1_000
