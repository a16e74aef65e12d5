"""The ``beacon-gateway`` command line: what an installer types on the Pi."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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

    Event ids are derived from the trace and the gateway id, so the same replay always makes
    the same ids (a --dry-run shows them). A replay killed at any point resumes when started
    again: the outbox records how many events of this trace it holds, so nothing is made twice.
    """
    from beacon_gateway.ids import SeededIds
    from beacon_gateway.outbox import Outbox
    from beacon_gateway.pipeline import Pipeline
    from beacon_gateway.trace import TraceError, parse_line

    cfg = _load(config)
    token = "" if dry_run else _read_token(cfg)
    try:
        digest = _trace_digest(trace)
    except FileNotFoundError as exc:
        raise _fail("no such trace file", trace) from exc
    make_id = SeededIds(f"replay:{cfg.gateway.id}:{digest}".encode())
    pipe = Pipeline(cfg, make_id=make_id)
    outbox = (
        None
        if dry_run
        else Outbox(Path(cfg.gateway.data_dir) / "outbox.db", cfg.upload.outbox_max_events)
    )
    done_key, made_key = f"replay_done:{digest[:32]}", f"replay_made:{digest[:32]}"
    already = 0 if outbox is None else (outbox.get_meta(made_key) or 0)
    finished = outbox is not None and outbox.get_meta(done_key) == 1
    if already or finished:
        _stderr().print(
            f"resuming: {already} events of this trace already in the outbox or uploaded"
            + ("; replay complete, uploading what is left" if finished else "")
        )
    seq = 0
    made = 0  # events the pipeline has produced so far (skipped or stored)
    pending: list[ProximityEvent] = []

    def emit(events: list[ProximityEvent], force: bool = False) -> None:
        nonlocal seq, made
        for e in events:
            made += 1
            if made > already:
                pending.append(e)
        if not force and len(pending) < 256:
            return
        if outbox is None:
            for e in pending:
                seq += 1
                line = json.dumps(dataclasses.replace(e, seq=seq).to_wire(), separators=(",", ":"))
                sys.stdout.write(line + "\n")
        elif pending or force:
            outbox.add(pending, progress=(made_key, max(made, already)))
        pending.clear()

    size = trace.stat().st_size
    last_t: float | None = None
    if not finished:
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
        except TraceError as exc:
            raise _fail("bad trace", f"{trace}: {exc}") from exc
        if outbox is not None:
            outbox.add([], progress=(done_key, 1))
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


def _trace_digest(trace: Path) -> str:
    """SHA-256 (hex) of a trace file: names the replay for deterministic ids and resumption."""
    h = hashlib.sha256()
    with trace.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


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


# --- live commands -----------------------------------------------------------------------------


def _logging() -> None:
    import logging

    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO, format="%(message)s", handlers=[RichHandler(console=_stderr())]
    )


@app.command()
def run(config: ConfigOption) -> None:
    """Run the gateway: scan, decide presence, keep every event, upload (what systemd starts)."""
    from beacon_gateway.runtime import run_gateway

    cfg = _load(config)
    token = _read_token(cfg)
    _logging()
    result = asyncio.run(run_gateway(cfg, token, handle_signals=True))
    _stderr().print(f"stopped: {result}", markup=False)
    if result["watchdog_exit"] is not None:
        raise typer.Exit(result["watchdog_exit"])  # the scan stalled: systemd restarts us
    if result["scan_error"] or result["auth_failed"]:
        raise typer.Exit(1)


@app.command()
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
    from beacon_gateway.scanner import Scanner
    from beacon_gateway.signal import SignalModel, eddystone_ref_1m
    from eddystone import EddystoneError, frame_to_json, parse_service_data

    cfg = _load(config) if config else GatewayConfig(scan=ScanConfig(adapter=adapter))
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
        for frame, rssi, dist in sorted(rows.values(), key=lambda r: -r[1])[:40]:
            t.add_row(frame, f"{rssi:.0f}", dist)
        return t

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        scanner = Scanner(cfg.scan, on_advert, SystemClock(synchronized=lambda: False))
        task = asyncio.create_task(scanner.run(stop))
        started = loop.time()
        with Live(table(), console=_stderr(), refresh_per_second=2) as live:
            while not stop.is_set() and not task.done():
                await asyncio.sleep(0.5)
                live.update(table())
                if seconds and loop.time() - started >= seconds:
                    stop.set()
        await task

    asyncio.run(main())


@app.command()
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
    from beacon_gateway.config import ScanConfig
    from beacon_gateway.scanner import Scanner
    from beacon_gateway.trace import AddressHasher, advert_to_json

    hasher = AddressHasher()
    count = 0

    class UnixClock:
        def now(self) -> float:
            return time.time()

        def base(self) -> str:
            return "unix"

        def unix_offset(self) -> float | None:
            return 0.0

        def wall(self) -> float:
            return time.time()

    with file.open("a", encoding="utf-8") as out:

        def on_advert(adv: Advertisement) -> None:
            nonlocal count
            address = adv.address if keep_addresses else hasher(adv.address)
            out.write(json.dumps(advert_to_json(adv, address), separators=(",", ":")) + "\n")
            count += 1

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            if seconds:
                loop.call_later(seconds, stop.set)
            scanner = Scanner(ScanConfig(adapter=adapter), on_advert, UnixClock())
            with _progress(sys.stderr.isatty()) as progress:
                task = progress.add_task("recording", total=None, status="")
                runner = asyncio.create_task(scanner.run(stop))
                while not runner.done():
                    await asyncio.sleep(0.5)
                    progress.update(task, status=f"{count} reports")
                await runner

        asyncio.run(main())
    _stderr().print(f"{count} advertisement reports written to {file}", markup=False)


# --- enroll ------------------------------------------------------------------------------------


def _set_toml_keys(text: str, section: str, values: Mapping[str, str | float]) -> str:
    """Set keys of one ``[section]`` in TOML text, keeping everything else (comments included).

    The one config editor of the CLI (``enroll`` writes ``[gateway]``, ``calibrate`` writes
    ``[presence]``): a missing section is added, a missing key goes first in its section.
    """
    header = f"[{section}]"
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.strip().split("#")[0].strip() == header),
        None,
    )
    if start is None:
        if section == "gateway":
            lines[:0] = [header, ""]
            start = 0
        else:
            if lines and lines[-1].strip():
                lines.append("")
            lines.append(header)
            start = len(lines) - 1
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
        len(lines),
    )
    for key, value in values.items():
        rendered = f"{key} = {json.dumps(value)}"
        for i in range(start + 1, end):
            if lines[i].split("=")[0].strip() == key:
                lines[i] = rendered
                break
        else:
            lines.insert(start + 1, rendered)
            end += 1
    return "\n".join(lines) + "\n"


def _set_gateway_keys(text: str, values: dict[str, str]) -> str:
    """Set ``[gateway]`` keys in TOML text, keeping everything else (comments included)."""
    return _set_toml_keys(text, "gateway", values)


@app.command()
def enroll(
    code: Annotated[str, typer.Argument(help="The one-time claim code from the CRM's office.")],
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            help="Gateway config to create or update.",
            envvar="BALISE_GATEWAY_CONFIG",
        ),
    ] = Path("/etc/balise/gateway.toml"),
    crm_url: Annotated[
        str | None,
        typer.Option(help="The CRM's address (default: gateway.crm_url of the config)."),
    ] = None,
    token_file: Annotated[
        Path | None, typer.Option(help="Where to write the token (default: from the config).")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Gateway data directory (default: from the config).")
    ] = None,
) -> None:
    """Register this gateway with a claim code: writes its token (0600) and its config.

    The office creates the gateway (`crm gateway add NAME --site SITE --claim`) and reads you a
    one-time code; this exchanges it for the gateway's name, secret token and settings, so no
    secret is ever copied by hand. Run it again with a new code to re-enroll.
    """
    from beacon_gateway.config import ConfigError, GatewayConfig, load_config
    from beacon_gateway.fleet import ConfigStore, FleetError, apply_remote, write_secret
    from beacon_gateway.fleet import enroll as enroll_request

    existing = config.exists()
    cfg = _load(config) if existing else GatewayConfig()
    url = crm_url or (cfg.gateway.crm_url if existing else None)
    if url is None:
        raise _fail("no CRM address", f"{config} does not exist yet: give --crm-url")
    token_path = token_file or Path(cfg.gateway.token_file)
    data_path = data_dir or Path(cfg.gateway.data_dir)

    async def exchange() -> Any:
        import httpx2

        async with httpx2.AsyncClient() as client:
            return await enroll_request(client, url, code)

    try:
        got = asyncio.run(exchange())
    except FleetError as exc:
        raise _fail("enrolment refused", exc) from exc
    write_secret(token_path, got.token + "\n")
    text = (
        config.read_text(encoding="utf-8")
        if existing
        else (
            "# Balise gateway configuration, written by `beacon-gateway enroll`.\n"
            "# Every key is explained in examples/gateway.toml of the balise package.\n"
        )
    )
    values = {"id": got.gateway_id, "crm_url": url}
    if token_file is not None or not existing:
        values["token_file"] = str(token_path)
    if data_dir is not None or not existing:
        values["data_dir"] = str(data_path)
    config.parent.mkdir(parents=True, exist_ok=True)
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(_set_gateway_keys(text, values), encoding="utf-8")
    try:
        new_cfg = load_config(tmp)
        apply_remote(new_cfg, got.config.document, got.gateway_id)
    except ConfigError as exc:
        tmp.unlink()
        raise _fail("the enrolled config does not validate (nothing changed)", exc) from exc
    tmp.replace(config)
    ConfigStore(data_path).save(got.config)
    _stderr().print(
        f"enrolled as [bold]{got.gateway_id}[/bold] (config version {got.config.version}); "
        f"token written to {token_path} (mode 0600), config {config}.\n"
        "Next: sudo systemctl enable --now beacon-gateway",
        highlight=False,
    )


# --- calibrate ---------------------------------------------------------------------------------


@app.command()
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
    import re

    from beacon_gateway.advert import Advertisement
    from beacon_gateway.calibration import CalibrationError, Sampler
    from beacon_gateway.clock import SystemClock
    from beacon_gateway.config import ConfigError, load_config
    from beacon_gateway.scanner import Scanner

    if any_pass == (namespace is not None or instance is not None):
        raise _fail("which pass?", "give --namespace and --instance, or --any")
    uid = None
    if not any_pass:
        uid = f"{(namespace or '').lower()}:{(instance or '').lower()}"
        if not re.fullmatch(r"[0-9a-f]{20}:[0-9a-f]{12}", uid):
            raise _fail("which pass?", "--namespace is 20 hex digits and --instance 12")
    cfg = _load(config)
    console = _stderr()
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

    async def listen() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        scanner = Scanner(cfg.scan, on_advert, clock)
        task = asyncio.create_task(scanner.run(stop))
        started = loop.time()
        with _progress(True) as progress:
            bar = progress.add_task("listening", total=seconds, status="")
            while not stop.is_set() and not task.done():
                await asyncio.sleep(0.25)
                elapsed = min(seconds, loop.time() - started)
                counts = sorted((len(p.samples) for p in sampler.passes.values()), reverse=True)
                progress.update(
                    bar, completed=elapsed, status=f"{counts[0] if counts else 0} readings"
                )
                if elapsed >= seconds:
                    stop.set()
        await task

    try:
        asyncio.run(listen())
    except Exception as exc:  # no adapter, BlueZ down: say so in the installer's words
        raise _fail(
            "cannot scan", f"{type(exc).__name__}: {exc} (is Bluetooth on? see `rfkill list`)", 1
        ) from exc
    try:
        result = sampler.result()
    except CalibrationError as exc:
        raise _fail("calibration failed (config unchanged)", exc, 1) from exc
    text = config.read_text(encoding="utf-8")
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(
        _set_toml_keys(text, "presence", {"rx_offset_db": result.rx_offset_db}), encoding="utf-8"
    )
    try:
        load_config(tmp)
    except ConfigError as exc:
        tmp.unlink()
        raise _fail("the calibrated config does not validate (nothing changed)", exc) from exc
    tmp.replace(config)
    console.print(
        f"pass [bold]{result.label}[/bold]: median {result.median_rssi:.1f} dBm over "
        f"{result.samples} readings, announced {result.ref_1m:.0f} dBm at 1 m → "
        f"[bold]rx_offset_db = {result.rx_offset_db:+.1f}[/bold] written to {config}.\n"
        "Next: sudo systemctl restart beacon-gateway",
        highlight=False,
    )
    typer.echo(json.dumps(dataclasses.asdict(result), separators=(",", ":")))


# --- advertise ---------------------------------------------------------------------------------


@app.command()
def advertise(
    config: ConfigOption,
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: Ctrl-C).")] = 0.0,
) -> None:
    """Broadcast the site's Eddystone-URL and -UID (and the Pi's TLM), as configured.

    `run` does this too when the advertise section has a url or uid; this command is for
    checking the broadcast with a phone on site, without scanning or uploading.
    """
    from beacon_gateway.advertiser import Advertiser

    cfg = _load(config)
    adv = Advertiser(cfg.advertise, cfg.scan.adapter)
    if not adv.frames:
        raise _fail("nothing to advertise", "set advertise.url and/or advertise.uid in the config")
    _logging()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if seconds:
            loop.call_later(seconds, stop.set)
        await adv.run(stop)

    try:
        asyncio.run(main())
    except Exception as exc:
        raise _fail("cannot advertise", f"{type(exc).__name__}: {exc}", code=1) from exc
    _stderr().print(f"stopped: {adv.stats}", markup=False)
