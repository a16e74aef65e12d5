"""Dedup ledger per destination: ``ingested_event`` keyed by (destination_id, id).

Keyed by id alone, an id stored by one destination made the same id from another destination's
gateway a "duplicate": that gateway learnt the id existed elsewhere, and its event was lost.
Ingest now inserts with ``ON CONFLICT (destination_id, id)``.

The new key's index is built with ``CREATE UNIQUE INDEX CONCURRENTLY`` (outside the migration's
transaction: ingest keeps writing to the ledger while it builds), then swapped in as the primary
key in one short ``ALTER TABLE``. A build interrupted half way leaves an invalid index of the
same name, dropped first when the migration is run again. Row-level security is unchanged (the
``tenant_isolation`` policy reads ``destination_id``, which keeps its meaning).

Downgrade: the old key cannot hold one id in two destinations, so only the earliest ledger row
of each id is kept (a gateway of another destination retrying such an id is told "duplicate"
again, as before).

Revision ID: 8e3f1a6c2b47
Revises: 4d7b9e2a6c18
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8e3f1a6c2b47"
down_revision: str | None = "4d7b9e2a6c18"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KEY = "ix_ingested_event_destination_id_id"
OLD_KEY = "ix_ingested_event_id"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NEW_KEY}")
        op.execute(
            f"CREATE UNIQUE INDEX CONCURRENTLY {NEW_KEY} ON ingested_event (destination_id, id)"
        )
    op.execute(
        "ALTER TABLE ingested_event DROP CONSTRAINT pk_ingested_event, "
        f"ADD CONSTRAINT pk_ingested_event PRIMARY KEY USING INDEX {NEW_KEY}"
    )


def downgrade() -> None:
    op.execute("""
        DELETE FROM ingested_event AS e USING ingested_event AS f
        WHERE e.id = f.id
          AND (e.ingested_at, e.destination_id) > (f.ingested_at, f.destination_id)""")
    op.execute(f"CREATE UNIQUE INDEX {OLD_KEY} ON ingested_event (id)")
    op.execute(
        "ALTER TABLE ingested_event DROP CONSTRAINT pk_ingested_event, "
        f"ADD CONSTRAINT pk_ingested_event PRIMARY KEY USING INDEX {OLD_KEY}"
    )
