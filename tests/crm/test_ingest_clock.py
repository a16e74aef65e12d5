"""Absurd gateway clocks: any ``sent_at`` / ``observed_at`` a client sends is decided, never a 500.

The rule: the batch's offset ``now - sent_at`` corrects every ``observed_at`` when
it exceeds ``clock_skew_correction_s``; a corrected time outside ``[now - ingest_past_days,
now + ingest_future_s]`` is rejected with ``clock``. Checked against an oracle in whole
microseconds for any pair of aware datetimes, years 1 to 9999 with any offset.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx2
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ingest_support import Tenant, app_settings, auth, gateway_names, uid_event
from sqlalchemy import text

from crm.core.clock import FrozenClock
from crm.core.db import Database
from crm.core.models import utcnow
from crm.ingest import service
from crm.ingest.schemas import IngestResult

URL = "/api/v1/gateway/events"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SETTINGS = app_settings()


def wire(moment: datetime) -> str:
    """RFC 3339 as a client may write it (any offset, year 1 to 9999)."""
    return moment.isoformat()


def body(gateway: str, sent_at: datetime, event: dict[str, object]) -> dict[str, object]:
    return {"gateway_id": gateway, "sent_at": wire(sent_at), "events": [event]}


def event_at(tenant: Tenant, observed_at: datetime) -> dict[str, object]:
    return {**uid_event(tenant.passes["lea"], utcnow()), "observed_at": wire(observed_at)}


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def expected_accept(now: datetime, sent_at: datetime, observed_at: datetime) -> bool:
    """The rule in integers: nothing here can overflow."""
    offset = micros(now) - micros(sent_at)
    if abs(offset) <= SETTINGS.clock_skew_correction_s * 1_000_000:
        offset = 0
    corrected = micros(observed_at) + offset
    earliest = micros(now) - SETTINGS.ingest_past_days * 86_400_000_000
    latest = micros(now) + int(SETTINGS.ingest_future_s * 1_000_000)
    return earliest <= corrected <= latest


FAR = [
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
]
FAR_IDS = ["9999", "9999-2359", "0001", "0001+2359"]
NOW = datetime(2000, 1, 1, tzinfo=UTC)  # stands for the server's now below


@pytest.mark.parametrize(
    ("sent_at", "observed_at"),
    [
        (FAR[0], NOW),
        (FAR[1], NOW),
        (FAR[2], NOW),
        (FAR[3], NOW),
        (NOW, FAR[0]),
        (NOW, FAR[1]),
        (NOW, FAR[2]),
        (NOW, FAR[3]),
        (FAR[0], FAR[2]),
        (FAR[1], FAR[3]),
        (FAR[2], FAR[0]),
        (FAR[3], FAR[1]),
        (FAR[0], FAR[1]),  # the same wall time, observed a day after it was sent
        (FAR[3], FAR[2]),
    ],
)
async def test_absurd_clocks_are_a_clock_rejection(
    client: httpx2.AsyncClient, tenant: Tenant, sent_at: datetime, observed_at: datetime
) -> None:
    gw = gateway_names(tenant, "spa-gw1")[0]
    now = utcnow()
    event = event_at(tenant, now if observed_at is NOW else observed_at)
    sent = now if sent_at is NOW else sent_at
    response = await client.post(URL, json=body(gw, sent, event), headers=auth(tenant, gw))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [{"id": event["id"], "reason": "clock"}],
    }


@pytest.mark.parametrize("sent_at", FAR, ids=FAR_IDS)
async def test_a_consistent_clock_at_the_ends_of_time_is_corrected(
    client: httpx2.AsyncClient,
    db: Database,
    tenant: Tenant,
    sent_at: datetime,
    crm_clock: FrozenClock,
) -> None:
    """A gateway whose clock says year 1 or 9999 is only off: its events land 40 s ago."""
    gw = gateway_names(tenant, "spa-gw1")[0]
    observed_at = sent_at - timedelta(seconds=40) if sent_at.year == 9999 else sent_at
    sent = sent_at if sent_at.year == 9999 else sent_at + timedelta(seconds=40)
    event = event_at(tenant, observed_at)
    response = await client.post(URL, json=body(gw, sent, event), headers=auth(tenant, gw))
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    async with db.session(system=True) as session:
        stored = (
            await session.execute(
                text("SELECT observed_at FROM proximity_event WHERE id = :i"),
                {"i": uuid.UUID(str(event["id"]))},
            )
        ).scalar_one()
    assert stored == crm_clock.now() - timedelta(seconds=40)


async def test_the_window_is_read_on_the_crm_clock_ends_included(
    client: httpx2.AsyncClient, tenant: Tenant, crm_clock: FrozenClock
) -> None:
    """[now - ingest_past_days, now + ingest_future_s], to the microsecond, now being the CRM's."""
    gw = gateway_names(tenant, "spa-gw1")[0]
    now = crm_clock.now()
    earliest = now - timedelta(days=SETTINGS.ingest_past_days)
    latest = now + timedelta(seconds=SETTINGS.ingest_future_s)
    tick = timedelta(microseconds=1)

    def at(moment: datetime) -> dict[str, object]:
        # an unknown pass: counted, so the outcome does not depend on consent
        return {**uid_event("ffffffffffff", now), "observed_at": wire(moment)}

    inside = [at(earliest), at(latest)]
    outside = [at(earliest - tick), at(latest + tick)]
    payload = {"gateway_id": gw, "sent_at": wire(now), "events": inside + outside}
    response = await client.post(URL, json=payload, headers=auth(tenant, gw))
    assert response.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": [{"id": e["id"], "reason": "clock"} for e in outside],
    }
    # a microsecond later on the CRM's clock, the oldest end has left the window
    crm_clock.advance(tick)
    late = at(earliest)
    payload = {"gateway_id": gw, "sent_at": wire(now), "events": [late]}
    response = await client.post(URL, json=payload, headers=auth(tenant, gw))
    assert response.json() == {
        "accepted": 0,
        "duplicates": 0,
        "rejected": [{"id": late["id"], "reason": "clock"}],
    }


offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
anytime = st.datetimes(timezones=offsets)


@st.composite
def clock_pairs(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """(sent_at, observed_at): anywhere, or observed near sent_at (a consistent clock)."""
    sent_at = draw(anytime)
    near = draw(st.timedeltas(min_value=timedelta(days=-40), max_value=timedelta(days=1)))
    kind = draw(st.sampled_from(["any", "near-sent"]))
    if kind == "any":
        return sent_at, draw(anytime)
    try:
        observed_at = (sent_at + near).astimezone(draw(offsets))
    except OverflowError:
        observed_at = draw(anytime)
    return sent_at, observed_at


# Examples that run against the test database: slow, and sharing the test's fixtures.
AGAINST_THE_DATABASE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(AGAINST_THE_DATABASE, max_examples=300)
@given(pair=clock_pairs())
async def test_any_clock_pair_is_decided_by_the_rule(
    db: Database, tenant: Tenant, pair: tuple[datetime, datetime]
) -> None:
    sent_at, observed_at = pair
    gw = gateway_names(tenant, "zoo-gw1")[0]
    source = service.Source(gw, tenant.destination_id, tenant.sites["zoo"])
    # an unknown pass: counted, so the outcome does not depend on consent
    event = {**uid_event("ffffffffffff", utcnow()), "observed_at": wire(observed_at)}
    raw = httpx2.Request("POST", "http://x", json=body(gw, sent_at, event)).read()
    now = utcnow()
    async with db.session(tenant.destination_id) as session, session.begin():
        result = await service.ingest_batch(
            session, source, service.parse_batch(raw), SETTINGS, now
        )
    if expected_accept(now, sent_at, observed_at):
        assert result == IngestResult(accepted=1, duplicates=0, rejected=[])
    else:
        assert result.model_dump() == {
            "accepted": 0,
            "duplicates": 0,
            "rejected": [{"id": event["id"], "reason": "clock"}],
        }


@settings(AGAINST_THE_DATABASE, max_examples=60)
@given(pair=clock_pairs())
async def test_no_clock_pair_is_a_server_error(
    client: httpx2.AsyncClient, tenant: Tenant, pair: tuple[datetime, datetime]
) -> None:
    sent_at, observed_at = pair
    assume(sent_at.utcoffset() is not None)
    gw = gateway_names(tenant, "spa-gw2")[0]
    event = event_at(tenant, observed_at)
    response = await client.post(URL, json=body(gw, sent_at, event), headers=auth(tenant, gw))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["accepted"] + len(answer["rejected"]) == 1
    assert all(r["reason"] == "clock" for r in answer["rejected"])
