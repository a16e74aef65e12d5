"""CLI: replay --dry-run on the trace's clock, config errors, help."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from beacon_gateway.cli import app
from eddystone import build_tlm, build_uid

NS = bytes.fromhex("00112233445566778899")
T0 = 1_795_600_000.0


def write_trace(path: Path) -> None:
    uid = build_uid(-18, NS, bytes.fromhex("aabbccddeeff")).hex()
    foreign = build_uid(-18, bytes(10), bytes(6)).hex()
    lines = []
    for i in range(0, 130, 2):  # 130 s of a pass at ~1.3 m, one advert every 2 s
        sd = {"feaa": build_tlm(3000, 20.0, i, i).hex()} if i % 10 == 6 else {"feaa": uid}
        lines.append({"t": T0 + i, "address": "h:abc", "rssi": -62, "service_data": sd})
        lines.append(
            {"t": T0 + i, "address": "h:def", "rssi": -50, "service_data": {"feaa": foreign}}
        )
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")


def test_replay_dry_run_prints_events_on_the_trace_clock(tmp_path: Path) -> None:
    trace = tmp_path / "t.jsonl"
    write_trace(trace)
    cfg = tmp_path / "gw.toml"
    cfg.write_text(f'[gateway]\nid = "zoo-1"\n[scan]\nnamespaces = ["{NS.hex()}"]\n')
    result = CliRunner().invoke(app, ["replay", str(trace), "--config", str(cfg), "--dry-run"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["kind"], e["observed_at"], e["dwell_s"]) for e in events] == [
        ("enter", "2026-11-25T09:46:42.000Z", 0.0),
        ("dwell", "2026-11-25T09:47:42.000Z", 60.0),
        ("dwell", "2026-11-25T09:48:42.000Z", 120.0),
        ("dwell", "2026-11-25T09:49:42.000Z", 180.0),  # timers fire after the last row too
        ("exit", "2026-11-25T09:49:48.000Z", 186.0),  # last sighting (T0 + 128 s) + 60 s
    ]
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert events[0]["device"] == {
        "type": "eddystone-uid",
        "namespace": NS.hex(),
        "instance": "aabbccddeeff",
    }
    assert len({e["id"] for e in events}) == 5
    # same trace, same events (ids aside)
    again = CliRunner().invoke(app, ["replay", str(trace), "--config", str(cfg), "--dry-run"])
    strip = [
        {k: v for k, v in json.loads(x).items() if k != "id"} for x in again.stdout.splitlines()
    ]
    assert strip == [{k: v for k, v in e.items() if k != "id"} for e in events]


def test_bad_config_is_reported(tmp_path: Path) -> None:
    cfg = tmp_path / "gw.toml"
    cfg.write_text("[presence]\nenter_rssi = -70\n")
    trace = tmp_path / "t.jsonl"
    trace.write_text("")
    result = CliRunner().invoke(app, ["replay", str(trace), "--config", str(cfg), "--dry-run"])
    assert result.exit_code == 2
    assert "[presence] unknown key(s): enter_rssi" in " ".join(result.output.split())


def test_help_lists_the_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("decode", "replay", "simulate"):
        assert name in result.output
