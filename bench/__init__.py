"""The benchmarks (bench/README.md; ``./run bench NAME`` runs ``bench/NAME.py``).

What the database benchmarks share: a scratch database of their own on the ``DATABASE_URL``
server (the embedded one when unset), migrated to head, and dropped at the end; the CRM served
from it by uvicorn. The server packages are imported when called, not here: the gateway and
eddystone benchmarks import this package too and measure their own memory.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping


def dsn(url: str) -> str:
    """psycopg's form of a SQLAlchemy database URL."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_database(prefix: str) -> str:
    """A fresh database named ``prefix`` and a random suffix, migrated; its SQLAlchemy URL."""
    import psycopg
    from alembic import command
    from alembic.config import Config
    from psycopg.sql import SQL, Identifier
    from sqlalchemy.engine import make_url

    from crm.core.db import database_url
    from crm.core.settings import PROJECT_ROOT, Settings

    server = database_url(Settings(_env_file=None))
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn(server), autocommit=True) as conn:
        conn.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")
    return url


def drop_database(url: str) -> None:
    """Drop the database ``create_database`` made (its open connections closed)."""
    import psycopg
    from psycopg.sql import SQL, Identifier
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    assert name is not None
    server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(dsn(server), autocommit=True) as conn:
        conn.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(Identifier(name)))


def start_server(
    url: str, port: int, settings: Mapping[str, str], *, workers: int = 1, fast: bool = False
) -> subprocess.Popen[bytes]:
    """uvicorn serving the CRM on ``127.0.0.1:port`` from the database ``url``, with the
    ``BALISE_*`` ``settings`` (plain-text logs, no access log), once it answers ``/healthz``
    (a minute at the most). ``fast``: uvloop and httptools, as deployed."""
    from crm.core.settings import PROJECT_ROOT

    env = {**os.environ, "DATABASE_URL": url, "BALISE_LOG_JSON": "false", **settings}
    command = [
        sys.executable, "-m", "uvicorn", "crm.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    if fast:
        command += ["--loop", "uvloop", "--http", "httptools"]
    proc = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("uvicorn did not start")
