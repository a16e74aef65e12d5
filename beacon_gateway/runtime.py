"""``beacon-gateway run``: scanner → pipeline → outbox → uploader, wired together live.

Events are collected from the scanner callback and committed to the outbox every
``FLUSH_S`` (group commit: one fsync per group on the SD card), which also fires the presence
timers when nothing is heard. systemd is told ``READY=1`` once scanning, and ``WATCHDOG=1`` on
each flush while the pipeline makes progress (advertisements keep arriving, or the adapter is
quiet but timers still run), so a wedged process is restarted by systemd.

The pipeline, outbox, uploader and fleet client are one :class:`~beacon_gateway.node.GatewayNode`
(the same wiring ``simulate`` and ``replay`` use). The fleet client sends heartbeats and pulls
the remote config; the last good remote config on disk is applied before scanning starts. A new
config is applied live: presence thresholds and filters at once, the upload cadence at the next
batch, and a changed ``[scan]`` section restarts the scanner.

The scan watchdog (:mod:`beacon_gateway.scan_watchdog`) watches the adapter's ``Discovering``
state and the site's reference beacon, restarts the scan, power-cycles the adapter, and as a
last resort stops the gateway with ``watchdog_exit`` set in the result, which the CLI turns
into a non-zero exit status for systemd to restart the service. Its counters go into the
heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from beacon_gateway.adapter import AdapterProbe, BluezAdapter
from beacon_gateway.advert import Advertisement
from beacon_gateway.clock import Clock, SystemClock
from beacon_gateway.config import GatewayConfig
from beacon_gateway.events import ProximityEvent
from beacon_gateway.node import GatewayNode
from beacon_gateway.scan_watchdog import ScanWatchdog
from beacon_gateway.scanner import Scanner
from beacon_gateway.shutdown import stop_on_signals

__all__ = ["NO_ADAPTER", "AdapterWait", "run_gateway", "sd_notify"]

log = logging.getLogger("beacon_gateway.runtime")
FLUSH_S = 0.5
NO_ADAPTER = "cannot scan: is Bluetooth on? see rfkill list"
ADAPTER_RETRY_S = 5.0  # first wait before scanning again without an adapter, then doubled
ADAPTER_RETRY_MAX_S = 300.0


@dataclass(slots=True)
class AdapterWait:
    """The scanner could not start (no adapter, BlueZ down, radio blocked): when to try again.

    The gateway stays up meanwhile, uploading its outbox and heartbeating; the heartbeat's
    ``watchdog`` object says ``no_adapter: 1`` and counts ``adapter_retries``.
    """

    first_s: float = ADAPTER_RETRY_S
    max_s: float = ADAPTER_RETRY_MAX_S
    missing: bool = False
    retries: int = 0
    error: str | None = None
    wait_s: float = 0.0
    retry_at: float = 0.0

    def lost(self, now: float, error: BaseException) -> None:
        """The scanner could not start: wait (longer each time in a row) before the next try."""
        self.error = f"{type(error).__name__}: {error}"
        self.wait_s = min(self.max_s, 2 * self.wait_s) if self.missing else self.first_s
        if not self.missing:
            log.warning(
                "%s (%s); uploading and heartbeating meanwhile, retrying the adapter with "
                "back-off up to %.0f s",
                NO_ADAPTER,
                " ".join(self.error.split()),
                self.max_s,
            )
        self.missing = True
        self.retry_at = now + self.wait_s

    def found(self) -> None:
        """Scanning again."""
        log.info("scanning again after %d adapter retries", self.retries)
        self.missing, self.error, self.wait_s = False, None, 0.0

    def counters(self) -> dict[str, int]:
        """What the heartbeat's ``watchdog`` object says of the adapter."""
        return {"no_adapter": int(self.missing), "adapter_retries": self.retries}


def sd_notify(message: str) -> bool:
    """Send ``message`` to systemd's notify socket if there is one (Type=notify)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError:
            return False
    return True


async def run_gateway(
    cfg: GatewayConfig,
    token: str,
    *,
    clock: Clock | None = None,
    scanner_factory: Callable[..., Any] | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
    handle_signals: bool = False,
    heartbeat_interval_s: float = 60.0,
    thermal_zone: Path | None = None,
    adapter: AdapterProbe | None = None,
    watchdog_check_s: float = 5.0,
    adapter_retry_s: float = ADAPTER_RETRY_S,
) -> dict[str, Any]:
    """Run the gateway until ``stop`` (or SIGINT/SIGTERM); returns final counters.

    ``adapter`` is the watchdog's view of the Bluetooth adapter (default: BlueZ over D-Bus).
    Without an adapter the gateway keeps uploading and heartbeating and tries to scan again
    after ``adapter_retry_s``, doubled at each failure up to :data:`ADAPTER_RETRY_MAX_S`.
    """
    stop = stop or asyncio.Event()
    with stop_on_signals(stop, enabled=handle_signals):
        return await _run(
            cfg,
            token,
            clock=clock or SystemClock(),
            scanner_factory=scanner_factory,
            transport=transport,
            stop=stop,
            heartbeat_interval_s=heartbeat_interval_s,
            thermal_zone=thermal_zone,
            adapter=adapter,
            watchdog_check_s=watchdog_check_s,
            wait=AdapterWait(first_s=adapter_retry_s),
        )


async def _run(
    cfg: GatewayConfig,
    token: str,
    *,
    clock: Clock,
    scanner_factory: Callable[..., Any] | None,
    transport: httpx2.AsyncBaseTransport | None,
    stop: asyncio.Event,
    heartbeat_interval_s: float,
    thermal_zone: Path | None,
    adapter: AdapterProbe | None,
    watchdog_check_s: float,
    wait: AdapterWait,
) -> dict[str, Any]:
    pending: list[ProximityEvent] = []
    exit_code: list[int] = []

    def watchdog_exit(code: int) -> None:
        exit_code.append(code)
        stop.set()  # a clean stop: pending events reach the outbox before the process exits

    current = {"scan": cfg.scan}
    scanners: list[Scanner] = []
    watchdog = ScanWatchdog(
        cfg.scan,
        adapter or BluezAdapter(cfg.scan.adapter),
        lambda: scanners[-1],
        clock,
        watchdog_exit,
        check_s=watchdog_check_s,
        state_file=Path(cfg.gateway.data_dir) / "watchdog.json",
    )

    def on_config(new: GatewayConfig) -> None:
        current["scan"] = new.scan  # the main loop restarts the scanner if it changed

    client = httpx2.AsyncClient(transport=transport) if transport else httpx2.AsyncClient()
    node = GatewayNode(
        cfg,
        client,
        token=token,
        clock=clock,
        on_config=on_config,
        watchdog=lambda: {**watchdog.counters(), **wait.counters()},
        heartbeat_interval_s=heartbeat_interval_s,
        fleet_options={} if thermal_zone is None else {"thermal_zone": thermal_zone},
    )
    pipeline = node.pipeline

    def on_advert(adv: Advertisement) -> None:
        watchdog.note(adv)
        pending.extend(pipeline.process(adv))

    node.load_stored()

    def start_scanner() -> tuple[Scanner, asyncio.Event, asyncio.Task[None]]:
        new = Scanner(current["scan"], on_advert, clock, scanner_factory)
        scanners[:] = [new]
        event = asyncio.Event()
        return new, event, asyncio.create_task(new.run(event))

    scanner, scan_stop, scan_task = start_scanner()
    failed: asyncio.Task[None] | None = None
    watchdog.suspend()  # until the scanner has started: an adapter that is missing is no stall
    node.start(stop)
    advertise_task = asyncio.create_task(_advertise(cfg, stop))
    watchdog_task = asyncio.create_task(watchdog.run(stop))
    sd_notify("READY=1")  # up without an adapter too: uploading and heartbeating
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=FLUSH_S)
            if scan_task.done() and not stop.is_set():
                if scan_task is not failed:  # it could not start, or a retry could not
                    failed = scan_task
                    watchdog.suspend()
                    if not wait.missing:
                        node.fleet.nudge()  # the office hears of it now, not in a minute
                    wait.lost(clock.now(), scan_task.exception() or RuntimeError("scan ended"))
                elif clock.now() >= wait.retry_at:
                    wait.retries += 1
                    scanner, scan_stop, scan_task = start_scanner()
            elif scanner.scanning and watchdog.suspended:
                if wait.missing:
                    wait.found()
                    node.fleet.nudge()
                watchdog.resume()
            if current["scan"] != scanner.config and not scan_task.done():
                log.info("scan settings changed: restarting the scanner")
                scan_stop.set()
                await asyncio.gather(scan_task, return_exceptions=True)
                scanner, scan_stop, scan_task = start_scanner()
                watchdog.reconfigure(scanner.config)
            pending.extend(pipeline.advance(clock.now()))
            node.store(pending)
            sd_notify("WATCHDOG=1")
    finally:
        stop.set()
        scan_stop.set()
        node.store(pending)
        node.close_presence(clock.now())
        await asyncio.gather(
            scan_task, advertise_task, watchdog_task, node.finish(), return_exceptions=True
        )
        node.close()
        await client.aclose()
    return {
        "adverts": pipeline.counters.adverts,
        "events": dict(pipeline.counters.events),
        "outbox": node.outbox.depth,
        "accepted": node.uploader.state.accepted,
        "scan_error": wait.error,  # the adapter was missing when the gateway stopped
        "adapter_retries": wait.retries,
        "auth_failed": node.uploader.state.auth_failed,
        "heartbeats": node.fleet.state.heartbeats,
        "config_version": (
            None if node.fleet.state.applied is None else node.fleet.state.applied.version
        ),
        "watchdog": watchdog.counters(),
        "watchdog_exit": exit_code[0] if exit_code else None,
    }


async def _advertise(cfg: GatewayConfig, stop: asyncio.Event) -> None:
    """Broadcast the site's frames when configured; a failure is logged, never fatal."""
    if not (cfg.advertise.url or cfg.advertise.uid):
        return
    from beacon_gateway.advertiser import Advertiser

    try:
        await Advertiser(cfg.advertise, cfg.scan.adapter).run(stop)
    except Exception:
        log.exception("advertising failed; scanning and uploading go on")
