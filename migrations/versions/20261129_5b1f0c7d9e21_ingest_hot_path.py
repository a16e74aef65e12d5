"""Ingest hot path: HOT visit updates, one index less on the dedup ledger.

- ``visit``: ``ix_visit_visitor_site_last`` (visitor, site, last_seen_at) becomes
  ``ix_visit_visitor_site`` (visitor, site) and the table gets ``fillfactor = 80``: no index
  covers a column ingest updates, so updating a visit is a heap-only tuple update (no new entry
  in the table's four indexes). Existing pages get the free space as they are rewritten.
- ``ingested_event``: ``ix_ingested_event_destination_id`` is dropped — nothing reads the
  ledger by destination (dedup probes the primary key, the purge job reads ``ingested_at``).

Revision ID: 5b1f0c7d9e21
Revises: 802de5eee022
Create Date: 2026-11-25 18:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b1f0c7d9e21"
down_revision: str | None = "802de5eee022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_visit_visitor_site", "visit", ["visitor_id", "site_id"], unique=False)
    op.drop_index("ix_visit_visitor_site_last", table_name="visit")
    op.execute("ALTER TABLE visit SET (fillfactor = 80)")
    op.drop_index("ix_ingested_event_destination_id", table_name="ingested_event")


def downgrade() -> None:
    op.create_index(
        "ix_ingested_event_destination_id", "ingested_event", ["destination_id"], unique=False
    )
    op.execute("ALTER TABLE visit RESET (fillfactor)")
    op.create_index(
        "ix_visit_visitor_site_last",
        "visit",
        ["visitor_id", "site_id", "last_seen_at"],
        unique=False,
    )
    op.drop_index("ix_visit_visitor_site", table_name="visit")
