"""eid_window: the precomputed EIDs of every EID pass, for one-lookup resolution at ingest.

Tenant table: row-level security with the same ``tenant_isolation`` policy as the foundation
schema. Rows are disposable (rebuilt by the EID refresh job), so no history is kept.

Revision ID: 7c1e2a9d4b50
Revises: f3daed94b916
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = "7c1e2a9d4b50"
down_revision: str | None = "f3daed94b916"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eid_window",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("eid", sa.LargeBinary(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        rls.destination_key("eid_window"),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_eid_window_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("destination_id", "eid", name=op.f("pk_eid_window")),
    )
    op.create_index(op.f("ix_eid_window_device_id"), "eid_window", ["device_id"], unique=False)
    rls.grant_app("eid_window")
    rls.isolate_tenant("eid_window", current=rls.PER_ROW)


def downgrade() -> None:
    rls.drop_isolation("eid_window")
    op.drop_index(op.f("ix_eid_window_device_id"), table_name="eid_window")
    op.drop_table("eid_window")
