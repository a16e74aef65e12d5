"""Prometheus metrics an operator alerts on, read through ``GET /metrics`` as Prometheus would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from ingest_support import Tenant, app_settings, auth, batch, make_client, seed_tenant, uid_event
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from crm.core import metrics
from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.fleet import jobs as fleet_jobs
from crm.ingest import jobs as ingest_jobs


def scrape(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    async with make_client(db, app_settings(database_url=db.url)) as c:
        yield c


@pytest.fixture
async def fleet(db: Database) -> Tenant:
    """Five gateways: online, stale, offline, never heard from, and online with a backlog."""
    tenant = await seed_tenant(
        db,
        f"ops-{uuid.uuid4().hex[:6]}",
        sites={"spa": ["ops-online", "ops-stale", "ops-offline", "ops-never", "ops-backlog"]},
        visitors_={"lea": ["proximity"]},
    )
    now = utcnow()
    beats: dict[str, tuple[timedelta | None, dict[str, Any]]] = {
        "ops-online": (timedelta(seconds=10), {"outbox_oldest_age_s": 3.5}),
        "ops-stale": (timedelta(minutes=5), {"outbox_oldest_age_s": "not a number"}),
        "ops-offline": (timedelta(hours=2), {}),
        "ops-never": (None, {}),
        "ops-backlog": (timedelta(seconds=30), {"outbox_oldest_age_s": 5400.0}),
    }
    async with db.session(system=True) as session:
        for name, (ago, heartbeat) in beats.items():
            await session.execute(
                text(
                    "UPDATE gateway SET last_heartbeat_at = :at, heartbeat = CAST(:hb AS jsonb)"
                    " WHERE id = :id"
                ),
                {"id": name, "at": now - ago if ago else None, "hb": _json(heartbeat)},
            )
        await session.commit()
    return tenant


def _json(value: dict[str, Any]) -> str:
    import json

    return json.dumps(value)


async def test_metrics_report_the_fleet_partitions_leader_and_eid_table(
    client: httpx2.AsyncClient, fleet: Tenant
) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    samples = scrape(response.text)
    for state, count in {"online": 2, "stale": 1, "offline": 1, "never": 1}.items():
        assert samples[("balise_gateways", (("state", state),))] == count
    assert samples[("balise_gateway_outbox_oldest_age_seconds", ())] == 5400.0
    assert samples[("balise_event_partition_next_month_missing", ())] == 0
    assert samples[("balise_scheduler_leader_present", ())] == 0
    assert samples[("balise_scheduler_last_leader_heartbeat", ())] == 0
    assert samples[("balise_eid_window_age_seconds", ())] == 0
    assert samples[("balise_visit_queue_oldest_age_seconds", ())] == 0
    assert samples[("balise_metrics_database_up", ())] == 1


async def test_missing_next_month_partition_is_reported(
    client: httpx2.AsyncClient, db: Database
) -> None:
    name = ingest_jobs.partition_name(ingest_jobs.month_start(utcnow().date(), 1))
    async with db.session(system=True) as session:
        await session.execute(text(f"ALTER TABLE proximity_event DETACH PARTITION {name}"))
        await session.commit()
    samples = scrape((await client.get("/metrics")).text)
    assert samples[("balise_event_partition_next_month_missing", ())] == 1


async def test_ingest_outcomes_are_counted(
    client: httpx2.AsyncClient, db: Database, fleet: Tenant
) -> None:
    before = scrape((await client.get("/metrics")).text)
    now = utcnow()
    good = uid_event(fleet.passes["lea"], now)
    too_old = uid_event(fleet.passes["lea"], now - timedelta(days=90))
    body = batch("ops-online", [good, too_old])
    first = await client.post(
        "/api/v1/gateway/events", json=body, headers=auth(fleet, "ops-online")
    )
    assert first.status_code == 200, first.text
    again = await client.post(
        "/api/v1/gateway/events", json=body, headers=auth(fleet, "ops-online")
    )
    assert again.json()["duplicates"] == 1
    reason = first.json()["rejected"][0]["reason"]
    after = scrape((await client.get("/metrics")).text)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("balise_ingest_events_total", outcome="accepted") == 1
    assert delta("balise_ingest_events_total", outcome="duplicate") == 1
    assert delta("balise_ingest_events_total", outcome="rejected") == 2
    assert delta("balise_ingest_rejected_total", reason=reason) == 2


async def test_a_scrape_never_fails_when_the_database_is_down() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    down = Database(url, pool_pre_ping=False)
    try:
        settings = Settings(_env_file=None, database_url=url, scheduler_enabled=False)  # type: ignore[call-arg]
        async with make_client(down, settings) as c:
            response = await c.get("/metrics")
        assert response.status_code == 200
        assert scrape(response.text)[("balise_metrics_database_up", ())] == 0
    finally:
        await down.dispose()


async def test_gateway_health_job_publishes_the_fleet(db: Database, fleet: Tenant) -> None:
    settings = app_settings(database_url=db.url)
    metrics.GATEWAYS.labels("offline").set(-1)
    await fleet_jobs.check_gateways(db, settings)
    assert metrics.GATEWAYS.labels("offline")._value.get() == 1
    assert metrics.OUTBOX_OLDEST_AGE._value.get() == 5400.0
    assert fleet_jobs._previous["ops-offline"] == "offline"


def test_gateway_states_by_heartbeat_age() -> None:
    settings = app_settings(gateway_stale_s=180, gateway_offline_s=900)
    now = utcnow()
    assert fleet_jobs.classify(None, now, settings) == "never"
    assert fleet_jobs.classify(now - timedelta(seconds=179), now, settings) == "online"
    assert fleet_jobs.classify(now - timedelta(seconds=180), now, settings) == "stale"
    assert fleet_jobs.classify(now - timedelta(seconds=899), now, settings) == "stale"
    assert fleet_jobs.classify(now - timedelta(seconds=900), now, settings) == "offline"
