"""run: scanner → pipeline → outbox → uploader with a fake bleak backend and MockTransport."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import httpx2

from beacon_gateway.clock import SystemClock
from beacon_gateway.config import config_from_mapping
from beacon_gateway.runtime import run_gateway
from eddystone import build_uid

NS = bytes.fromhex("00112233445566778899")
FEAA = "0000feaa-0000-1000-8000-00805f9b34fb"


class FakeScanner:
    """Stands in for BleakScanner: reports one static card every 20 ms while started."""

    instances: ClassVar[list[FakeScanner]] = []

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
        while True:
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
        body = json.loads(gzip.decompress(request.content))
        bodies.append(body)
        n = len(body["events"])
        return httpx2.Response(200, json={"accepted": n, "duplicates": 0, "rejected": []})

    cfg = config_from_mapping(
        {
            "gateway": {"id": "zoo-1", "data_dir": str(tmp_path)},
            "scan": {"restart_interval_s": 0.3},
            "presence": {"dwell_interval_s": 0.5, "exit_timeout_s": 1.0},
            "upload": {"interval_s": 0.2},
        }
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(1.5, stop.set)
    result = await run_gateway(
        cfg,
        "tok",
        clock=SystemClock(synchronized=lambda: True),
        scanner_factory=FakeScanner,
        transport=httpx2.MockTransport(crm),
        stop=stop,
    )
    kinds = [e["kind"] for b in bodies for e in b["events"]]
    assert kinds[0] == "enter"
    assert kinds[-1] == "exit"  # closed on shutdown
    assert kinds.count("enter") == 1
    assert kinds.count("dwell") >= 2
    assert result["outbox"] == 0
    assert result["scan_error"] is None
    assert FakeScanner.instances[-1].starts >= 3  # periodic restarts
    assert FakeScanner.instances[-1].kwargs["bluez"]["filters"] == {"DuplicateData": True}
    assert all(b["gateway_id"] == "zoo-1" for b in bodies)
