"""``beacon-gateway run``: scanner → pipeline → outbox → uploader, wired together live.

Events are collected from the scanner callback and committed to the outbox every
``FLUSH_S`` (group commit: one fsync per group on the SD card), which also fires the presence
timers when nothing is heard. systemd is told ``READY=1`` once scanning, and ``WATCHDOG=1`` on
each flush while the pipeline makes progress (advertisements keep arriving, or the adapter is
quiet but timers still run), so a wedged process is restarted by systemd.
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

from beacon_gateway.advert import Advertisement
from beacon_gateway.clock import Clock, SystemClock
from beacon_gateway.config import GatewayConfig
from beacon_gateway.events import ProximityEvent
from beacon_gateway.outbox import Outbox
from beacon_gateway.pipeline import Pipeline, id_factory
from beacon_gateway.scanner import Scanner
from beacon_gateway.uploader import Uploader

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
) -> dict[str, Any]:
    """Run the gateway until ``stop`` (or SIGINT/SIGTERM); returns final counters."""
    clock = clock or SystemClock()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    outbox = Outbox(Path(cfg.gateway.data_dir) / "outbox.db", cfg.upload.outbox_max_events)
    pipeline = Pipeline(cfg, id_factory(clock))
    pending: list[ProximityEvent] = []

    def on_advert(adv: Advertisement) -> None:
        pending.extend(pipeline.process(adv))

    scanner = Scanner(cfg.scan, on_advert, clock, scanner_factory)
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

    def flush(events: list[ProximityEvent]) -> None:
        if events:
            outbox.add(events, base=clock.base())
            events.clear()
            wake.set()

    scan_task = asyncio.create_task(scanner.run(stop))
    upload_task = asyncio.create_task(uploader.run(stop, wake))
    sd_notify("READY=1")
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=FLUSH_S)
            if scan_task.done():
                break  # the scanner died: let systemd restart us (exit non-zero below)
            pending.extend(pipeline.advance(clock.now()))
            flush(pending)
            sd_notify("WATCHDOG=1")
    finally:
        stop.set()
        pending.extend(pipeline.close_all(clock.now()))
        flush(pending)
        results = await asyncio.gather(scan_task, upload_task, return_exceptions=True)
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
    }
