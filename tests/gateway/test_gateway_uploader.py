"""Uploader: every docs/architecture.md rule, against httpx2's MockTransport."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest

from beacon_gateway.clock import ManualClock
from beacon_gateway.config import UploadConfig
from beacon_gateway.outbox import Outbox
from beacon_gateway.uploader import Outcome, Uploader
from tests.gateway.upload_support import T0, accept, gunzipped
from tests.gateway.upload_support import event as ev

Handler = Callable[[httpx2.Request], httpx2.Response]


class Server:
    """Records requests; answers with the queued responses (or accepts everything)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[httpx2.Headers] = []
        self.queue: list[Handler] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = gunzipped(request)
        self.requests.append(body)
        self.headers.append(request.headers)
        if self.queue:
            return self.queue.pop(0)(request)
        return accept(body)


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = Server()
    box = Outbox(tmp_path / "o.db")
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    up = Uploader(
        box,
        client,
        gateway_id="zoo-1",
        token="s3cret",
        crm_url="http://crm.test/",
        config=UploadConfig(batch_max=4, backoff_max_s=60.0),
        clock=ManualClock(T0 + 100),
        rng=lambda: 1.0,  # the jitter's upper bound, so delays are exact
    )
    yield server, box, up
    box.close()


async def test_batch_shape_gzip_and_bearer(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(1), ev(2)])
    assert await up.upload_once() == (Outcome.SENT, 0.0)
    (body,) = server.requests
    headers = server.headers[0]
    assert headers["authorization"] == "Bearer s3cret"
    assert headers["content-encoding"] == "gzip"
    assert headers["content-type"] == "application/json"
    assert body["gateway_id"] == "zoo-1"
    assert body["sent_at"] == "2026-11-25T09:48:20.000Z"
    assert [e["seq"] for e in body["events"]] == [1, 2]
    assert set(body["events"][0]) == {
        "id",
        "seq",
        "kind",
        "observed_at",
        "device",
        "rssi",
        "distance_m",
        "zone",
        "dwell_s",
    }
    assert box.depth == 0
    assert (up.state.accepted, up.state.batches) == (2, 1)
    assert await up.upload_once() == (Outcome.IDLE, 0.0)


async def test_batches_are_bounded_and_in_order(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(n) for n in range(1, 11)])
    assert await up.drain(5.0)
    assert [len(r["events"]) for r in server.requests] == [4, 4, 2]
    assert [e["seq"] for r in server.requests for e in r["events"]] == list(range(1, 11))


async def test_rejected_events_are_counted_and_removed(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(1), ev(2), ev(3)])
    bad = "00000000-0000-7000-8000-000000000002"
    server.queue.append(lambda req: accept(gunzipped(req), [{"id": bad, "reason": "clock"}]))
    assert (await up.upload_once())[0] is Outcome.SENT
    assert box.depth == 0
    assert up.state.rejected == 1
    assert up.state.rejected_reasons == {"clock": 1}
    assert up.state.accepted == 2


@pytest.mark.parametrize("code", [401, 403])
async def test_auth_refused_stops_and_keeps_outbox(setup, code: int) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(1)])
    server.queue.append(lambda req: httpx2.Response(code))
    assert await up.upload_once() == (Outcome.STOPPED, 0.0)
    assert up.state.auth_failed
    assert box.depth == 1
    assert await up.upload_once() == (Outcome.STOPPED, 0.0)
    assert len(server.requests) == 1  # no more traffic


async def test_413_halves_the_batch(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(n) for n in range(1, 6)])
    server.queue += [lambda r: httpx2.Response(413), lambda r: httpx2.Response(413)]
    assert await up.upload_once() == (Outcome.RETRY, 0.0)
    assert up.batch_size == 2
    assert await up.upload_once() == (Outcome.RETRY, 0.0)
    assert up.batch_size == 1
    assert (await up.upload_once())[0] is Outcome.SENT
    assert [len(r["events"]) for r in server.requests] == [4, 2, 1]
    assert up.batch_size == 2  # grows back after a success


async def test_413_naming_the_crms_limit_goes_straight_to_it_and_never_past_it(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(n) for n in range(1, 12)])
    limit = {"title": "Payload Too Large", "status": 413, "max_events": 3}
    server.queue.append(lambda r: httpx2.Response(413, json=limit))
    assert await up.upload_once() == (Outcome.RETRY, 0.0)
    assert up.batch_size == 3
    for _ in range(3):  # successes grow the batch back, up to the CRM's limit only
        assert (await up.upload_once())[0] is Outcome.SENT
        assert up.batch_size == 3
    assert [len(r["events"]) for r in server.requests] == [4, 3, 3, 3]
    # A limit the batch already fits (or none, or nonsense) is a plain halving.
    for body in ({"max_events": 10}, {"max_events": "3"}, ["x"]):
        up.batch_size = 2
        server.queue.append(lambda r, body=body: httpx2.Response(413, json=body))
        assert await up.upload_once() == (Outcome.RETRY, 0.0)
        assert up.batch_size == 1


async def test_413_on_a_single_event_drops_it(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    up.batch_size = 1
    box.add([ev(1), ev(2)])
    server.queue.append(lambda r: httpx2.Response(413))
    assert (await up.upload_once())[0] is Outcome.SENT
    assert up.state.rejected_reasons == {"too_large": 1}
    assert [e.seq for e in box.pending(10)] == [2]


@pytest.mark.parametrize("code", [429, 503])
async def test_retry_after_seconds_and_date(setup, code: int) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(1)])
    server.queue.append(lambda r: httpx2.Response(code, headers={"Retry-After": "17"}))
    assert await up.upload_once() == (Outcome.RETRY, 17.0)
    date = "Wed, 25 Nov 2026 09:50:00 GMT"  # 100 s after the gateway's clock
    server.queue.append(lambda r: httpx2.Response(code, headers={"Retry-After": date}))
    assert await up.upload_once() == (Outcome.RETRY, 100.0)
    assert box.depth == 1


async def test_5xx_and_network_errors_back_off_exponentially(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(1)])

    def boom(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    server.queue += [lambda r: httpx2.Response(500), boom, lambda r: httpx2.Response(502)]
    server.queue += [lambda r: httpx2.Response(503)]  # 503 without Retry-After: backoff too
    delays = [(await up.upload_once())[1] for _ in range(4)]
    assert delays == [1.0, 2.0, 4.0, 8.0]
    assert box.depth == 1
    for _ in range(10):
        server.queue.append(lambda r: httpx2.Response(500))
        _, delay = await up.upload_once()
    assert delay == 60.0  # capped at backoff_max_s
    assert (await up.upload_once())[0] is Outcome.SENT
    assert up.state.failures == 0


async def test_jitter_is_applied(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    box.add([ev(1)])
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda r: httpx2.Response(500)))
    up = Uploader(
        box,
        client,
        gateway_id="g",
        token="t",
        crm_url="http://x",
        config=UploadConfig(),
        clock=ManualClock(T0),
        rng=lambda: 0.25,
    )
    assert [(await up.upload_once())[1] for _ in range(3)] == [0.25, 0.5, 1.0]
    box.close()


async def test_unreadable_200_keeps_the_events(setup) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(1)])
    server.queue.append(lambda r: httpx2.Response(200, text="<html>proxy</html>"))
    assert (await up.upload_once())[0] is Outcome.RETRY
    assert box.depth == 1


async def test_unsynchronised_clock_holds_monotonic_events(tmp_path: Path) -> None:
    from beacon_gateway.clock import SystemClock

    synced = [False]
    clock = SystemClock(
        synchronized=lambda: synced[0], poll_s=0.0, monotonic=lambda: 50.0, unix=lambda: T0
    )
    server = Server()
    box = Outbox(tmp_path / "o.db")
    box.add([ev(1, at=50.0)], base=clock.base())  # monotonic 51 s
    up = Uploader(
        box,
        httpx2.AsyncClient(transport=httpx2.MockTransport(server)),
        gateway_id="g",
        token="t",
        crm_url="http://x",
        config=UploadConfig(),
        clock=clock,
    )
    assert await up.upload_once() == (Outcome.IDLE, 0.0)
    synced[0] = True
    assert (await up.upload_once())[0] is Outcome.SENT
    (body,) = server.requests
    # monotonic 51 s + offset (T0 - 50 s) = T0 + 1 s
    assert body["events"][0]["observed_at"] == "2026-11-25T09:46:41.000Z"
    box.close()


async def test_the_retry_message_names_the_url(setup, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    server, box, up = setup
    box.add([ev(1)])

    def boom(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    server.queue.append(boom)
    with caplog.at_level(logging.WARNING, logger="beacon_gateway.uploader"):
        await up.upload_once()
    assert (
        "upload to http://crm.test/api/v1/gateway/events failed "
        "(network: ConnectError: refused); retrying in 1.0 s"
    ) in caplog.messages
