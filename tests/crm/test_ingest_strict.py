"""The ingest contract is strict: no value of another JSON type is coerced, times are RFC 3339.

Both validation paths are covered: a batch whose every event is lenient goes through the fast
path first, and one mixed with a good event is sorted event by event.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx2
import pytest
from ingest_support import Tenant, auth, batch, gateway_names, uid_event
from sqlalchemy import text

from crm.core.db import Database
from crm.core.models import utcnow

URL = "/api/v1/gateway/events"

LENIENT: list[tuple[str, Any, str]] = [
    ("seq", "1", "invalid_value"),
    ("seq", True, "invalid_value"),
    ("seq", 1.0, "invalid_value"),
    ("rssi", "-60", "invalid_value"),
    ("rssi", False, "invalid_value"),
    ("distance_m", "2.5", "invalid_value"),
    ("dwell_s", "30", "invalid_value"),
    ("observed_at", 1_790_000_000, "malformed"),  # a Unix number
    ("observed_at", 1_790_000_000.5, "malformed"),
    ("observed_at", "1790000000", "malformed"),  # a Unix number in a string
    ("observed_at", "2026-11-25", "malformed"),  # a date
    ("observed_at", "2026-11-25T17:00:12", "malformed"),  # no offset
    ("observed_at", "2026-11-25T17:00Z", "malformed"),  # no seconds
    ("observed_at", True, "malformed"),
    ("kind", ["enter"], "invalid_kind"),
    ("id", 12345, "invalid_id"),
]


async def stored_ids(db: Database, gateway: str) -> set[uuid.UUID]:
    async with db.session(system=True) as session:
        rows = await session.execute(
            text("SELECT id FROM ingested_event WHERE gateway_id = :g"), {"g": gateway}
        )
        return set(rows.scalars())


@pytest.mark.parametrize("alone", [True, False], ids=["whole-batch", "next-to-a-good-event"])
@pytest.mark.parametrize(("field", "value", "reason"), LENIENT)
async def test_a_value_of_another_type_is_rejected(
    client: httpx2.AsyncClient,
    db: Database,
    tenant: Tenant,
    field: str,
    value: Any,
    reason: str,
    alone: bool,
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    now = utcnow() - timedelta(seconds=30)
    lenient = {**uid_event(tenant.passes["lea"], now), field: value}
    good = uid_event(tenant.passes["lea"], now)
    events = [lenient] if alone else [good, lenient]
    response = await client.post(URL, json=batch(gw, events), headers=auth(tenant, gw))
    assert response.status_code == 200, response.text
    rejected_id = lenient["id"] if isinstance(lenient["id"], str) else None
    assert response.json() == {
        "accepted": 0 if alone else 1,
        "duplicates": 0,
        "rejected": [{"id": rejected_id, "reason": reason}],
    }
    assert await stored_ids(db, gw) == (set() if alone else {uuid.UUID(good["id"])})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sent_at", 1_790_000_000),
        ("sent_at", "1790000000"),
        ("sent_at", "2026-11-25T17:00:12"),
        ("gateway_id", 7),
        ("events", {"0": {}}),
    ],
)
async def test_an_envelope_of_another_type_is_a_422(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant, field: str, value: Any
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    body = {**batch(gw, [uid_event(tenant.passes["lea"], utcnow())]), field: value}
    response = await client.post(URL, json=body, headers=auth(tenant, gw))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][0] == field
    assert await stored_ids(db, gw) == set()


@pytest.mark.parametrize(
    "observed_at",
    [
        "2026-11-25T17:00:12Z",
        "2026-11-25T17:00:12.503Z",
        "2026-11-25T17:00:12.123456+01:00",
        "2026-11-25t17:00:12z",  # RFC 3339 letters are case-insensitive
        "2026-11-25T18:30:12.5+01:30",
    ],
)
async def test_rfc3339_times_are_accepted(
    client: httpx2.AsyncClient, tenant: Tenant, observed_at: str
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    # sent at the same wall time as observed: no clock problem whatever the test's date
    event = {**uid_event(tenant.passes["lea"], utcnow()), "observed_at": observed_at}
    body = {**batch(gw, [event]), "sent_at": observed_at}
    response = await client.post(URL, json=body, headers=auth(tenant, gw))
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
