"""content_item: the destination's catalogue of places, events and tours (docs/content.md).

One table for the three kinds: the roadbook engine filters them together (wishes, distance,
open at a time, happening between two times), the office edits them with one form, and an
imported DATAtourisme object can be a place and a tour at once. Kind-specific fields (periods,
stops, route) are JSONB; ``active_from``/``active_until`` bound an event's dates for SQL.
Re-imports upsert on (destination_id, uri); the office's edits live in ``overrides``.

The large JSONB columns use lz4 compression where the server has it.

Tenant table: row-level security with the ``tenant_isolation`` policy in its once-per-statement
form (``tests/crm/test_schema_migrations.py``).

Revision ID: 2b9d6e4f8a13
Revises: 8e3f1a6c2b47
Create Date: 2026-12-04 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = "2b9d6e4f8a13"
down_revision: str | None = "8e3f1a6c2b47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LZ4 = ("raw", "description", "opening_hours", "periods")


def upgrade() -> None:
    op.create_table(
        "content_item",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("subtype", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=96), nullable=False),
        sa.Column("uri", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("title", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("description", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("contact", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("booking", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("images", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("wishes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("themes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("accessibility", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("price", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("opening_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("periods", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=True),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("stops", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("route", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("length_m", sa.Integer(), nullable=True),
        sa.Column("duration_min", sa.Integer(), nullable=True),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("site_id", sa.Uuid(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("producer", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("source_updated_on", sa.Date(), nullable=True),
        sa.Column("source_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("overrides", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('place', 'event', 'tour')", name=op.f("ck_content_item_kind")),
        sa.CheckConstraint(
            "source IN ('office', 'datatourisme')", name=op.f("ck_content_item_source")
        ),
        rls.destination_key("content_item"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_content_item_site_id_site"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_item")),
        sa.UniqueConstraint(
            "destination_id", "slug", name=op.f("uq_content_item_destination_id_slug")
        ),
        sa.UniqueConstraint(
            "destination_id", "uri", name=op.f("uq_content_item_destination_id_uri")
        ),
    )
    op.create_index(
        op.f("ix_content_item_destination_id"), "content_item", ["destination_id"], unique=False
    )
    op.create_index(
        "ix_content_item_destination_id_active",
        "content_item",
        ["destination_id", "active_until"],
        unique=False,
    )
    op.create_index(
        "ix_content_item_destination_id_kind",
        "content_item",
        ["destination_id", "kind"],
        unique=False,
    )
    rls.grant_app("content_item")
    rls.isolate_tenant("content_item")
    # lz4 compresses the large JSONB values about as well as the default pglz for much less CPU
    # (~20 % faster imports, bench/README.md § import); a server built without lz4 (the
    # embedded one) keeps its default.
    op.execute(f"""
        DO $$ BEGIN
            ALTER TABLE content_item {", ".join(f"ALTER COLUMN {c} SET COMPRESSION lz4" for c in LZ4)};
        EXCEPTION WHEN feature_not_supported THEN NULL;
        END $$""")


def downgrade() -> None:
    rls.drop_isolation("content_item")
    op.drop_index("ix_content_item_destination_id_kind", table_name="content_item")
    op.drop_index("ix_content_item_destination_id_active", table_name="content_item")
    op.drop_index(op.f("ix_content_item_destination_id"), table_name="content_item")
    op.drop_table("content_item")
