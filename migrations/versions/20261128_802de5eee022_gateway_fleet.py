"""Gateway fleet: remote-config override and served hash on gateway; claim-code lockout table.

``claim_attempt`` counts failed claim-code exchanges per client address. It carries no
destination_id (an attempt is not yet anyone's tenant) and is only used from system sessions,
so the app role gets no rights on it.

Revision ID: 802de5eee022
Revises: e65c7c105ec8
Create Date: 2026-11-25 17:19:44.405990
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = "802de5eee022"
down_revision: str | None = "e65c7c105ec8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_attempt",
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("client", name=op.f("pk_claim_attempt")),
    )
    op.add_column(
        "gateway",
        sa.Column(
            "config_override",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column(
        "gateway",
        sa.Column("config_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.execute(f"REVOKE ALL ON claim_attempt FROM {rls.APP_ROLE}")


def downgrade() -> None:
    op.drop_column("gateway", "config_hash")
    op.drop_column("gateway", "config_override")
    op.drop_table("claim_attempt")
