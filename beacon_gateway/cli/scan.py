"""``beacon-gateway scan``: a live table of what the adapter hears."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from beacon_gateway.cli.common import load, on_bluetooth, stderr

__all__ = ["scan"]

ROWS = 40  # the strongest frames shown


def scan(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Gateway config (for calibration).")
    ] = None,
    adapter: Annotated[str, typer.Option(help="Bluetooth adapter.")] = "hci0",
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds.")] = 0.0,
) -> None:
    """Live table of decoded Eddystone frames with RSSI and estimated distance."""
    from rich.live import Live
    from rich.table import Table

    from beacon_gateway.advert import FEAA, Advertisement
    from beacon_gateway.clock import SystemClock
    from beacon_gateway.config import GatewayConfig, ScanConfig
    from beacon_gateway.rssi import SignalModel, eddystone_ref_1m
    from beacon_gateway.scanner import Scanner
    from eddystone import EddystoneError, frame_to_json, parse_service_data

    cfg = load(config) if config else GatewayConfig(scan=ScanConfig(adapter=adapter))
    model = SignalModel(cfg.presence.rx_offset_db, cfg.presence.path_loss_exponent)
    rows: dict[str, tuple[str, float, str]] = {}

    def on_advert(adv: Advertisement) -> None:
        data = adv.service_data.get(FEAA)
        if not data:
            return
        try:
            frame = parse_service_data(data)
        except EddystoneError as exc:
            rows[data.hex()] = (f"malformed: {exc}", adv.rssi, "")
            return
        body = frame_to_json(frame)
        tx = getattr(frame, "tx_power_0m", None)
        ref = eddystone_ref_1m(tx) if isinstance(tx, int) else None
        dist = model.distance_m(adv.rssi + model.rx_offset_db, ref)
        key = json.dumps({k: v for k, v in body.items() if k not in ("adv_count", "uptime_s")})
        rows[key] = (json.dumps(body), adv.rssi, "" if dist is None else f"{dist:.1f} m")

    def table() -> Table:
        t = Table("frame", "rssi", "distance")
        for frame, rssi, dist in sorted(rows.values(), key=lambda r: -r[1])[:ROWS]:
            t.add_row(frame, f"{rssi:.0f}", dist)
        return t

    async def show(stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        scanner = Scanner(cfg.scan, on_advert, SystemClock(synchronized=lambda: False))
        started = asyncio.Event()
        task = asyncio.create_task(scanner.run(stop, started))
        ready = asyncio.create_task(started.wait())
        await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if task.done():  # no adapter: say so, without an empty table first
            await task
        begun = loop.time()
        with Live(table(), console=stderr(), refresh_per_second=2) as live:
            while not stop.is_set() and not task.done():
                await asyncio.sleep(0.5)
                live.update(table())
                if seconds and loop.time() - begun >= seconds:
                    stop.set()
        await task

    on_bluetooth(show)
