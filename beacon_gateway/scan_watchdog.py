"""The scan watchdog: probes the adapter, asks the stall ladder what to do, and does it.

The decisions are pure (:class:`~beacon_gateway.stall_ladder.Watchdog`); this is the shell that
feeds them and acts.

Every ``check_s`` it reads the adapter's ``Discovering`` property over D-Bus and the time the
site's reference beacon (``scan.reference_beacon``) was last heard, asks the pure watchdog what
to do, and does it:

- ``RESTART_SCAN``: a fresh bleak scanner (:meth:`Scanner.recover`: stop, start discovery);
- ``RESET_ADAPTER``: ``Adapter1.Powered`` false → true, then a fresh scanner;
- ``EXIT``: the injected ``exit`` function with :data:`EXIT_STALLED`. In the service it stops
  the gateway cleanly (events flushed to the outbox) and the process exits non-zero, so systemd
  (``Restart=always``) starts it again with a new D-Bus connection and a new bleak manager.

A failed step is counted too and the ladder simply goes on to the next rung at its time.

**Passive mode** scans through an advertisement monitor, not a discovery session, so
``Discovering`` stays false by design there: it is not read, and only the reference beacon can
reveal a stall. A probe that fails (bluetoothd gone, adapter removed) counts as "not
discovering": that is exactly the state the ladder must get out of.

**Counters survive the exit.** The last rung ends this process, so its count would never reach
a heartbeat: the counters are written to ``data_dir/watchdog.json`` at every step and read back
at start, and the heartbeat's ``watchdog`` object carries the totals across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from pathlib import Path

from beacon_gateway.adapter import AdapterError, AdapterProbe
from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.clock import Clock
from beacon_gateway.config import ScanConfig
from beacon_gateway.files import read_saved, write_atomic
from beacon_gateway.scanner import Scanner
from beacon_gateway.stall_ladder import Action, Watchdog, WatchdogCounters

__all__ = ["EXIT_STALLED", "ScanWatchdog", "watchdog_for"]

log = logging.getLogger("beacon_gateway.scan_watchdog")

EXIT_STALLED = 75  # EX_TEMPFAIL: "try again later" — systemd restarts the service
CHECK_S = 5.0
BACKOFF_MAX_S = 600.0


def watchdog_for(scan: ScanConfig, now: float) -> Watchdog:
    """The pure watchdog for a ``[scan]`` section (first back-off = the silence threshold)."""
    return Watchdog(
        scan.watchdog_silence_s,
        reference_configured=scan.reference_beacon is not None,
        backoff_s=scan.watchdog_silence_s,
        backoff_max_s=max(BACKOFF_MAX_S, 4 * scan.watchdog_silence_s),
        started_at=now,
    )


class ScanWatchdog:
    """Watches one adapter and the scanner on it; acts on the pure watchdog's decisions."""

    def __init__(
        self,
        scan: ScanConfig,
        adapter: AdapterProbe,
        scanner: Callable[[], Scanner],
        clock: Clock,
        exit: Callable[[int], None],
        *,
        watchdog: Watchdog | None = None,
        check_s: float = CHECK_S,
        state_file: Path | None = None,
    ) -> None:
        self.scan = scan
        self.adapter = adapter
        self.scanner = scanner
        self.clock = clock
        self.exit = exit
        self.check_s = check_s
        self.dog = watchdog or watchdog_for(scan, clock.now())
        self.state_file = state_file
        self.last_reference_at: float | None = None
        self.probe_errors = 0
        self.step_failures = 0
        self.suspended = False
        self._reference = _uid_bytes(scan.reference_beacon)
        self._load()

    def reconfigure(self, scan: ScanConfig) -> None:
        """A new ``[scan]`` section (remote config): new thresholds, same counters."""
        counters = self.dog.counters
        self.scan = scan
        self.dog = watchdog_for(scan, self.clock.now())
        self.dog.counters = counters
        self._reference = _uid_bytes(scan.reference_beacon)
        self.last_reference_at = None

    def suspend(self) -> None:
        """No adapter to watch (the runtime is waiting for one): no probe, no step."""
        self.suspended = True

    def resume(self) -> None:
        """Scanning again: watch afresh from now (same counters)."""
        self.suspended = False
        self.reconfigure(self.scan)

    # --- reference beacon ------------------------------------------------------------------

    def note(self, adv: Advertisement) -> None:
        """Look at every report (before any filter): is it the site's reference beacon?"""
        ref = self._reference
        if ref is None:
            return
        data = adv.service_data.get(FEAA)
        if data is not None and len(data) >= 18 and data[0] == 0x00 and data[2:18] == ref:
            self.last_reference_at = adv.t

    # --- counters --------------------------------------------------------------------------

    def counters(self) -> dict[str, int]:
        """The heartbeat's ``watchdog`` object (ints only, as the CRM's schema requires)."""
        return {
            **self.dog.counters.as_dict(),
            "step_failures": self.step_failures,
            "probe_errors": self.probe_errors,
        }

    def _load(self) -> None:
        if self.state_file is None:
            return
        saved = read_saved(
            self.state_file,
            lambda raw: (
                WatchdogCounters(**{k: int(raw[k]) for k in WatchdogCounters.__slots__}),
                int(raw.get("step_failures", 0)),
            ),
            log,
            f"the watchdog counters in {self.state_file}",
        )
        if saved is not None:
            self.dog.counters, self.step_failures = saved

    def _save(self) -> None:
        if self.state_file is None:
            return
        body = {**self.dog.counters.as_dict(), "step_failures": self.step_failures}
        try:
            write_atomic(self.state_file, json.dumps(body))
        except OSError as exc:  # a full card must not stop the recovery itself
            log.warning("cannot save the watchdog counters: %s", exc)

    # --- the loop --------------------------------------------------------------------------

    async def _discovering(self) -> bool:
        if self.scan.mode == "passive":
            return True  # a monitor, not discovery: only the reference beacon can tell
        try:
            return await self.adapter.discovering()
        except AdapterError as exc:
            self.probe_errors += 1
            log.warning("cannot read Discovering: %s", exc)
            return False

    async def check(self) -> Action:
        """One observation and, if the watchdog says so, one recovery step."""
        if self.suspended:
            return Action.NONE
        discovering = await self._discovering()
        action = self.dog.observe(self.clock.now(), discovering, self.last_reference_at)
        if action is Action.NONE:
            return action
        log.warning(
            "scan stalled (discovering=%s, reference heard at %s): %s",
            discovering,
            self.last_reference_at,
            action.value,
        )
        self._save()  # before acting: the exit step ends the process
        if action is Action.RESTART_SCAN:
            ok = await self.scanner().recover()
        elif action is Action.RESET_ADAPTER:
            try:
                await self.adapter.power_cycle()
                ok = True
            except AdapterError as exc:
                log.error("power-cycling the adapter failed: %s", exc)
                ok = False
            ok = await self.scanner().recover() and ok
        else:
            log.error("the scan did not recover: exiting so that systemd restarts the gateway")
            self.exit(EXIT_STALLED)
            return action
        if not ok:
            self.step_failures += 1
            self._save()
        return action

    async def run(self, stop: asyncio.Event) -> None:
        """Check every ``check_s`` until ``stop``; never raises (a watchdog must not die)."""
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.check_s)
                if stop.is_set():
                    break
                try:
                    if await self.check() is Action.EXIT:
                        break
                except Exception:
                    log.exception("watchdog check failed")
        finally:
            await self.adapter.close()


def _uid_bytes(uid: str | None) -> bytes | None:
    """``namespace:instance`` as the 16 bytes of a UID frame's identity (None if unset)."""
    if uid is None:
        return None
    namespace, instance = uid.split(":")
    return bytes.fromhex(namespace + instance)
