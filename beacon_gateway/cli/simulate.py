"""``beacon-gateway simulate``: visitors walking between sites, through the real gateway stack."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer

from beacon_gateway.cli.common import fail, stderr

__all__ = ["simulate"]

STATUS_EVERY_S = 5.0  # real seconds between two status lines


def simulate(
    scenario: Annotated[
        Path, typer.Option("--scenario", "-s", help="Scenario file (JSON): CRM, gateways, passes.")
    ],
    speed: Annotated[
        float, typer.Option(help="Simulated seconds per real second.", min=0.1)
    ] = 60.0,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many real seconds (default: Ctrl-C).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same visitors).")] = 0,
    crm_url: Annotated[
        str | None,
        typer.Option(
            help="The CRM's address (default: the scenario's crm_url).", envvar="BALISE_CRM_URL"
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the simulated gateways keep their outboxes (default: the scenario's "
            "data_dir, relative to the scenario file)."
        ),
    ] = None,
) -> None:
    """Simulate visitors walking between sites, through the real pipeline, outbox and uploader.

    Each pass is one visitor: approach, stay a few minutes, leave, travel to another site.
    Real Eddystone frames, realistic RSSI noise, one outbox and uploader per gateway, uploads
    over HTTP with each gateway's token, and heartbeats so the office sees the gateways online.
    Stops cleanly on Ctrl-C / SIGTERM (flushes).
    """
    from beacon_gateway.events import rfc3339
    from beacon_gateway.simulate import ScenarioError, load_scenario, run_simulation

    try:
        scen = load_scenario(scenario, crm_url=crm_url, data_dir=data_dir)
    except ScenarioError as exc:
        raise fail("scenario error", exc) from exc
    console = stderr()
    console.print(
        f"simulating {len(scen.passes)} visitors at {len(scen.gateways)} gateways, "
        f"x{speed:g} speed, CRM {scen.crm_url}"
    )
    last = [0.0]

    def show(status: list[dict[str, object]], sim_now: float) -> None:
        wall = time.monotonic()
        if wall - last[0] < STATUS_EVERY_S:
            return
        last[0] = wall
        parts = [
            f"{s['gateway']}: ev {s['events']} present {s['present']} outbox {s['outbox']} "
            f"sent {s['accepted']}+{s['duplicates']}dup"
            + (f" [red]{s['last_error']}[/red]" if s["last_error"] else "")
            for s in status
        ]
        console.print(f"[dim]{rfc3339(sim_now)}[/dim] " + " | ".join(parts))

    final = asyncio.run(
        run_simulation(
            scen, speed=speed, duration=duration, seed=seed, on_status=show, handle_signals=True
        )
    )
    for s in final:
        console.print(
            f"{s['gateway']}: events {s['events']}, accepted {s['accepted']}, duplicates "
            f"{s['duplicates']}, rejected {s['rejected']}, left in outbox {s['outbox']}"
        )
    if any(s["auth_failed"] for s in final):
        raise typer.Exit(1)
    uploaded = sum(int(s["accepted"]) + int(s["duplicates"]) for s in final)
    waiting = sum(int(s["outbox"]) for s in final)
    if not uploaded and (waiting or not any(s["heartbeats"] for s in final)):
        errors = sorted({str(s["last_error"]) for s in final if s["last_error"]})
        raise fail(
            f"nothing could be uploaded to the CRM at {scen.crm_url}",
            f"{'; '.join(errors) or 'no answer'}. {waiting} events wait in the outboxes under "
            f"{scen.data_dir} (check the address: --crm-url or the scenario's crm_url)",
            1,
        )
