"""The benchmarks (bench/README.md; ``./run bench NAME`` runs ``bench/NAME.py``).

What the database benchmarks share: a scratch database of their own on the ``DATABASE_URL``
server (the embedded one when unset), migrated to head, and dropped at the end. The server
packages are imported when called, not here: the gateway and eddystone benchmarks import this
package too and measure their own memory.
"""

from __future__ import annotations

import uuid


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
