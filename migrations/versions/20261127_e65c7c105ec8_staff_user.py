"""staff_user: office staff accounts (admin, marketing, desk) with argon2 password hashes.

Tenant table: row-level security with the same ``tenant_isolation`` policy as the foundation
schema. Login looks the account up in a system session (before the tenant is known).

Revision ID: e65c7c105ec8
Revises: 7c1e2a9d4b50
Create Date: 2026-11-27 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = "e65c7c105ec8"
down_revision: str | None = "7c1e2a9d4b50"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("disabled_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'marketing', 'desk')", name=op.f("ck_staff_user_role")
        ),
        rls.destination_key("staff_user"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint(
            "destination_id", "email", name=op.f("uq_staff_user_destination_id_email")
        ),
    )
    op.create_index(
        op.f("ix_staff_user_destination_id"), "staff_user", ["destination_id"], unique=False
    )
    rls.grant_app("staff_user")
    rls.isolate_tenant("staff_user", current=rls.PER_ROW)


def downgrade() -> None:
    rls.drop_isolation("staff_user")
    op.drop_index(op.f("ix_staff_user_destination_id"), table_name="staff_user")
    op.drop_table("staff_user")
