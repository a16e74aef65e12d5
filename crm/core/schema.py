"""The shared table metadata: core's own tables and every module registered with
``crm.core.hooks.register_models`` (Alembic's env and the app both read it)."""

from __future__ import annotations

from sqlalchemy import MetaData

from crm.core import audit, credentials, hooks, tenancy
from crm.core.db import metadata

CORE_MODELS = (tenancy, credentials, audit)


def load_models() -> MetaData:
    """The metadata of every table; RuntimeError when no domain registered its models yet.

    Registration is the composition root's (``crm.main.install``): an empty registry here would
    make Alembic's autogenerate see every domain table as one to drop.
    """
    if not hooks.model_modules():
        raise RuntimeError("no domain registered its tables: call crm.main.install() first")
    return metadata


# Tables with a destination_id that row-level security must not hide: ``credential`` is read
# before the tenant is known, and holds only hashes.
READ_BEFORE_TENANCY = frozenset({"credential"})


def tenant_tables() -> tuple[str, ...]:
    """Every table with a ``destination_id`` under the tenant policy (RLS), by name.

    Derived from the registered models: a migration that adds such a table must enable
    row-level security on it (``tests/crm/test_schema_migrations.py`` checks the database).
    """
    return tuple(
        sorted(
            table.name
            for table in load_models().tables.values()
            if "destination_id" in table.columns and table.name not in READ_BEFORE_TENANCY
        )
    )
