"""``beacon-gateway replay``: a recorded trace through the live pipeline, on its own clock."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from beacon_gateway.cli.common import ConfigOption, fail, load, progress, read_token, stderr

if TYPE_CHECKING:
    from beacon_gateway.config import GatewayConfig
    from beacon_gateway.events import ProximityEvent
    from beacon_gateway.outbox import Outbox

__all__ = ["replay"]

GROUP = 256  # events committed to the outbox in one transaction


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
    from beacon_gateway.node import open_outbox
    from beacon_gateway.pipeline import Pipeline
    from beacon_gateway.trace import TraceError, parse_line

    cfg = load(config)
    token = "" if dry_run else read_token(cfg)
    try:
        digest = trace_digest(trace)
    except FileNotFoundError as exc:
        raise fail("no such trace file", trace) from exc
    make_id = SeededIds(f"replay:{cfg.gateway.id}:{digest}".encode())
    pipe = Pipeline(cfg, make_id=make_id)
    outbox = None if dry_run else open_outbox(cfg)
    done_key, made_key = f"replay_done:{digest[:32]}", f"replay_made:{digest[:32]}"
    already = 0 if outbox is None else (outbox.get_meta(made_key) or 0)
    finished = outbox is not None and outbox.get_meta(done_key) == 1
    if already or finished:
        stderr().print(
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
        if not force and len(pending) < GROUP:
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
            with progress(sys.stderr.isatty()) as bar, trace.open(encoding="utf-8") as fh:
                task = bar.add_task("replaying", total=size, status="")
                done = 0
                for lineno, line in enumerate(fh, start=1):
                    done += len(line)
                    if not line.strip():
                        continue
                    adv = parse_line(line, lineno)
                    last_t = adv.t
                    emit(pipe.process(adv))
                    if lineno % 5000 == 0:
                        bar.update(task, completed=done, status=f"{lineno} lines")
            emit(pipe.close_all(last_t if last_t is not None else 0.0), force=True)
        except TraceError as exc:
            raise fail("bad trace", f"{trace}: {exc}") from exc
        if outbox is not None:
            outbox.add([], progress=(done_key, 1))
        c = pipe.counters
        stderr().print(
            f"{c.adverts} adverts, {c.sightings} sightings, events {c.events}, "
            f"{c.filtered_namespace} filtered, {c.malformed} malformed"
        )
    if outbox is not None:
        ok = asyncio.run(upload_all(cfg, outbox, token))
        outbox.close()
        if not ok:
            raise typer.Exit(1)


def trace_digest(trace: Path) -> str:
    """SHA-256 (hex) of a trace file: names the replay for deterministic ids and resumption."""
    h = hashlib.sha256()
    with trace.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


async def upload_all(cfg: GatewayConfig, outbox: Outbox, token: str) -> bool:
    """Upload the whole outbox, with a progress bar; False if the CRM refused the token."""
    import httpx2

    from beacon_gateway.clock import SystemClock
    from beacon_gateway.node import uploader_for
    from beacon_gateway.uploader import Outcome

    async with httpx2.AsyncClient() as client:
        up = uploader_for(cfg, outbox, client, token, SystemClock())
        total = outbox.depth
        with progress(sys.stderr.isatty()) as bar:
            task = bar.add_task("uploading", total=total, status="")
            while True:
                outcome, delay = await up.upload_once()
                bar.update(task, completed=total - outbox.depth, status=up.state.last_error or "")
                if outcome is Outcome.IDLE:
                    break
                if outcome is Outcome.STOPPED:
                    stderr().print(
                        "[red]the CRM refused the token; events kept in the outbox[/red]"
                    )
                    return False
                if delay:
                    await asyncio.sleep(delay)
    st = up.state
    stderr().print(
        f"uploaded: {st.accepted} accepted, {st.duplicates} duplicates, {st.rejected} rejected"
    )
    return True
