"""Ingest indexes: a BRIN index for the ledger's purge, no lone destination index on events.

- ``ingested_event``: ``ix_ingested_event_ingested_at`` becomes a BRIN index. ``ingested_at``
  grows with the table, so a BRIN index finds the rows the purge job deletes as well as the
  B-tree did, at next to no cost per insert (every accepted event is one ledger insert).
- ``proximity_event``: ``ix_proximity_event_destination_id`` is dropped (from every
  partition). Every read narrows by visitor or site, both indexed with the time; an index on a
  column with a handful of distinct values served no query and cost every stored event.

Revision ID: 9a4c2e7f1b36
Revises: 5b1f0c7d9e21
Create Date: 2026-11-25 20:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a4c2e7f1b36"
down_revision: str | None = "5b1f0c7d9e21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_ingested_event_ingested_at", table_name="ingested_event")
    op.create_index(
        "ix_ingested_event_ingested_at",
        "ingested_event",
        ["ingested_at"],
        unique=False,
        postgresql_using="brin",
    )
    op.drop_index("ix_proximity_event_destination_id", table_name="proximity_event")


def downgrade() -> None:
    op.create_index(
        "ix_proximity_event_destination_id", "proximity_event", ["destination_id"], unique=False
    )
    op.drop_index("ix_ingested_event_ingested_at", table_name="ingested_event")
    op.create_index(
        "ix_ingested_event_ingested_at", "ingested_event", ["ingested_at"], unique=False
    )
