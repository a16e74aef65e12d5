"""visit_queue: ingest hands its stored sightings to the visits follower instead of merging visits.

One row per ingest batch (the batch's stored events as parallel arrays), written in the batch's
transaction; the visits follower merges and deletes rows in its own transaction. Tenant table:
row-level security with the ``tenant_isolation`` policy in its once-per-statement form.

Revision ID: 4d7b9e2a6c18
Revises: c3e8f05a7d12
Create Date: 2026-11-25 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = "4d7b9e2a6c18"
down_revision: str | None = "c3e8f05a7d12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visit_queue",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=False),
        sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("visitor_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("observed_us", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("kinds", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("dwell_s", postgresql.ARRAY(sa.Integer()), nullable=False),
        rls.destination_key("visit_queue"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_visit_queue_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_queue")),
    )
    op.create_index(
        op.f("ix_visit_queue_destination_id"), "visit_queue", ["destination_id"], unique=False
    )
    rls.grant_app("visit_queue")
    rls.isolate_tenant("visit_queue")


def downgrade() -> None:
    rls.drop_isolation("visit_queue")
    op.drop_index(op.f("ix_visit_queue_destination_id"), table_name="visit_queue")
    op.drop_table("visit_queue")
