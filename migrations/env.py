"""Alembic environment: one history for all packages, run under an advisory lock."""

from __future__ import annotations

import re
from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool, text

from crm.core.db import database_url
from crm.core.schema import load_models
from crm.core.settings import Settings
from crm.main import install

# Any other migrator waits: on a live system one migration runs at a time.
MIGRATION_LOCK = 0x42414C49  # "BALI"
# Monthly partitions are created by a function, not by migrations: autogenerate must not see them.
PARTITION = re.compile(r"^proximity_event_p\d{6}$")

# Every package registers its tables (crm.core.hooks); autogenerate then sees them all.
install()
target_metadata = load_models()


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave monthly partitions (and so their indexes) out of autogenerate and check."""
    return not (type_ == "table" and name is not None and PARTITION.match(name))


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or database_url(Settings())
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                include_object=include_object,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            connection.commit()


run_migrations()
