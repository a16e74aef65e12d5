"""Logs when stderr is not a terminal (systemd's journal, a pipe): one line per record with
its sd-daemon priority, never wrapped, never coloured."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.gateway.bluez_support import no_bluez  # noqa: F401 (the fixture)

LOGS = """
import logging
from beacon_gateway.journal import setup_logging
setup_logging(level=logging.DEBUG)
log = logging.getLogger("beacon_gateway.here")
log.debug("looking")
log.info("remote config version 3 applied")
log.warning("upload failed (%s); retrying", "x" * 150)
try:
    raise OSError("disk\\nfull")
except OSError:
    log.exception("cannot save")
log.critical("gone")
"""


def test_a_pipe_gets_one_line_per_record_with_its_priority() -> None:
    done = subprocess.run([sys.executable, "-c", LOGS], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[:3] == [
        "<7>beacon_gateway.here: looking",
        "<6>beacon_gateway.here: remote config version 3 applied",
        f"<4>beacon_gateway.here: upload failed ({'x' * 150}); retrying",
    ]
    assert lines[3].startswith("<3>beacon_gateway.here: cannot save | Traceback")
    assert lines[3].endswith("OSError: disk | full")
    assert lines[4:] == ["<2>beacon_gateway.here: gone"]
    assert "\x1b[" not in done.stderr, "no colour"


def test_run_under_a_pipe_logs_for_journald(no_bluez: str, tmp_path: Path) -> None:  # noqa: F811
    token = tmp_path / "token"
    token.write_text("tok\n")
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[gateway]\nid = "spa-1"\ncrm_url = "http://127.0.0.1:9"\n'
        f'token_file = "{token}"\ndata_dir = "{tmp_path / "data"}"\n'
    )
    gateway = subprocess.Popen(
        [sys.executable, "-m", "beacon_gateway", "run", "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert gateway.stderr is not None
    lines = []
    try:
        for line in gateway.stderr:
            lines.append(line.rstrip("\n"))
            if "cannot scan" in line:
                break
    finally:
        gateway.send_signal(signal.SIGTERM)
        _, rest = gateway.communicate(timeout=60)
    lines += rest.splitlines()
    assert gateway.returncode == 0, lines
    (warning,) = [line for line in lines if "cannot scan" in line]
    assert warning.startswith(
        "<4>beacon_gateway.runtime: cannot scan: is Bluetooth on? see rfkill list ("
    )
    assert len(warning) > 80, "not wrapped at 80 columns"
    assert all(line.startswith("<") for line in lines[:-1]), lines
    assert lines[-1].startswith("stopped: {"), lines
