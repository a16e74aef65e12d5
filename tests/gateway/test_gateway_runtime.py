"""run: scanner → pipeline → outbox → uploader with a fake bleak backend and MockTransport.

The gateway runs on a :class:`ManualClock` that the fake backend moves on by 0.1 s before each
report, so the events are the same however fast the machine is; only the periodic scan restart
(asyncio timeouts, no clock) runs on real time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import httpx2

from beacon_gateway.clock import ManualClock
from beacon_gateway.config import config_from_mapping
from beacon_gateway.runtime import run_gateway
from eddystone import build_uid
from tests.gateway.upload_support import accept, gunzipped

NS = bytes.fromhex("00112233445566778899")
FEAA = "0000feaa-0000-1000-8000-00805f9b34fb"
T0 = 1_795_600_000.0
REPORTS = 20  # at T0 + 0.1 s, T0 + 0.2 s, ... T0 + 2.0 s


class FakeScanner:
    """Stands in for BleakScanner: one static card, a report every 20 ms while started, each
    0.1 s after the previous one on ``CLOCK``; silent after ``REPORTS`` reports."""

    instances: ClassVar[list[FakeScanner]] = []
    clock: ClassVar[ManualClock]
    reports: ClassVar[int] = 0

    def __init__(self, detection_callback: Any, **kwargs: Any) -> None:
        self.callback = detection_callback
        self.kwargs = kwargs
        self.task: asyncio.Task[None] | None = None
        self.starts = 0
        FakeScanner.instances.append(self)

    async def _feed(self) -> None:
        device = SimpleNamespace(address="C4:7C:8D:6A:1B:2F")
        adv = SimpleNamespace(
            service_data={FEAA: build_uid(-18, NS, bytes(6))},
            manufacturer_data={},
            rssi=-60,
            local_name=None,
            tx_power=None,
        )
        while FakeScanner.reports < REPORTS:
            FakeScanner.reports += 1
            FakeScanner.clock.set(T0 + FakeScanner.reports / 10)
            self.callback(device, adv)
            await asyncio.sleep(0.02)

    async def start(self) -> None:
        self.starts += 1
        self.task = asyncio.create_task(self._feed())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()


async def test_run_gateway_end_to_end(tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []

    def crm(request: httpx2.Request) -> httpx2.Response:
        if request.url.path != "/api/v1/gateway/events":
            return httpx2.Response(404)  # heartbeat and config: tested in test_gateway_fleet
        body = gunzipped(request)
        bodies.append(body)
        return accept(body)

    cfg = config_from_mapping(
        {
            "gateway": {"id": "zoo-1", "data_dir": str(tmp_path)},
            "scan": {"restart_interval_s": 0.3},
            "presence": {"dwell_interval_s": 0.5, "exit_timeout_s": 1.0},
            "upload": {"interval_s": 0.2},
        }
    )
    FakeScanner.clock, FakeScanner.reports = ManualClock(T0), 0
    stop = asyncio.Event()
    run = asyncio.create_task(
        run_gateway(
            cfg,
            "tok",
            clock=FakeScanner.clock,
            scanner_factory=FakeScanner,
            transport=httpx2.MockTransport(crm),
            stop=stop,
        )
    )
    # Every report heard, and the scan restarted twice (real time: restart_interval_s).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while FakeScanner.reports < REPORTS or FakeScanner.instances[-1].starts < 3:
        assert not run.done(), run.result()
        assert loop.time() < deadline, "timed out waiting for the reports and two restarts"
        await asyncio.sleep(0.02)
    stop.set()
    result = await run

    events = [(e["kind"], e["observed_at"], e["dwell_s"]) for b in bodies for e in b["events"]]
    # Entered at the second report (min_sightings), a dwell every 0.5 s, and on shutdown the
    # exit exit_timeout_s after the last report (T0 + 2.0 s), after the dwells due before it.
    assert events == [
        ("enter", "2026-11-25T09:46:40.200Z", 0.0),
        ("dwell", "2026-11-25T09:46:40.700Z", 0.5),
        ("dwell", "2026-11-25T09:46:41.200Z", 1.0),
        ("dwell", "2026-11-25T09:46:41.700Z", 1.5),
        ("dwell", "2026-11-25T09:46:42.200Z", 2.0),
        ("dwell", "2026-11-25T09:46:42.700Z", 2.5),
        ("exit", "2026-11-25T09:46:43.000Z", 2.8),
    ]
    assert result["adverts"] == REPORTS
    assert result["outbox"] == 0
    assert result["accepted"] == len(events)
    assert result["scan_error"] is None
    assert FakeScanner.instances[-1].kwargs["bluez"]["filters"] == {"DuplicateData": True}
    assert all(b["gateway_id"] == "zoo-1" for b in bodies)
