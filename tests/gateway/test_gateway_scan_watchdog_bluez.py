"""The watchdog shell against python-dbusmock's BlueZ: real D-Bus reads of ``Discovering``, a
real bleak scanner restarted, ``Powered`` really toggled, and the exit decision reported.

The gateway side (bleak scanner, watchdog shell, a dbus-fast listener recording the adapter's
``PropertiesChanged``) runs in a thread with its own event loop; the test drives the mock with
blocking dbus-python calls (recipe of test_gateway_bluez.py). The watchdog runs on a
:class:`ManualClock` moved ``TICK`` s before each check (and by whatever the test adds), so its
silences and back-offs are counted in checks, not in the machine's speed.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import dbus
import pytest
from dbus_fast import BusType, Message, MessageType
from dbus_fast.aio import MessageBus

from beacon_gateway.adapter import BluezAdapter
from beacon_gateway.advertiser import add_match
from beacon_gateway.clock import ManualClock
from beacon_gateway.config import ScanConfig
from beacon_gateway.scan_watchdog import EXIT_STALLED, ScanWatchdog
from beacon_gateway.scanner import Scanner
from beacon_gateway.stall_ladder import Action, Watchdog
from tests.gateway.bluez_support import ADAPTER, bluez  # noqa: F401 (the fixture)

pytestmark = pytest.mark.bluez

MOCK = "org.freedesktop.DBus.Mock"
TICK = 0.1  # the watchdog's clock moves this much before each check


class WatchdogThread(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        # no periodic restart during the test: every StartDiscovery after the first is the
        # watchdog's
        self.scan = ScanConfig(restart_interval_s=600.0, watchdog_silence_s=0.3)
        self.clock = ManualClock(1_795_600_000.0)  # moved by this thread only
        self.jumps: queue.SimpleQueue[float] = queue.SimpleQueue()  # extra seconds, from the test
        self.scanner = Scanner(self.scan, lambda adv: None, self.clock)
        self.exits: list[int] = []
        self.actions: list[Action] = []
        self.powered: list[bool] = []
        self.shell: ScanWatchdog | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.started = threading.Event()
        self.error: BaseException | None = None

    def _on_signal(self, msg: Message) -> None:
        if (
            msg.message_type == MessageType.SIGNAL
            and msg.member == "PropertiesChanged"
            and msg.path == ADAPTER
            and msg.body[0] == "org.bluez.Adapter1"
            and "Powered" in msg.body[1]
        ):
            self.powered.append(bool(msg.body[1]["Powered"].value))

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        stop = self.stop_event = asyncio.Event()
        listener = await MessageBus(bus_type=BusType.SYSTEM).connect()
        await add_match(listener, f"type='signal',member='PropertiesChanged',path='{ADAPTER}'")
        listener.add_message_handler(self._on_signal)
        dog = Watchdog(0.3, backoff_s=0.3, backoff_max_s=600.0, started_at=self.clock.now())
        self.shell = ScanWatchdog(
            self.scan,
            BluezAdapter("hci0", off_s=0.05),
            lambda: self.scanner,
            self.clock,
            self.exits.append,
            watchdog=dog,
        )
        scan_task = asyncio.create_task(self.scanner.run(stop))
        while self.scanner._scanner is None and not scan_task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        self.started.set()
        while not stop.is_set() and not self.exits:
            step = TICK
            while not self.jumps.empty():
                step += self.jumps.get_nowait()
            self.clock.set(self.clock.now() + step)
            self.actions.append(await self.shell.check())
            await asyncio.sleep(0.05)
        stop.set()
        await scan_task
        await self.shell.adapter.close()
        listener.disconnect()

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.started.set()

    def stop(self) -> None:
        if self.loop is not None and self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.join(timeout=10)


def _wait(what: str, check: Callable[[], bool], gw: WatchdogThread, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert gw.error is None, gw.error
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.02)


def _checks(what: str, n: int, gw: WatchdogThread) -> None:
    """Wait until the shell has run ``n`` more checks."""
    done = len(gw.actions) + n
    _wait(what, lambda: len(gw.actions) >= done, gw)


def test_not_discovering_restarts_then_power_cycles_then_decides_to_exit(bluez: Any) -> None:  # noqa: F811
    adapter = bluez.get_object("org.bluez", ADAPTER)

    def starts() -> int:
        return len(adapter.GetMethodCalls("StartDiscovery", dbus_interface=MOCK))

    def discovering() -> bool:
        return bool(
            adapter.Get("org.bluez.Adapter1", "Discovering", dbus_interface=dbus.PROPERTIES_IFACE)
        )

    def lose_discovery() -> None:
        adapter.UpdateProperties(
            "org.bluez.Adapter1",
            dbus.Dictionary({"Discovering": dbus.Boolean(False)}, signature="sv"),
            dbus_interface=MOCK,
        )

    gw = WatchdogThread()
    gw.start()
    try:
        assert gw.started.wait(10)
        assert gw.error is None, gw.error
        _wait("the scanner's first StartDiscovery", lambda: starts() == 1 and discovering(), gw)
        gw.jumps.put(3600.0)  # discovering: no action however long nothing is heard
        _checks("an hour of checks", 10, gw)
        assert set(gw.actions) == {Action.NONE} and starts() == 1

        # 1. BlueZ drops discovery: the shell starts it again (a fresh bleak scanner)
        lose_discovery()
        _wait("StartDiscovery called again", lambda: starts() == 2, gw)
        _wait("discovering again", discovering, gw)
        assert gw.shell is not None
        assert gw.shell.counters()["scan_restarts"] == 1
        assert gw.shell.counters()["adapter_resets"] == 0
        _checks("a second of checks", 10, gw)  # recovered: the ladder stays put
        assert gw.shell.counters()["adapter_resets"] == 0 and gw.powered == []

        # 2. The controller is wedged: StartDiscovery "succeeds" but discovery never comes back
        adapter.AddMethod("org.bluez.Adapter1", "StartDiscovery", "", "", "", dbus_interface=MOCK)
        lose_discovery()
        _wait("Powered toggled false then true", lambda: gw.powered == [False, True], gw)
        assert gw.shell.counters()["adapter_resets"] == 1
        assert bool(
            adapter.Get("org.bluez.Adapter1", "Powered", dbus_interface=dbus.PROPERTIES_IFACE)
        )

        # 3. Still not discovering: the shell decides to exit (the test's exit only records it)
        _wait("the exit decision", lambda: gw.exits != [], gw)
        assert gw.exits == [EXIT_STALLED]
        assert gw.shell.counters() == {
            "stalls": 2,
            "scan_restarts": 1,
            "adapter_resets": 1,
            "exits": 1,
            "step_failures": 0,
            "probe_errors": 0,
        }
        steps = [a for a in gw.actions if a is not Action.NONE]
        assert steps == [Action.RESTART_SCAN, Action.RESET_ADAPTER, Action.EXIT]
        assert starts() >= 3  # the scan was restarted after the power cycle too
    finally:
        gw.stop()
    assert gw.error is None, gw.error
