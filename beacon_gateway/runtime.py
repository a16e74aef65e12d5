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

__all__ = ["run_gateway", "sd_notify"]

log = logging.getLogger("beacon_gateway.runtime")
FLUSH_S = 0.5


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
) -> dict[str, Any]:
    """Run the gateway until ``stop`` (or SIGINT/SIGTERM); returns final counters.

    ``adapter`` is the watchdog's view of the Bluetooth adapter (default: BlueZ over D-Bus).
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
        watchdog=watchdog.counters,
        heartbeat_interval_s=heartbeat_interval_s,
        fleet_options={} if thermal_zone is None else {"thermal_zone": thermal_zone},
    )
    pipeline = node.pipeline

    def on_advert(adv: Advertisement) -> None:
        watchdog.note(adv)
        pending.extend(pipeline.process(adv))

    node.load_stored()
    scanner = Scanner(current["scan"], on_advert, clock, scanner_factory)
    scanners.append(scanner)
    scan_stop = asyncio.Event()
    scan_task = asyncio.create_task(scanner.run(scan_stop))
    node.start(stop)
    advertise_task = asyncio.create_task(_advertise(cfg, stop))
    watchdog_task = asyncio.create_task(watchdog.run(stop))
    sd_notify("READY=1")
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=FLUSH_S)
            if scan_task.done():
                break  # the scanner died: let systemd restart us (exit non-zero below)
            if current["scan"] != scanner.config:
                log.info("scan settings changed: restarting the scanner")
                scan_stop.set()
                await scan_task
                scanner = Scanner(current["scan"], on_advert, clock, scanner_factory)
                scanners[:] = [scanner]
                watchdog.reconfigure(scanner.config)
                scan_stop = asyncio.Event()
                scan_task = asyncio.create_task(scanner.run(scan_stop))
            pending.extend(pipeline.advance(clock.now()))
            node.store(pending)
            sd_notify("WATCHDOG=1")
    finally:
        stop.set()
        scan_stop.set()
        node.store(pending)
        node.close_presence(clock.now())
        results = await asyncio.gather(
            scan_task, advertise_task, watchdog_task, node.finish(), return_exceptions=True
        )
        node.close()
        await client.aclose()
    scan_error = results[0] if isinstance(results[0], BaseException) else None
    if scan_error is not None:
        log.error("scanner failed: %s", scan_error)
    return {
        "adverts": pipeline.counters.adverts,
        "events": dict(pipeline.counters.events),
        "outbox": node.outbox.depth,
        "accepted": node.uploader.state.accepted,
        "scan_error": None if scan_error is None else str(scan_error),
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
