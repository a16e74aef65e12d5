"""Engine, sessions and the tenant scheme every query runs under.

Row-level security is how one destination's rows stay invisible to another's, even when a query
forgets its ``WHERE``. The app connects with any login (``postgres`` in tests) but every app
transaction starts with ``SET LOCAL ROLE balise_app`` — a non-superuser role that RLS applies
to — and ``app.destination_id`` set to the tenant (or empty: then no tenant row is visible).
Both are transaction-local, so a transaction-mode pooler cannot leak them between clients.

``system`` sessions (migrations, scheduler jobs that work across tenants, the look-up of a
bearer secret before the tenant is known) keep the login's own role: tables are owned by the
migrating role, and owners bypass RLS unless it is forced.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from pydantic_core import to_json
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel import SQLModel

from crm.core.settings import Settings

APP_ROLE = "balise_app"
# Seconds to wait for a new connection (libpq's ``connect_timeout``; a URL's own wins). Without
# it a connection attempt to a host that does not answer waits for TCP to give up (minutes, or
# for ever once a frozen server has accepted it) while the request holds its pool slot; with
# it, the request fails over to a 503 (crm/core/errors.py).
CONNECT_TIMEOUT_S = 5

# Stable constraint names, so that Alembic migrations can name what they alter.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


_ROLE_AND_TENANT = text(
    "SELECT set_config('role', :role, true), set_config('app.destination_id', :tenant, true)"
)


class TenantSession(Session):
    """The sync session under every ``AsyncSession``; applies role and tenant on begin."""


# A system session's info flag: its first statement sets role and tenant itself (the roadbook
# token's and a gateway's "enter" statements: crm.visitors.service, crm.gateways.deps), so its
# first transaction skips the begin's statement. A system transaction's role is the login role
# anyway: every role and tenant setting is transaction-local.
SETS_ITS_OWN_ROLE = "sets_its_own_role"
# The info flag of sessions inside an outer transaction (Database.bound_to): there a previous
# session's settings last until the outer transaction ends, so every begin sets them.
IN_OUTER_TRANSACTION = "in_outer_transaction"


@contextmanager
def sets_its_own_role(session: AsyncSession) -> Iterator[None]:
    """Within the block, ``session``'s begin leaves role and tenant to the statement run first
    (``session`` must be a system one; a begin that happened before is not undone, and the
    flag never outlives the block)."""
    assert session.info.get("system")
    session.info[SETS_ITS_OWN_ROLE] = True
    try:
        yield
    finally:
        session.info.pop(SETS_ITS_OWN_ROLE, None)


@event.listens_for(TenantSession, "after_begin")
def _apply_role_and_tenant(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    if session.info.pop(SETS_ITS_OWN_ROLE, False) and not session.info.get(IN_OUTER_TRANSACTION):
        return
    # One round trip: role and tenant are both transaction-local settings (``SET LOCAL ROLE``
    # is ``set_config('role', ..., true)``).
    system = bool(session.info.get("system"))
    tenant = session.info.get("destination_id")
    connection.execute(
        _ROLE_AND_TENANT,
        {
            "role": "none" if system else APP_ROLE,
            "tenant": "" if system or not tenant else str(tenant),
        },
    )


def database_url(settings: Settings) -> str:
    """``DATABASE_URL`` when set, else the embedded server's (started if needed)."""
    if settings.database_url:
        url = settings.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url
    from crm.core import embedded

    return embedded.start(settings.data_dir)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine on psycopg 3 with sane pool defaults and a connection timeout."""
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    if "connect_timeout" not in make_url(url).query:
        kwargs["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            **kwargs.get("connect_args", {}),
        }
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that never expire loaded objects on commit (no lazy loads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=TenantSession)


class Database:
    """One engine and its session factory; the app keeps one on ``app.state.db``."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = session_factory(self.engine)

    @classmethod
    def bound_to(cls, connection: AsyncConnection) -> Database:
        """Sessions inside an open transaction of ``connection``, each one a savepoint.

        Tests use it to run the whole app inside a transaction that is rolled back afterwards.
        """
        db = cls.__new__(cls)
        db.url = str(connection.engine.url)
        db.engine = connection.engine
        db.sessions = async_sessionmaker(
            bind=connection,
            expire_on_commit=False,
            sync_session_class=TenantSession,
            join_transaction_mode="create_savepoint",
            info={IN_OUTER_TRANSACTION: True},
        )
        return db

    @asynccontextmanager
    async def session(
        self, destination_id: uuid.UUID | None = None, *, system: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A session scoped to one tenant (or none), or a ``system`` session across tenants."""
        async with self.sessions() as session:
            session.info["destination_id"] = destination_id
            session.info["system"] = system
            yield session

    async def in_batches(
        self, batch_size: int, batch: Callable[[AsyncSession], Awaitable[int]]
    ) -> int:
        """Run ``batch`` in ``system`` sessions, each committed on its own, until one does fewer
        than ``batch_size`` rows; how many it did in all (the retention jobs' loop)."""
        total = 0
        while True:
            async with self.session(system=True) as session:
                done = await batch(session)
                await session.commit()
            total += done
            if done < batch_size:
                return total

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def array_literal(values: Sequence[object]) -> str:
    """A PostgreSQL array literal (pass it as text, cast to the array type) for bulk statements.

    PostgreSQL parses a 1,000-element literal in well under a millisecond, and building it is
    one JSON dump in pydantic-core (UUIDs and datetimes included): JSON's quoting is the array
    syntax's for what may pass here — UUIDs, RFC 3339 times, fixed words, hex, numbers and
    nulls, all plain ASCII without backslashes or braces. Never free text.
    """
    return "{" + to_json(values).decode()[1:-1] + "}"


def driver_connection(connection: Any) -> Any:
    """The psycopg connection under a SQLAlchemy async connection (for COPY and arrays)."""
    return connection.sync_connection.connection.driver_connection


# A statement for the driver (psycopg's ``%(name)s`` placeholders) and its parameters.
Read = tuple[str, Mapping[str, Any]]


async def on_driver(session: AsyncSession, statement: Read) -> list[Any]:
    """Run one ``statement`` on the driver in ``session``'s transaction (its role and tenant):
    its rows (none for a statement that returns none). Less CPU than SQLAlchemy's execution and
    result machinery, for the statements of every roadbook request."""
    query, params = statement
    conn = driver_connection(await session.connection())
    async with conn.cursor() as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall() if cursor.description is not None else []


async def read_together(session: AsyncSession, reads: Sequence[Read]) -> list[list[Any]]:
    """The rows of each of ``reads``, run in ``session``'s transaction (its role and tenant) in
    one round trip: psycopg's pipeline mode sends them all, then waits once (a roadbook request
    reads its visitor's consent, visits, exposures and codes so, not one after another)."""
    conn = driver_connection(await session.connection())
    cursors = [conn.cursor() for _ in reads]
    try:
        async with conn.pipeline():
            for cursor, (query, params) in zip(cursors, reads, strict=True):
                await cursor.execute(query, params)
        return [await cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            await cursor.close()
