"""Run a ``beacon-gateway`` command as an unprivileged user, as an installer on a Pi does.

As root (a CI container), the command runs in a spawned interpreter that imports what it needs
and then drops to ``nobody`` (the interpreter itself lives under ``/root``, which ``nobody``
cannot read, so it cannot be exec'ed as ``nobody``); as any other user it runs as that user.
"""

from __future__ import annotations

import multiprocessing
import os
import pwd
import subprocess
import sys
from pathlib import Path
from queue import Queue

__all__ = ["UNPRIVILEGED", "gateway_as_user", "user_folder"]

UNPRIVILEGED = "nobody"


def user_folder(path: Path) -> Path:
    """Create ``path`` (0755) owned by the user commands run as; return it."""
    path.mkdir(mode=0o755)
    if os.geteuid() == 0:
        user = pwd.getpwnam(UNPRIVILEGED)
        os.chown(path, user.pw_uid, user.pw_gid)
    return path


def _child(argv: list[str], warm_up: list[str], out: Queue[tuple[int, str]]) -> None:
    from typer.testing import CliRunner

    from beacon_gateway.cli import app

    # Every module the command needs is imported now, while the interpreter's files are
    # readable: a run of the same command that fails at the end (e.g. a refused code).
    CliRunner().invoke(app, warm_up, catch_exceptions=False)
    user = pwd.getpwnam(UNPRIVILEGED)
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    out.put((result.exit_code, result.output))


def gateway_as_user(argv: list[str], warm_up: list[str]) -> tuple[int, str]:
    """``beacon-gateway ARGV`` as a non-root user: (exit status, stdout and stderr).

    ``warm_up``: the same command with arguments that make it fail late, run as root first
    when the command must run in a child that drops its privileges."""
    if os.geteuid() != 0:
        done = subprocess.run(
            [sys.executable, "-m", "beacon_gateway", *argv],
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode, done.stdout + done.stderr
    ctx = multiprocessing.get_context("spawn")
    out: Queue[tuple[int, str]] = ctx.Queue()  # type: ignore[assignment]
    child = ctx.Process(target=_child, args=(argv, warm_up, out))
    child.start()
    try:
        return out.get(timeout=120)
    finally:
        child.join(30)
