"""Test harness: a migrated template database, per-test rollback, cloned databases, live servers.

- ``DATABASE_URL`` names the server to use (CI: the PostgreSQL on 127.0.0.1:5432); unset, the
  embedded server under ``.balise/test`` is started.
- One template database is migrated with Alembic per test session. ``db`` runs each test inside
  a transaction of a clone that is rolled back; ``committed_db`` gives a test its own fresh
  clone (``CREATE DATABASE ... TEMPLATE``) for real commits, several connections, COPY,
  LISTEN/NOTIFY or a live server.
- ``crm_clock`` fixes the CRM's clock (crm/core/clock.py) for a test, to compare times exactly.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import psycopg
import pytest
import uvicorn
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from crm.core import clock
from crm.core.db import Database, database_url
from crm.core.settings import PROJECT_ROOT, Settings

RUN_ID = uuid.uuid4().hex[:8]
# The app answers only the hosts it knows (crm/core/hosts.py); the in-process clients name these
# (httpx's base_url in the tests, "testserver" in schemathesis). Live servers are on 127.0.0.1.
os.environ["BALISE_ALLOWED_HOSTS"] = "localhost,127.0.0.1,::1,test,t,crm.test,testserver"


@pytest.fixture
def crm_clock() -> Iterator[clock.FrozenClock]:
    """The CRM's clock fixed at the current whole second (so that it survives a trip through
    RFC 3339 and PostgreSQL's microseconds); ``set`` or ``advance`` it. Restored afterwards."""
    with clock.frozen(datetime.now(UTC).replace(microsecond=0)) as frozen:
        yield frozen


def _admin_dsn(url: str, dbname: str = "postgres") -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database=dbname)
        .render_as_string(hide_password=False)
    )


def _with_database(url: str, dbname: str) -> str:
    return make_url(url).set(database=dbname).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url() -> str:
    """SQLAlchemy URL of the PostgreSQL server the tests use."""
    settings = Settings(_env_file=None, data_dir=PROJECT_ROOT / ".balise" / "test")  # type: ignore[call-arg]
    return database_url(settings)


class Databases:
    """Creates and drops the session's databases on one server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.created: list[str] = []

    def execute(self, sql: str) -> None:
        with psycopg.connect(_admin_dsn(self.url), autocommit=True) as conn:
            conn.execute(sql)

    def clone(self, template: str, name: str | None = None) -> str:
        name = name or f"balise_t{RUN_ID}_{uuid.uuid4().hex[:8]}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.created.append(name)
        return _with_database(self.url, name)

    def drop_all(self) -> None:
        for name in reversed(self.created):
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> None:
    """Run the Alembic history up to head on ``url``."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


@pytest.fixture(scope="session")
def databases(server_url: str) -> Iterator[Databases]:
    dbs = Databases(server_url)
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def template_db(databases: Databases) -> str:
    """Name of a database migrated to head; never connected to after migration."""
    name = f"balise_t{RUN_ID}_template"
    databases.execute(f'CREATE DATABASE "{name}"')
    databases.created.append(name)
    migrate(_with_database(databases.url, name))
    return name


@pytest.fixture(scope="session")
async def shared_database(databases: Databases, template_db: str) -> AsyncIterator[Database]:
    """One clone shared by all rollback tests."""
    database = Database(databases.clone(template_db))
    yield database
    await database.dispose()


@pytest.fixture
async def db(shared_database: Database) -> AsyncIterator[Database]:
    """A ``Database`` whose every session lives in one transaction, rolled back after the test."""
    async with shared_database.engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield Database.bound_to(connection)
        finally:
            await transaction.rollback()


@pytest.fixture
def committed_db_url(databases: Databases, template_db: str) -> str:
    """URL of a fresh migrated database of this test's own (real commits allowed)."""
    return databases.clone(template_db)


@pytest.fixture
async def committed_db(committed_db_url: str) -> AsyncIterator[Database]:
    """A ``Database`` on a fresh clone: commits are real and visible to other connections."""
    database = Database(committed_db_url)
    yield database
    await database.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """The CRM served by a real uvicorn on loopback, in a thread; stoppable and restartable."""

    def __init__(
        self, database_url: str, port: int | None = None, *, scheduler: bool = False
    ) -> None:
        self.database_url = database_url
        self.scheduler = scheduler
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from crm.main import create_app

        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=self.database_url,
            scheduler_enabled=self.scheduler,
            public_url=self.url,  # the links it hands out lead back to it
        )
        config = uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            # as `crm serve`: an event stream a test left open is cancelled, not waited for
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=20)
            self._server = None

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@pytest.fixture
def live_server(committed_db_url: str) -> Iterator[LiveServer]:
    """The CRM on a real uvicorn, on a database of the test's own (no scheduler jobs)."""
    with LiveServer(committed_db_url) as server:
        yield server


@pytest.fixture
def live_crm(committed_db_url: str) -> Iterator[LiveServer]:
    """The CRM as deployed: a real uvicorn with its scheduler (visits follower and all jobs)."""
    with LiveServer(committed_db_url, scheduler=True) as server:
        yield server
