"""What the migrations share about tenant tables: the app role, the destination key, the policy.

Every tenant table (one with ``destination_id``) references its destination (its rows go with
it; a ``crm.core.models.TenantLeafRow`` table, through its parent row), is granted to the app role and is under row-level security with the same
``tenant_isolation`` policy (docs/architecture.md § Privacy). These helpers write that DDL once.

They are part of the migrations' history: change one only in a way that keeps the SQL it emits
for every migration that calls it (``tests/crm/test_schema_migrations.py`` upgrades, checks
against the models, downgrades and upgrades again).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

APP_ROLE = "balise_app"  # the role every app transaction runs as (crm/core/db.py)

# The policy compares each row with the current destination. Read in a scalar sub-select it is an
# InitPlan, evaluated once per statement (20261201_c3e8f05a7d12); the first migrations' policies
# called the STABLE function once per row.
ONCE_PER_STATEMENT = "(SELECT balise_current_destination())"
PER_ROW = "balise_current_destination()"


def destination_key(table: str) -> sa.ForeignKeyConstraint:
    """``table.destination_id`` → ``destination.id``: a destination's rows are deleted with it."""
    return sa.ForeignKeyConstraint(
        ["destination_id"],
        ["destination.id"],
        name=op.f(f"fk_{table}_destination_id_destination"),
        ondelete="CASCADE",
    )


def grant_app(table: str) -> None:
    """Let the app role read and write ``table`` (row-level security still narrows it)."""
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP_ROLE}")


def isolate_tenant(
    table: str, *, column: str = "destination_id", current: str = ONCE_PER_STATEMENT
) -> None:
    """Row-level security on ``table``: a transaction sees and writes only its destination's rows."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"""
        CREATE POLICY tenant_isolation ON {table}
        USING ({column} = {current})
        WITH CHECK ({column} = {current})""")


def drop_isolation(table: str) -> None:
    """The policy ``isolate_tenant`` created (for a downgrade)."""
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
