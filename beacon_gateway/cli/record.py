"""``beacon-gateway record``: advertisement reports to a trace file, for ``replay``."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from beacon_gateway.cli.common import on_bluetooth, progress, stderr

__all__ = ["record"]


def record(
    file: Annotated[Path, typer.Argument(help="Trace file to write (JSON lines).")],
    adapter: Annotated[str, typer.Option(help="Bluetooth adapter.")] = "hci0",
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: Ctrl-C).")] = 0.0,
    keep_addresses: Annotated[
        bool,
        typer.Option(
            "--keep-addresses",
            help="Write BLE addresses in clear (they belong to bystanders too: avoid).",
        ),
    ] = False,
) -> None:
    """Record advertisement reports to a trace file for `replay` (addresses salted-hashed)."""
    from beacon_gateway.advert import Advertisement
    from beacon_gateway.clock import UnixClock
    from beacon_gateway.config import ScanConfig
    from beacon_gateway.scanner import Scanner
    from beacon_gateway.trace import AddressHasher, advert_to_json

    hasher = AddressHasher()
    count = 0

    with file.open("a", encoding="utf-8") as out:

        def on_advert(adv: Advertisement) -> None:
            nonlocal count
            address = adv.address if keep_addresses else hasher(adv.address)
            out.write(json.dumps(advert_to_json(adv, address), separators=(",", ":")) + "\n")
            count += 1

        async def main(stop: asyncio.Event) -> None:
            scanner = Scanner(ScanConfig(adapter=adapter), on_advert, UnixClock())
            with progress(sys.stderr.isatty()) as bar:
                task = bar.add_task("recording", total=None, status="")
                runner = asyncio.create_task(scanner.run(stop))
                while not runner.done():
                    await asyncio.sleep(0.5)
                    bar.update(task, status=f"{count} reports")
                await runner

        on_bluetooth(main, seconds=seconds)
    stderr().print(f"{count} advertisement reports written to {file}", markup=False)
