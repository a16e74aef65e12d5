"""Exposures and redemption codes go with their visitor and offer, not through a key of their own.

A foreign key check locks the row it references (``FOR KEY SHARE``): ``exposure`` and
``redemption`` rows, written on every roadbook request that shows something new, locked the
destination's one row in each such request, the most expensive part of writing them. Their
visitor's and offer's foreign keys (``ON DELETE CASCADE``) still take them away with the
destination, and row-level security still filters on ``destination_id``
(``crm.core.models.TenantLeafRow``). Their index on ``destination_id`` alone goes too: no read
uses it (a destination's exposures are all of them; a code is looked up by the unique
``(destination_id, code)``).

Revision ID: 5e7a0c3b9d41
Revises: d4f8b2a6c915
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5e7a0c3b9d41"
down_revision: str | None = "d4f8b2a6c915"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("exposure", "redemption")


def upgrade() -> None:
    for table in TABLES:
        op.drop_constraint(
            op.f(f"fk_{table}_destination_id_destination"), table, type_="foreignkey"
        )
        op.drop_index(op.f(f"ix_{table}_destination_id"), table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(op.f(f"ix_{table}_destination_id"), table, ["destination_id"])
        op.create_foreign_key(
            op.f(f"fk_{table}_destination_id_destination"),
            table,
            "destination",
            ["destination_id"],
            ["id"],
            ondelete="CASCADE",
        )
