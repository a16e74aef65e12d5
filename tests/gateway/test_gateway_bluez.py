"""The real bleak scanner against python-dbusmock's BlueZ on a private system bus.

bleak wants its own event loop per bus, while pytest-asyncio runs one loop for the session: the
scanner runs in a thread with its own loop (``asyncio.run``), and this test drives the mock from
the main thread with blocking dbus-python calls. Presence runs on a :class:`ManualClock` the
test moves with each round of frames, so its events do not depend on how fast the machine is;
the scanner's periodic restart (asyncio timeouts) runs on real time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import dbus
import pytest

from beacon_gateway.clock import ManualClock
from beacon_gateway.config import config_from_mapping
from beacon_gateway.events import ProximityEvent
from beacon_gateway.pipeline import Pipeline
from beacon_gateway.scanner import Scanner
from eddystone import build_uid
from tests.gateway.bluez_support import ADAPTER, add_device, bluez, push  # noqa: F401 (fixture)

pytestmark = pytest.mark.bluez


NS = bytes.fromhex("00112233445566778899")
INST = bytes.fromhex("aabbccddeeff")
T0 = 1_795_600_000.0


class GatewayThread(threading.Thread):
    """Scanner + pipeline on their own event loop, with a 0.1 s (real) timer tick."""

    def __init__(self, mode: str) -> None:
        super().__init__(daemon=True)
        cfg = config_from_mapping(
            {
                "scan": {"namespaces": [NS.hex()], "restart_interval_s": 0.5, "mode": mode},
                "presence": {
                    "exit_timeout_s": 1.5,
                    "dwell_interval_s": 1.0,
                    "smoothing_window_s": 0.5,
                },
            }
        )
        self.clock = ManualClock(T0)  # moved by the test thread only
        self.pipeline = Pipeline(cfg, make_id=lambda at: "id")
        self.events: list[ProximityEvent] = []
        self.scanner = Scanner(cfg.scan, self._on_advert, self.clock)
        self.started = threading.Event()
        self.error: BaseException | None = None
        self._stop_requested = threading.Event()

    def _on_advert(self, adv: Any) -> None:
        self.events += self.pipeline.process(adv)

    async def _main(self) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(self.scanner.run(stop))
        while self.scanner._scanner is None and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        self.started.set()
        while not self._stop_requested.is_set():
            self.events += self.pipeline.advance(self.clock.now())
            await asyncio.sleep(0.1)
        stop.set()
        await task

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self.error = exc
            self.started.set()

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(10)


@pytest.mark.parametrize("mode", ["active", "passive"])
def test_frames_over_dbus_become_events_and_a_repeating_pass_stays(bluez: Any, mode: str) -> None:  # noqa: F811
    gw = GatewayThread(mode)
    gw.start()
    assert gw.started.wait(10)
    assert gw.error is None, gw.error
    adapter = bluez.get_object("org.bluez", ADAPTER)
    get = adapter.Get
    discovering = get("org.bluez.Adapter1", "Discovering", dbus_interface=dbus.PROPERTIES_IFACE)
    assert bool(discovering) == (mode == "active")  # passive = a monitor, not discovery

    frame = build_uid(-18, NS, INST)
    foreign = build_uid(-18, bytes(10), bytes(6))
    card = add_device(bluez, "C4:7C:8D:6A:1B:2F", -60, frame)
    other = add_device(bluez, "C4:7C:8D:6A:1B:30", -50, foreign)
    # The same frame, over and over, for 3 s of the gateway's clock (twice exit_timeout_s),
    # paced in real time so that the scanner restarts meanwhile.
    for i in range(20):
        gw.clock.set(T0 + 0.15 * i)
        push(card, -60 - (i % 2), frame)
        push(other, -50, foreign)
        time.sleep(0.15)
    during = [e.kind for e in gw.events]
    # Silence, on a clock that now runs ten times faster than real time: the exit falls due
    # exit_timeout_s after the last frame heard.
    deadline = time.monotonic() + 10
    while not gw.events or gw.events[-1].kind != "exit":
        assert time.monotonic() < deadline, "no exit after the silence"
        gw.clock.set(gw.clock.now() + 0.5)
        time.sleep(0.05)
    gw.stop()
    assert gw.error is None, gw.error

    assert during[0] == "enter"
    assert "exit" not in during, "a pass repeating an identical frame stays present"
    # entered at the first frames (T0 or T0 + 0.15): dwells 1 s and 2 s later, none at 3 s
    assert during.count("dwell") == 2
    kinds = [e.kind for e in gw.events]
    assert kinds[-1] == "exit"
    assert kinds.count("enter") == 1
    exit_event = gw.events[-1]
    assert exit_event.device == {
        "type": "eddystone-uid",
        "namespace": NS.hex(),
        "instance": INST.hex(),
    }
    assert gw.pipeline.counters.filtered_namespace >= 10
    assert gw.scanner.stats.reports >= 20
    assert gw.scanner.stats.restarts >= 4  # the duplicate-filter remedy ran
    assert gw.scanner.stats.restart_failures == 0
