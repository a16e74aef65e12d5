"""The ``crm`` command as installers run it: a real subprocess against a test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from sqlalchemy.engine import make_url


def run_crm(
    url: str | None, *args: str, stdin: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m crm ARGS`` with ``DATABASE_URL=url`` (when given) and ``env`` added."""
    environment = {**os.environ, **(env or {})}
    if url is not None:
        environment["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "crm", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=120,
        check=False,
    )


def dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (for psycopg.connect)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
