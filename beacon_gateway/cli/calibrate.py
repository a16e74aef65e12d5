"""``beacon-gateway calibrate``: this gateway's receiver offset, from a pass held at 1 m."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import sys
from typing import Annotated

import typer

from beacon_gateway.cli.common import ConfigOption, fail, load, on_bluetooth, progress, stderr

__all__ = ["calibrate"]

UID = re.compile(r"[0-9a-f]{20}:[0-9a-f]{12}")


def calibrate(
    config: ConfigOption,
    seconds: Annotated[float, typer.Option(help="How long to listen to the pass.", min=3.0)] = 30.0,
    namespace: Annotated[
        str | None, typer.Option(help="The pass's Eddystone-UID namespace (20 hex digits).")
    ] = None,
    instance: Annotated[
        str | None, typer.Option(help="The pass's Eddystone-UID instance (12 hex digits).")
    ] = None,
    any_pass: Annotated[
        bool,
        typer.Option("--any", help="Use the strongest pass heard (UID, EID or iBeacon)."),
    ] = False,
) -> None:
    """Measure this gateway's receiver offset with a pass held at 1 m and save it in the config.

    Hold one visitor pass (or a reference card) still, 1 m in front of the gateway, at the
    height visitors carry it, with nobody in between, for the whole measurement. The median
    signal is compared with the 1 m power the pass announces; the difference is written as
    presence.rx_offset_db in the config file (everything else in the file is kept). Restart
    the service afterwards: sudo systemctl restart beacon-gateway
    """
    from beacon_gateway.advert import Advertisement
    from beacon_gateway.calibration import CalibrationError, Sampler
    from beacon_gateway.cli.toml_edit import set_toml_keys
    from beacon_gateway.clock import SystemClock
    from beacon_gateway.config import ConfigError, load_config
    from beacon_gateway.files import write_atomic
    from beacon_gateway.scanner import Scanner

    if any_pass == (namespace is not None or instance is not None):
        raise fail("which pass?", "give --namespace and --instance, or --any")
    uid = None
    if not any_pass:
        uid = f"{(namespace or '').lower()}:{(instance or '').lower()}"
        if not UID.fullmatch(uid):
            raise fail("which pass?", "--namespace is 20 hex digits and --instance 12")
    cfg = load(config)
    console = stderr()
    console.print(
        "[bold]Calibration[/bold]: hold the pass still, [bold]1 m[/bold] in front of the "
        "gateway, at the height visitors carry it, with nobody in between. Keep it there "
        f"until the bar is full ({seconds:g} s).",
        highlight=False,
    )
    if sys.stdin.isatty():
        typer.prompt("Press Enter when the pass is in place", default="", show_default=False)
    sampler = Sampler(uid)
    clock = SystemClock(synchronized=lambda: False)

    def on_advert(adv: Advertisement) -> None:
        sampler.add(adv)

    async def listen(stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        scanner = Scanner(cfg.scan, on_advert, clock)
        task = asyncio.create_task(scanner.run(stop))
        started = loop.time()
        with progress(True) as bar_display:
            bar = bar_display.add_task("listening", total=seconds, status="")
            while not stop.is_set() and not task.done():
                await asyncio.sleep(0.25)
                elapsed = min(seconds, loop.time() - started)
                counts = sorted((len(p.samples) for p in sampler.passes.values()), reverse=True)
                bar_display.update(
                    bar, completed=elapsed, status=f"{counts[0] if counts else 0} readings"
                )
                if elapsed >= seconds:
                    stop.set()
        await task

    on_bluetooth(listen)
    try:
        result = sampler.result()
    except CalibrationError as exc:
        raise fail("calibration failed (config unchanged)", exc, 1) from exc
    text = set_toml_keys(
        config.read_text(encoding="utf-8"), "presence", {"rx_offset_db": result.rx_offset_db}
    )
    try:
        write_atomic(config, text, check=load_config)
    except ConfigError as exc:
        raise fail("the calibrated config does not validate (nothing changed)", exc) from exc
    console.print(
        f"pass [bold]{result.label}[/bold]: median {result.median_rssi:.1f} dBm over "
        f"{result.samples} readings, announced {result.ref_1m:.0f} dBm at 1 m → "
        f"[bold]rx_offset_db = {result.rx_offset_db:+.1f}[/bold] written to {config}.\n"
        "Next: sudo systemctl restart beacon-gateway",
        highlight=False,
    )
    typer.echo(json.dumps(dataclasses.asdict(result), separators=(",", ":")))
