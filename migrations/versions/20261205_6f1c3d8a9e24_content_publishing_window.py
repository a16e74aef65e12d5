"""content_item: a publishing window; the demo's old ``place`` table goes (docs/content.md).

``published_from`` / ``published_until`` bound when a published item is shown (the office
schedules it); the feed and ``crm content list`` read them through ``catalogue.visible``. The
demo's places now live in ``content_item`` and the feed reads the catalogue, so ``place`` has no
reader left: it is dropped (its downgrade recreates it empty, under the same policy).

Revision ID: 6f1c3d8a9e24
Revises: 2b9d6e4f8a13
Create Date: 2026-12-05 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = "6f1c3d8a9e24"
down_revision: str | None = "2b9d6e4f8a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "content_item",
        sa.Column("published_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.add_column(
        "content_item",
        sa.Column("published_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    rls.drop_isolation("place")
    op.drop_index(op.f("ix_place_destination_id"), table_name="place")
    op.drop_table("place")


def downgrade() -> None:
    op.create_table(
        "place",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
        sa.Column("title", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("wishes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("source", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        rls.destination_key("place"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_place_site_id_site"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place")),
        sa.UniqueConstraint("destination_id", "slug", name=op.f("uq_place_destination_id_slug")),
    )
    op.create_index(op.f("ix_place_destination_id"), "place", ["destination_id"], unique=False)
    rls.grant_app("place")
    rls.isolate_tenant("place")
    op.drop_column("content_item", "published_until")
    op.drop_column("content_item", "published_from")
