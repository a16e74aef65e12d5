"""``beacon-gateway run``: scanner → pipeline → outbox → uploader, wired together live.

Events are collected from the scanner callback and committed to the outbox every
``FLUSH_S`` (group commit: one fsync per group on the SD card), which also fires the presence
timers when nothing is heard. systemd is told ``READY=1`` once scanning, and ``WATCHDOG=1`` on
each flush while the pipeline makes progress (advertisements keep arriving, or the adapter is
quiet but timers still run), so a wedged process is restarted by systemd.

The fleet client (:mod:`beacon_gateway.fleet`) sends heartbeats and pulls the remote config;
the last good remote config on disk is applied before scanning starts. A new config is applied
live: presence thresholds and filters at once, the upload cadence at the next batch, and a
changed ``[scan]`` section restarts the scanner.

The scan watchdog (:mod:`beacon_gateway.watchdog_shell`) watches the adapter's ``Discovering``
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
import signal
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
from beacon_gateway.fleet import FleetClient
from beacon_gateway.outbox import Outbox
from beacon_gateway.pipeline import Pipeline, id_factory
from beacon_gateway.scanner import Scanner
from beacon_gateway.uploader import Uploader
from beacon_gateway.watchdog_shell import ScanWatchdog

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
    clock = clock or SystemClock()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    outbox = Outbox(Path(cfg.gateway.data_dir) / "outbox.db", cfg.upload.outbox_max_events)
    pipeline = Pipeline(cfg, id_factory(clock))
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

    def on_advert(adv: Advertisement) -> None:
        watchdog.note(adv)
        pending.extend(pipeline.process(adv))

    client = httpx2.AsyncClient(transport=transport) if transport else httpx2.AsyncClient()
    uploader = Uploader(
        outbox,
        client,
        gateway_id=cfg.gateway.id,
        token=token,
        crm_url=cfg.gateway.crm_url,
        config=cfg.upload,
        clock=clock,
    )
    wake = asyncio.Event()

    def on_config(new: GatewayConfig) -> None:
        pipeline.reconfigure(new)
        uploader.config = new.upload
        uploader.batch_size = min(uploader.batch_size, new.upload.batch_max)
        current["scan"] = new.scan  # the main loop restarts the scanner if it changed

    fleet_options: dict[str, Any] = {}
    if thermal_zone is not None:
        fleet_options["thermal_zone"] = thermal_zone
    fleet = FleetClient(
        cfg,
        client,
        token=token,
        clock=clock,
        pipeline=pipeline,
        outbox=outbox,
        uploader=uploader,
        on_config=on_config,
        watchdog=watchdog.counters,
        interval_s=heartbeat_interval_s,
        **fleet_options,
    )
    fleet.load_stored()
    scanner = Scanner(current["scan"], on_advert, clock, scanner_factory)
    scanners.append(scanner)
    scan_stop = asyncio.Event()

    def flush(events: list[ProximityEvent]) -> None:
        if events:
            outbox.add(events, base=clock.base())
            events.clear()
            wake.set()

    scan_task = asyncio.create_task(scanner.run(scan_stop))
    upload_task = asyncio.create_task(uploader.run(stop, wake))
    fleet_task = asyncio.create_task(fleet.run(stop))
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
            flush(pending)
            sd_notify("WATCHDOG=1")
    finally:
        stop.set()
        scan_stop.set()
        pending.extend(pipeline.close_all(clock.now()))
        flush(pending)
        results = await asyncio.gather(
            scan_task,
            upload_task,
            fleet_task,
            advertise_task,
            watchdog_task,
            return_exceptions=True,
        )
        await uploader.drain(5.0)
        outbox.close()
        await client.aclose()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    scan_error = results[0] if isinstance(results[0], BaseException) else None
    if scan_error is not None:
        log.error("scanner failed: %s", scan_error)
    return {
        "adverts": pipeline.counters.adverts,
        "events": dict(pipeline.counters.events),
        "outbox": outbox.depth,
        "accepted": uploader.state.accepted,
        "scan_error": None if scan_error is None else str(scan_error),
        "auth_failed": uploader.state.auth_failed,
        "heartbeats": fleet.state.heartbeats,
        "config_version": None if fleet.state.applied is None else fleet.state.applied.version,
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
