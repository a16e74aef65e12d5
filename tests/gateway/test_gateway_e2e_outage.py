"""End to end through outages: a replayed trace reaches the real CRM exactly once.

Every hop is real: ``crm demo`` seeds a destination (gateways with tokens, consented visitors'
passes) in a database of the test's own, the CRM runs on a real uvicorn on loopback, and
``beacon-gateway replay TRACE --config FILE`` (outbox + uploader, not dry-run) runs in its own
process. While it uploads, the CRM is stopped and started twice and the gateway is killed with
SIGKILL four times (once while the CRM is down), then started again each time. Replay ids are
derived from the trace and the gateway id (``beacon_gateway.ids.SeededIds``), so a ``--dry-run``
of the same trace tells exactly which events the gateway makes; afterwards the CRM's dedup ledger
holds exactly those ids, and the consented visitors' stored events are a subset with no id twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from eddystone import build_tlm, build_uid
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow

FEAA = "0000feaa-0000-1000-8000-00805f9b34fb"
DEADLINE_S = 80.0
PASSES = 60
VISITS = 2
STAY_S = 100  # one sighting a second while present; dwell_interval_s = 1 → ~1 event a sighting
GAP_S = 15  # > exit_timeout_s: every visit ends with an exit
# The trace starts after the demo visitors gave consent (the CRM's consent gate compares with
# observed_at) and spans ~4.5 min, inside the CRM's "not after now + 5 min" clock window.


def _write_trace(path: Path, passes: list[tuple[str, str]], start: float) -> int:
    """Write a trace of ``passes`` visiting the gateway; returns the number of rows."""
    rows: list[dict[str, Any]] = []
    for p, (namespace, instance) in enumerate(passes):
        uid = build_uid(-18, bytes.fromhex(namespace), bytes.fromhex(instance)).hex()
        address = f"h:{p:012x}"
        t0 = start + p * 0.5
        for v in range(VISITS):
            for s in range(STAY_S):
                t = t0 + v * (STAY_S + GAP_S) + s + (p % 10) / 10
                rssi = -60 - ((p * 31 + v * 7 + s * 13) % 9)
                data = uid
                if s % 10 == 9:
                    data = build_tlm(3000 - p, 21.5, 1000 * v + s, 10 * s).hex()
                rows.append(
                    {
                        "t": round(t, 3),
                        "address": address,
                        "rssi": rssi,
                        "service_data": {FEAA: data},
                        "manufacturer_data": {},
                        "local_name": None,
                        "tx_power": None,
                    }
                )
    rows.sort(key=lambda r: (r["t"], r["address"]))
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, separators=(",", ":")) + "\n")
    return len(rows)


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Gateway:
    """``beacon-gateway replay`` in a subprocess, killable and restartable."""

    def __init__(self, trace: Path, config: Path, logs: Path) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "beacon_gateway",
            "replay",
            str(trace),
            "--config",
            str(config),
        ]
        self.logs = logs
        self.starts = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.starts += 1
        log = (self.logs / f"gateway-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL, "the gateway had already exited"

    def log_tail(self) -> str:
        return (self.logs / f"gateway-{self.starts}.log").read_text(errors="replace")[-3000:]


def test_replay_survives_crm_outages_and_sigkill(live_server: LiveServer, tmp_path: Path) -> None:
    started = time.monotonic()
    env = {**os.environ, "DATABASE_URL": live_server.database_url}
    scenario = tmp_path / "scenario.json"
    subprocess.run(
        [sys.executable, "-m", "crm", "demo", "--scenario", str(scenario)],
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    )
    seeded = json.loads(scenario.read_text())
    gateway = seeded["gateways"][0]
    consented = [
        (p["namespace"], p["instance"]) for p in seeded["passes"] if p["type"] == "eddystone-uid"
    ]
    assert consented, "the demo seeds UID passes"
    anonymous = [("f" * 20, f"{i:012x}") for i in range(PASSES - len(consented))]

    trace = tmp_path / "trace.jsonl"
    rows = _write_trace(trace, consented + anonymous, time.time() + 1)
    token_file = tmp_path / "token"
    token_file.write_text(gateway["token"])
    token_file.chmod(0o600)
    data_dir = tmp_path / "data"
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[gateway]
id = "{gateway["id"]}"
crm_url = "{live_server.url}"
token_file = "{token_file}"
data_dir = "{data_dir}"
[scan]
restart_interval_s = 5
[presence]
exit_timeout_s = 10
dwell_interval_s = 1
[upload]
batch_max = 40
interval_s = 0.2
timeout_s = 5
backoff_max_s = 0.5
"""
    )

    dry = subprocess.run(
        [*Gateway(trace, config, tmp_path).argv, "--dry-run"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    produced = [json.loads(line)["id"] for line in dry.stdout.splitlines()]
    assert len(produced) >= 10_000, f"{len(produced)} events from {rows} rows"
    assert len(set(produced)) == len(produced)

    dsn = _dsn(live_server.database_url)
    # closed on every way out (a failed assertion too): no connection left to the GC
    with psycopg.connect(dsn, autocommit=True) as db:

        def stored() -> int:
            row = db.execute(
                "SELECT count(*) FROM ingested_event WHERE gateway_id = %s", (gateway["id"],)
            ).fetchone()
            assert row is not None
            return int(row[0])

        def outbox_state() -> tuple[int, bool]:
            path = data_dir / "outbox.db"
            if not path.exists():
                return 0, False
            # sqlite3's own context manager only ends the transaction: closing() closes
            uri = f"file:{path}?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as con:
                try:
                    depth = con.execute("SELECT count(*) FROM event").fetchone()[0]
                    done = con.execute(
                        "SELECT 1 FROM meta WHERE key LIKE 'replay_done:%'"
                    ).fetchone()
                except sqlite3.OperationalError:  # tables not created yet
                    return 0, False
            return int(depth), done is not None

        def wait_for(what: str, check: Callable[[], bool]) -> None:
            while not check():
                if time.monotonic() - started > DEADLINE_S:
                    raise AssertionError(
                        f"timed out waiting for {what}; gateway log:\n{gw.log_tail()}"
                    )
                assert gw.proc is not None
                if gw.proc.poll() is not None:
                    raise AssertionError(f"gateway exited early; log:\n{gw.log_tail()}")
                time.sleep(0.01)

        total = len(produced)
        gw = Gateway(trace, config, tmp_path)
        kills = crm_stops = 0
        killed_mid_replay = False
        try:
            gw.start()
            # Kill #1 as early as possible: while the trace is still going into the outbox if we
            # are quick enough (the resume mark makes that safe too), else early in the upload.
            wait_for("the first outbox group", lambda: outbox_state()[0] > 0)
            killed_mid_replay = not outbox_state()[1]
            gw.kill()
            kills += 1
            gw.start()

            wait_for("15 % uploaded", lambda: stored() >= total * 0.15)
            gw.kill()  # kill #2: mid-upload, CRM up
            kills += 1
            gw.start()

            wait_for("30 % uploaded", lambda: stored() >= total * 0.30)
            live_server.stop()  # outage #1, and kill #3 while the gateway retries
            crm_stops += 1
            time.sleep(1.0)
            gw.kill()
            kills += 1
            gw.start()
            time.sleep(1.0)
            live_server.start()

            wait_for("50 % uploaded", lambda: stored() >= total * 0.50)
            gw.kill()  # kill #4
            kills += 1
            gw.start()

            wait_for("65 % uploaded", lambda: stored() >= total * 0.65)
            live_server.stop()  # outage #2
            crm_stops += 1
            time.sleep(1.5)
            live_server.start()

            assert gw.proc is not None
            gw.proc.wait(timeout=max(1.0, DEADLINE_S - (time.monotonic() - started)))
            assert gw.proc.returncode == 0, gw.log_tail()
        finally:
            if gw.proc is not None and gw.proc.poll() is None:
                gw.proc.kill()
                gw.proc.wait()

        ledger = {
            str(r[0])
            for r in db.execute(
                "SELECT id FROM ingested_event WHERE gateway_id = %s", (gateway["id"],)
            ).fetchall()
        }
        row = db.execute(
            "SELECT count(*), count(DISTINCT id) FROM proximity_event WHERE gateway_id = %s",
            (gateway["id"],),
        ).fetchone()
        visits = {
            str(r[0])
            for r in db.execute(
                "SELECT id FROM proximity_event WHERE gateway_id = %s", (gateway["id"],)
            ).fetchall()
        }
    elapsed = time.monotonic() - started
    report = (
        f"{total} events produced from {rows} trace rows, {crm_stops} CRM stops, {kills} "
        f"SIGKILLs (first mid-replay: {killed_mid_replay}), {len(ledger)} ids in the ledger, "
        f"{len(visits)} stored for consented visitors, {elapsed:.1f} s"
    )
    print(report)  # the kills and stops are this script's own (each kill checks SIGKILL ended it)
    assert outbox_state()[0] == 0, "the outbox drained"
    assert ledger == set(produced), report  # nothing lost, nothing foreign
    assert row is not None and row[0] == row[1] > 0, f"proximity_event twice? {row}"
    assert visits <= ledger
    assert elapsed < 90, report
