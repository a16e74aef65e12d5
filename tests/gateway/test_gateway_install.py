"""The installer's path (docs/raspberry-pi.md part 4): a wheel, a fresh virtualenv, the extra.

Built and installed for real: ``pip wheel`` of this tree, ``python -m venv``, ``pip install
'balise-…whl[gateway]'`` (its dependencies come from the package index, as on a Pi). What the
docs then send the installer to must be there: ``beacon-gateway --help``, the example config
and the systemd unit from ``beacon-gateway example``; and ``crm``, whose server is not
installed, says so in one line instead of a traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    if check:
        assert done.returncode == 0, f"{argv}: {done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_a_gateway_only_install_from_the_wheel_has_what_the_docs_promise(tmp_path: Path) -> None:
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    _run(*pip, "wheel", "-q", "--no-deps", "-w", tmp_path / "dist", ROOT)
    (wheel,) = (tmp_path / "dist").glob("balise-*-py3-none-any.whl")
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    bin_ = venv / "bin"
    _run(bin_ / "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[gateway]")

    helped = _run(bin_ / "beacon-gateway", "--help")
    for command in ("enroll", "calibrate", "run", "scan", "example"):
        assert command in helped.stdout
    config = _run(bin_ / "beacon-gateway", "example", "config").stdout
    assert config == (ROOT / "examples" / "gateway.toml").read_text(encoding="utf-8")
    unit = _run(bin_ / "beacon-gateway", "example", "unit").stdout
    assert unit == (ROOT / "deploy" / "beacon-gateway.service").read_text(encoding="utf-8")
    assert "ExecStart=/opt/balise/.venv/bin/beacon-gateway run" in unit

    crm = _run(bin_ / "crm", "--help", check=False)
    assert crm.returncode == 1
    assert crm.stdout == ""
    assert crm.stderr.count("\n") == 1, crm.stderr
    assert "balise[server]" in crm.stderr and "Traceback" not in crm.stderr

    server = _run(bin_ / "python", "-c", "import sqlalchemy", check=False)
    assert server.returncode == 1, "no server package in a gateway-only install"
