"""Rate limits: token buckets per gateway token on ingest and per client address on ``/r/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from ingest_support import FakeClock
from prometheus_client import REGISTRY

from crm.core.db import Database
from crm.core.ratelimit import FailureThrottle, TokenBucket, client_address, client_network
from crm.core.settings import Settings
from crm.main import create_app


def test_bucket_allows_a_burst_then_refills_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3, clock=clock)
    assert [bucket.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take("a") == pytest.approx(0.5)
    assert bucket.take("b") == 0.0  # keys are independent
    clock.now += 0.5
    assert bucket.take("a") == 0.0
    assert bucket.take("a") == pytest.approx(0.5)
    clock.now += 100  # never more than the burst
    assert [bucket.take("a") for _ in range(4)][-1] == pytest.approx(0.5)


def test_refused_attempts_do_not_dig_a_deeper_hole() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=1.0, burst=1, clock=clock)
    assert bucket.take("a") == 0.0
    for _ in range(50):
        assert bucket.take("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert bucket.take("a") == 0.0


def test_bucket_memory_is_bounded() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, max_keys=100, clock=FakeClock())
    for i in range(1000):
        bucket.take(f"k{i}")
    assert len(bucket._buckets) == 100
    assert bucket.take("k999") > 0  # the most recent keys are kept


def test_failure_throttle_reserves_a_try_and_gives_it_back_on_success() -> None:
    clock = FakeClock()
    throttle = FailureThrottle({"client": (1.0, 3)}, clock=clock)
    # Three tries reserved at once (concurrent requests) use the whole burst...
    assert [throttle.attempt(client="a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.attempt(client="a") == pytest.approx(1.0)
    assert throttle.attempt(client="b") == 0.0  # keys are independent
    # ...until one of them turns out right: its try comes back.
    throttle.succeeded(client="a")
    assert throttle.attempt(client="a") == 0.0
    assert throttle.attempt(client="a") == pytest.approx(1.0)
    clock.now += 1.0  # one more try per 1 / rate seconds
    assert throttle.attempt(client="a") == 0.0
    # A failure that reserved nothing still counts, and never digs below empty.
    throttle.failed(client="a")
    clock.now += 1.0
    assert throttle.attempt(client="a") == 0.0


def test_failure_throttle_reserves_every_key_or_none() -> None:
    clock = FakeClock()
    throttle = FailureThrottle({"client": (1.0, 5), "account": (1 / 30, 2)}, clock=clock)
    for _ in range(2):
        assert throttle.attempt(client="ip", account="ip alice") == 0.0
    # The account is out of tries: refused, and the address keeps its three.
    assert throttle.attempt(client="ip", account="ip alice") == pytest.approx(30.0)
    assert [throttle.attempt(client="ip", account=f"ip {name}") for name in "bcd"] == [0.0] * 3
    assert throttle.attempt(client="ip", account="ip eve") == pytest.approx(1.0)


def test_a_rate_of_zero_leaves_a_limit_out_of_the_throttle() -> None:
    throttle = FailureThrottle({"client": (0.0, 1), "account": (1.0, 1)}, clock=FakeClock())
    assert throttle.attempt(client="a", account="x") == 0.0
    assert throttle.attempt(client="a", account="y") == 0.0  # no client limit
    assert throttle.attempt(client="a", account="x") == pytest.approx(1.0)


def test_clients_are_counted_by_address_and_ipv6_by_64() -> None:
    assert client_network("203.0.113.7") == "203.0.113.7"
    assert client_network("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_network("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert client_network(None) == "unknown"
    scope: dict[str, Any] = {"client": ("2001:db8:1:2::99", 443)}
    assert client_address(scope) == "ip:2001:db8:1:2::/64"
    assert client_address({"client": None}) == "ip:unknown"


def test_limited_operations_document_429_with_retry_after(db: Database) -> None:
    document = create_app(app_settings(db), db=db).openapi()
    for path, method in (
        ("/api/v1/gateway/events", "post"),
        ("/api/v1/gateway/heartbeat", "post"),
        ("/api/v1/gateway/config", "get"),
        ("/api/v1/enrol", "post"),
    ):
        answer = document["paths"][path][method]["responses"]["429"]
        assert "Retry-After" in answer["headers"], path
        assert "application/problem+json" in answer["content"], path
    assert "429" not in document["paths"]["/api/v1/notice"]["get"]["responses"]


def app_settings(db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "scheduler_enabled": False,
        "ratelimit_ingest_per_s": 0.01,
        "ratelimit_ingest_burst": 2,
        "ratelimit_roadbook_per_s": 0.01,
        "ratelimit_roadbook_burst": 3,
    }
    values.update(overrides)
    return Settings(_env_file=None, database_url=db.url, **values)  # type: ignore[call-arg]


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=create_app(app_settings(db), db=db))
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def limited_count(scope: str) -> float:
    return REGISTRY.get_sample_value("balise_rate_limited_total", {"scope": scope}) or 0.0


async def test_ingest_is_limited_per_gateway_token(client: httpx2.AsyncClient) -> None:
    before = limited_count("gateway ingest")
    one = {"Authorization": "Bearer " + "a" * 43}
    statuses = [
        (await client.post("/api/v1/gateway/events", headers=one, json={})).status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 429]
    refused = await client.post("/api/v1/gateway/events", headers=one, json={})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-request-id"]
    assert refused.headers["referrer-policy"] == "no-referrer"
    body = refused.json()
    assert body["status"] == 429 and body["title"] == "Too Many Requests"
    assert body["instance"] == "/api/v1/gateway/events"
    # Another gateway is not affected, nor are other gateway endpoints.
    other = {"Authorization": "Bearer " + "b" * 43}
    assert (await client.post("/api/v1/gateway/events", headers=other, json={})).status_code == 401
    assert limited_count("gateway ingest") == before + 2


async def test_roadbook_is_limited_per_client_address(client: httpx2.AsyncClient) -> None:
    statuses = [(await client.get(f"/r/{'x' * 43}/feed.json")).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    refused = await client.get(f"/r/{'y' * 43}/feed.json")  # a different token, the same client
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert "retry-after" in refused.headers
    # The widget's anonymous roadbooks run the engine for anyone: the same bucket.
    widget = await client.get("/widget/site/nowhere/zoo.json")
    assert widget.status_code == 429
    # Other routes are not limited.
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/widget.js")).status_code == 200


async def test_a_rate_of_zero_disables_the_limits(db: Database) -> None:
    settings = app_settings(db, ratelimit_ingest_per_s=0, ratelimit_roadbook_per_s=0)
    transport = httpx2.ASGITransport(app=create_app(settings, db=db))
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as c:
        for _ in range(10):
            assert (await c.get(f"/r/{'x' * 43}/feed.json")).status_code == 404
