"""A gateway without Bluetooth (radio blocked, no adapter, BlueZ not running): a D-Bus system
bus on which nothing answers for ``org.bluez``.

The commands an installer types say so in one line; ``run`` stays up, uploads its outbox,
heartbeats with ``no_adapter`` and tries the adapter again, waiting longer each time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

from beacon_gateway.config import config_from_mapping
from beacon_gateway.outbox import Outbox
from beacon_gateway.runtime import NO_ADAPTER, run_gateway
from tests.gateway import upload_support
from tests.gateway.bluez_support import no_bluez  # noqa: F401 (the fixture)
from tests.gateway.upload_support import Crm

GATEWAY = [sys.executable, "-m", "beacon_gateway"]
ONE_LINE = "cannot scan: is Bluetooth on? see rfkill list ("


def _gateway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GATEWAY, *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "80"},
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["scan", "--seconds", "5"], ONE_LINE),
        (["record", "TRACE", "--seconds", "5"], ONE_LINE),
        (["calibrate", "--config", "CONFIG", "--any", "--seconds", "5"], ONE_LINE),
        (["advertise", "--config", "CONFIG", "--seconds", "5"], "cannot advertise: is Bluetooth"),
    ],
    ids=["scan", "record", "calibrate", "advertise"],
)
def test_each_command_says_in_one_line_that_bluetooth_is_off(
    no_bluez: str,  # noqa: F811
    tmp_path: Path,
    command: list[str],
    expected: str,
) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('[advertise]\nurl = "https://ex.am/p"\n', encoding="utf-8")
    argv = [{"CONFIG": str(config), "TRACE": str(tmp_path / "t.jsonl")}.get(a, a) for a in command]
    done = _gateway(*argv)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(expected), done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines[-1]) > 80, f"one line, never wrapped: {done.stderr}"
    assert config.read_text(encoding="utf-8") == '[advertise]\nurl = "https://ex.am/p"\n'


async def test_run_without_an_adapter_uploads_heartbeats_and_retries(
    no_bluez: str,  # noqa: F811
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    crm = Crm()
    heartbeats = crm.heartbeats

    cfg = config_from_mapping(
        {
            "gateway": {"id": "spa-1", "data_dir": str(tmp_path)},
            # Without the suspension, this watchdog would have climbed its whole ladder (restart
            # scan, reset adapter, exit 75) within the test.
            "scan": {"watchdog_silence_s": 0.2},
            "upload": {"interval_s": 0.1},
        }
    )
    event = upload_support.event(1)
    with Outbox(tmp_path / "outbox.db") as box:
        box.add([event], base="unix")

    stop = asyncio.Event()
    caplog.set_level(logging.INFO, logger="beacon_gateway")
    run = asyncio.create_task(
        run_gateway(
            cfg,
            "tok",
            transport=httpx2.MockTransport(crm),
            stop=stop,
            heartbeat_interval_s=0.2,
            watchdog_check_s=0.05,
            adapter_retry_s=0.2,
        )
    )

    def retried(times: int) -> bool:
        return any(hb["watchdog"].get("adapter_retries", 0) >= times for hb in heartbeats)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not (crm.events and retried(3)):
        assert not run.done(), run.result()
        assert loop.time() < deadline, f"uploaded {crm.events}, heartbeats {heartbeats[-1:]}"
        await asyncio.sleep(0.05)
    stop.set()
    result = await run

    assert [e["id"] for e in crm.events] == [event.id], "the outbox is uploaded without an adapter"
    assert heartbeats[-1]["watchdog"]["no_adapter"] == 1, "the office sees it"
    assert result["watchdog_exit"] is None, "no adapter is not a stalled scan"
    assert result["watchdog"]["stalls"] == 0
    assert result["adapter_retries"] >= 3
    assert result["scan_error"] is not None
    warnings = [r.getMessage() for r in caplog.records if NO_ADAPTER in r.getMessage()]
    assert len(warnings) == 1, "said once, not at every retry"


async def test_the_office_hears_of_a_missing_adapter_at_once(
    no_bluez: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Not a heartbeat interval later: the gateway heartbeats as soon as it knows."""
    crm = Crm()
    heartbeats = crm.heartbeats

    cfg = config_from_mapping({"gateway": {"id": "spa-1", "data_dir": str(tmp_path)}})
    stop = asyncio.Event()
    run = asyncio.create_task(
        run_gateway(
            cfg, "tok", transport=httpx2.MockTransport(crm), stop=stop, heartbeat_interval_s=3600
        )
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not any(hb["watchdog"]["no_adapter"] == 1 for hb in heartbeats):
        assert not run.done(), run.result()
        assert loop.time() < deadline, heartbeats
        await asyncio.sleep(0.05)
    stop.set()
    await run
    assert len(heartbeats) <= 2, "the start's heartbeat, then the one saying no adapter"
