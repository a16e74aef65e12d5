"""The ``beacon-gateway`` command line: what an installer types on the Pi."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from beacon_gateway.events import ProximityEvent, rfc3339

if TYPE_CHECKING:
    from beacon_gateway.config import GatewayConfig
    from beacon_gateway.outbox import Outbox

app = typer.Typer(
    name="beacon-gateway",
    help="Balise beacon gateway: scan for visitors' passes, decide presence, report to the CRM.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def decode(
    payloads: Annotated[list[str], typer.Argument(help="Raw BLE advertising payloads, in hex.")],
    service_data: Annotated[
        bool, typer.Option("--service-data", help="Inputs are bare 0xFEAA service data.")
    ] = False,
) -> None:
    """Decode advertising payloads and print one JSON object per input."""
    from beacon_gateway.decode import decode_command

    raise typer.Exit(decode_command(payloads, service_data=service_data))


# --- shared helpers ----------------------------------------------------------------------------

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="Gateway config (TOML), e.g. /etc/balise/gateway.toml.",
        envvar="BALISE_GATEWAY_CONFIG",
    ),
]


def _stderr() -> Console:
    return Console(stderr=True)


def _fail(what: str, detail: object, code: int = 2) -> typer.Exit:
    """Print ``what: detail`` on stderr (detail verbatim, never read as markup); return Exit."""
    console = _stderr()
    console.print(f"[red]{what}:[/red]", end=" ")
    console.print(str(detail), markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _load(path: Path) -> GatewayConfig:
    from beacon_gateway.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        raise _fail("config error", exc) from exc


def _read_token(cfg: GatewayConfig) -> str:
    path = Path(cfg.gateway.token_file)
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        _stderr().print(
            f"[red]cannot read the gateway token[/red] from {path}: {exc.strerror}. "
            "Run `beacon-gateway enroll CODE` or write the token there (mode 0600)."
        )
        raise typer.Exit(2) from exc
    if not token:
        _stderr().print(f"[red]the token file {path} is empty[/red]")
        raise typer.Exit(2)
    return token


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=_stderr(),
        transient=True,
        disable=not enabled,
    )


# --- replay ------------------------------------------------------------------------------------


@app.command()
def replay(
    trace: Annotated[Path, typer.Argument(help="Trace file (JSON lines, as written by `record`).")],
    config: ConfigOption,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print the events as JSON lines instead of uploading."),
    ] = False,
) -> None:
    """Feed a recorded trace through the live pipeline, on the trace's own clock.

    Timers (exit_timeout_s, dwell_interval_s) fire at their due time between rows, and every
    presence still open at the end is closed by the same rules. Without --dry-run the events
    go into the outbox (data_dir) and are uploaded to the CRM.
    """
    from beacon_gateway.ids import uuid7
    from beacon_gateway.outbox import Outbox
    from beacon_gateway.pipeline import Pipeline
    from beacon_gateway.trace import TraceError, parse_line

    cfg = _load(config)
    token = "" if dry_run else _read_token(cfg)
    pipe = Pipeline(cfg, make_id=lambda at: str(uuid7(int(at * 1000))))
    outbox = (
        None
        if dry_run
        else Outbox(Path(cfg.gateway.data_dir) / "outbox.db", cfg.upload.outbox_max_events)
    )
    seq = 0
    pending: list[ProximityEvent] = []

    def emit(events: list[ProximityEvent], force: bool = False) -> None:
        nonlocal seq
        pending.extend(events)
        if not pending or (len(pending) < 256 and not force):
            return
        if outbox is None:
            for e in pending:
                seq += 1
                line = json.dumps(dataclasses.replace(e, seq=seq).to_wire(), separators=(",", ":"))
                sys.stdout.write(line + "\n")
        else:
            outbox.add(pending)
        pending.clear()

    size = trace.stat().st_size if trace.exists() else 0
    last_t: float | None = None
    try:
        with _progress(sys.stderr.isatty()) as progress, trace.open(encoding="utf-8") as fh:
            task = progress.add_task("replaying", total=size, status="")
            done = 0
            for lineno, line in enumerate(fh, start=1):
                done += len(line)
                if not line.strip():
                    continue
                adv = parse_line(line, lineno)
                last_t = adv.t
                emit(pipe.process(adv))
                if lineno % 5000 == 0:
                    progress.update(task, completed=done, status=f"{lineno} lines")
        emit(pipe.close_all(last_t if last_t is not None else 0.0), force=True)
    except FileNotFoundError as exc:
        raise _fail("no such trace file", trace) from exc
    except TraceError as exc:
        raise _fail("bad trace", f"{trace}: {exc}") from exc
    c = pipe.counters
    _stderr().print(
        f"{c.adverts} adverts, {c.sightings} sightings, events {c.events}, "
        f"{c.filtered_namespace} filtered, {c.malformed} malformed"
    )
    if outbox is not None:
        ok = asyncio.run(_upload_all(cfg, outbox, token))
        outbox.close()
        if not ok:
            raise typer.Exit(1)


async def _upload_all(cfg: GatewayConfig, outbox: Outbox, token: str) -> bool:
    import httpx2

    from beacon_gateway.clock import SystemClock
    from beacon_gateway.uploader import Outcome, Uploader

    async with httpx2.AsyncClient() as client:
        up = Uploader(
            outbox,
            client,
            gateway_id=cfg.gateway.id,
            token=token,
            crm_url=cfg.gateway.crm_url,
            config=cfg.upload,
            clock=SystemClock(),
        )
        total = outbox.depth
        with _progress(sys.stderr.isatty()) as progress:
            task = progress.add_task("uploading", total=total, status="")
            while True:
                outcome, delay = await up.upload_once()
                progress.update(
                    task, completed=total - outbox.depth, status=up.state.last_error or ""
                )
                if outcome is Outcome.IDLE:
                    break
                if outcome is Outcome.STOPPED:
                    _stderr().print(
                        "[red]the CRM refused the token; events kept in the outbox[/red]"
                    )
                    return False
                if delay:
                    await asyncio.sleep(delay)
    st = up.state
    _stderr().print(
        f"uploaded: {st.accepted} accepted, {st.duplicates} duplicates, {st.rejected} rejected"
    )
    return True


# --- simulate ----------------------------------------------------------------------------------


@app.command()
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
) -> None:
    """Simulate visitors walking between sites, through the real pipeline, outbox and uploader.

    Each pass is one visitor: approach, stay a few minutes, leave, travel to another site.
    Real Eddystone frames, realistic RSSI noise, one outbox and uploader per gateway, uploads
    over HTTP with each gateway's token. Stops cleanly on Ctrl-C / SIGTERM (flushes).
    """
    from beacon_gateway.simulate import ScenarioError, load_scenario, run_simulation

    try:
        scen = load_scenario(scenario)
    except ScenarioError as exc:
        raise _fail("scenario error", exc) from exc
    console = _stderr()
    console.print(
        f"simulating {len(scen.passes)} visitors at {len(scen.gateways)} gateways, "
        f"x{speed:g} speed, CRM {scen.crm_url}"
    )
    last = [0.0]

    def show(status: list[dict[str, object]], sim_now: float) -> None:
        wall = time.monotonic()
        if wall - last[0] < 5.0:
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
