"""The BLE scanner: a thin shell around bleak's ``BleakScanner`` feeding the pure pipeline.

**Modes.** ``active`` (default) uses a discovery filter ``{"Transport": "le", "DuplicateData":
True}``; ``passive`` registers a BlueZ advertisement monitor with or-patterns matching 0xFEAA
service data (needs BlueZ >= 5.56 with ``--experimental``, kernel >= 5.10). No ``service_uuids``
filter: many cards omit the UUID list, and a UUID discovery filter stalls discovery on some
kernels (reference eddystone.md §3.6) — the pipeline filters on service data instead.

**Duplicates: periodic scan restart.** The controller's duplicate filter stays on during
discovery whatever ``DuplicateData`` says, so a static card may be reported once and then never
again: no fresh RSSI, and the pass would "leave" after ``exit_timeout_s`` while standing still.
The remedies were: (a) ``DuplicateData=True`` alone — only lifts bluetoothd's filter, not the
controller's; (b) an advertisement monitor — the maintainers say it disables the controller
filter, but users report one callback per device (bleak #235, bluez #647) and it needs
experimental BlueZ; (c) reading the mgmt socket directly — every report, but needs
CAP_NET_ADMIN/CAP_NET_RAW and reimplements BlueZ; (d) restarting the scan periodically —
stopping discovery clears the controller's duplicate list, so each restart yields a fresh
report (with RSSI) of every beacon in range. We use (a) + (d): restart every
``restart_interval_s`` (10 s, well inside the 60 s ``exit_timeout_s`` and BlueZ's 30 s
temporary-device timeout, and slow enough to avoid the InProgress/"Stop Discovery failed"
loops seen with 5 s cycles, bleak #832). A failed restart is retried with back-off and counted;
the watchdog judges stalls separately and calls :meth:`Scanner.recover` (a fresh bleak scanner).
Restarts, recoveries and the final stop are serialised by a lock, so the periodic restart and
the watchdog never interleave their stop/start calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.clock import Clock
from beacon_gateway.config import ScanConfig

__all__ = ["ScanStats", "Scanner", "to_advertisement"]

log = logging.getLogger("beacon_gateway.scanner")


@dataclass(slots=True)
class ScanStats:
    """Scanner counters for telemetry."""

    reports: int = 0
    restarts: int = 0
    restart_failures: int = 0


def to_advertisement(t: float, device: Any, adv: Any) -> Advertisement:
    """Turn bleak's ``(BLEDevice, AdvertisementData)`` into our :class:`Advertisement`."""
    service = adv.service_data
    # bleak keys are full 128-bit strings already; keep only what the pipeline can use cheaply
    return Advertisement(
        t=t,
        address=device.address,
        rssi=float(adv.rssi),
        service_data={FEAA: service[FEAA]} if FEAA in service else dict(service),
        manufacturer_data=dict(adv.manufacturer_data),
        local_name=adv.local_name,
        tx_power=adv.tx_power,
    )


class Scanner:
    """Scan with bleak, restart periodically, hand every report to ``on_advert``."""

    def __init__(
        self,
        config: ScanConfig,
        on_advert: Callable[[Advertisement], None],
        clock: Clock,
        scanner_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.config = config
        self.on_advert = on_advert
        self.clock = clock
        self.stats = ScanStats()
        self._factory = scanner_factory
        self._scanner: Any = None
        self._lock = asyncio.Lock()
        self.scanning = False  # True from a successful start in run() until it ends

    def _callback(self, device: Any, adv: Any) -> None:
        self.stats.reports += 1
        self.on_advert(to_advertisement(self.clock.now(), device, adv))

    def _make(self) -> Any:
        factory = self._factory
        if factory is None:
            from bleak import BleakScanner

            factory = BleakScanner
        if self.config.mode == "passive":
            from bleak.args.bluez import OrPattern
            from bleak.assigned_numbers import AdvertisementDataType

            # Service Data - 16-bit UUID (AD type 0x16) starting with 0xFEAA, little-endian
            patterns: list[OrPattern | tuple[int, AdvertisementDataType, bytes]] = [
                OrPattern(0, AdvertisementDataType.SERVICE_DATA_UUID16, b"\xaa\xfe")
            ]
            return factory(
                detection_callback=self._callback,
                scanning_mode="passive",
                bluez={"adapter": self.config.adapter, "or_patterns": patterns},
            )
        return factory(
            detection_callback=self._callback,
            scanning_mode="active",
            bluez={"adapter": self.config.adapter, "filters": {"DuplicateData": True}},
        )

    async def start(self) -> None:
        """Start scanning."""
        self._scanner = self._make()
        await self._scanner.start()

    async def _stop_quietly(self) -> None:
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            try:
                await scanner.stop()
            except Exception as exc:  # BleakError, D-Bus errors: nothing to do about them here
                log.warning("stopping the scan failed: %s", exc)

    async def stop(self) -> None:
        """Stop scanning (errors on stop are logged, not raised: we are leaving anyway)."""
        async with self._lock:
            await self._stop_quietly()

    async def restart(self) -> bool:
        """Stop and start discovery (clears the controller's duplicate filter)."""
        async with self._lock:
            self.stats.restarts += 1
            try:
                if self._scanner is None:
                    self._scanner = self._make()
                else:
                    await self._scanner.stop()
                await self._scanner.start()
            except Exception as exc:  # InProgress, NotReady: retried on the next cycle
                self.stats.restart_failures += 1
                log.warning("scan restart failed: %s", exc)
                return False
            return True

    async def recover(self) -> bool:
        """The watchdog's restart: drop the bleak scanner (errors ignored), start a fresh one."""
        async with self._lock:
            await self._stop_quietly()
            try:
                self._scanner = self._make()
                await self._scanner.start()
            except Exception as exc:  # adapter down, BlueZ gone: the watchdog escalates
                self._scanner = None  # the periodic restart then tries a fresh one too
                log.warning("scan recovery failed: %s", exc)
                return False
            return True

    async def run(self, stop: asyncio.Event, started: asyncio.Event | None = None) -> None:
        """Scan until ``stop`` is set, restarting every ``restart_interval_s``; ``started`` is
        set once scanning (a failed start raises)."""
        await self.start()
        self.scanning = True
        if started is not None:
            started.set()
        failures = 0
        try:
            while not stop.is_set():
                wait = self.config.restart_interval_s * (2 ** min(failures, 4))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                if stop.is_set():
                    break
                failures = 0 if await self.restart() else failures + 1
        finally:
            self.scanning = False
            await self.stop()
