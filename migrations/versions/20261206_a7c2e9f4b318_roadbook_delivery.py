"""The roadbook's delivery: exposures, clicks and their anonymous roll-up; embed origins.

``exposure`` (what was shown to whom, for the offers' caps and the partners' figures) and
``click`` (links followed through ``/r/{token}/go/{item}``) are personal data, deleted with the
visitor and rolled up into ``exposure_rollup`` after the stay (docs/roadbook-engine.md
§ Exposures). ``destination.embed_origins`` lists the web origins allowed to embed the widget
(CORS; docs/widget.md). ``covisitation`` keeps each destination's co-visitation table, an
aggregate of at least 5 visitors per pair of sites computed by a scheduled job.

Tenant tables: row-level security with the ``tenant_isolation`` policy in its once-per-statement
form (``tests/crm/test_schema_migrations.py``).

Revision ID: a7c2e9f4b318
Revises: 6f1c3d8a9e24
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = "a7c2e9f4b318"
down_revision: str | None = "6f1c3d8a9e24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("exposure", "click", "exposure_rollup", "covisitation")


def upgrade() -> None:
    op.create_table(
        "exposure_rollup",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("shown", sa.Integer(), nullable=False),
        sa.Column("clicked", sa.Integer(), nullable=False),
        rls.destination_key("exposure_rollup"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure_rollup")),
        sa.UniqueConstraint(
            "destination_id",
            "day",
            "item_id",
            name=op.f("uq_exposure_rollup_destination_id_day_item_id"),
        ),
    )
    op.create_index(
        op.f("ix_exposure_rollup_destination_id"),
        "exposure_rollup",
        ["destination_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_exposure_rollup_partner_id"), "exposure_rollup", ["partner_id"], unique=False
    )
    op.create_table(
        "click",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("visitor_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("clicked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        rls.destination_key("click"),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["visitor.id"],
            name=op.f("fk_click_visitor_id_visitor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_click")),
    )
    op.create_index(op.f("ix_click_destination_id"), "click", ["destination_id"], unique=False)
    op.create_index(op.f("ix_click_partner_id"), "click", ["partner_id"], unique=False)
    op.create_index(op.f("ix_click_visitor_id"), "click", ["visitor_id"], unique=False)
    op.create_table(
        "exposure",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("visitor_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("section", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=True),
        sa.Column("commercial", sa.Boolean(), nullable=False),
        sa.Column("shown_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        rls.destination_key("exposure"),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["visitor.id"],
            name=op.f("fk_exposure_visitor_id_visitor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exposure")),
    )
    op.create_index(
        op.f("ix_exposure_destination_id"), "exposure", ["destination_id"], unique=False
    )
    op.create_index(op.f("ix_exposure_partner_id"), "exposure", ["partner_id"], unique=False)
    op.create_index(
        "ix_exposure_visitor_id_shown_at", "exposure", ["visitor_id", "shown_at"], unique=False
    )
    op.add_column(
        "destination",
        sa.Column(
            "embed_origins",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
    )
    op.create_table(
        "covisitation",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("computed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        rls.destination_key("covisitation"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_covisitation")),
        sa.UniqueConstraint("destination_id", name=op.f("uq_covisitation_destination_id")),
    )
    op.create_index(
        op.f("ix_covisitation_destination_id"), "covisitation", ["destination_id"], unique=False
    )
    for table in TABLES:
        rls.grant_app(table)
        rls.isolate_tenant(table)


def downgrade() -> None:
    for table in TABLES:
        rls.drop_isolation(table)
    op.drop_index(op.f("ix_covisitation_destination_id"), table_name="covisitation")
    op.drop_table("covisitation")
    op.drop_column("destination", "embed_origins")
    op.drop_index("ix_exposure_visitor_id_shown_at", table_name="exposure")
    op.drop_index(op.f("ix_exposure_partner_id"), table_name="exposure")
    op.drop_index(op.f("ix_exposure_destination_id"), table_name="exposure")
    op.drop_table("exposure")
    op.drop_index(op.f("ix_click_visitor_id"), table_name="click")
    op.drop_index(op.f("ix_click_partner_id"), table_name="click")
    op.drop_index(op.f("ix_click_destination_id"), table_name="click")
    op.drop_table("click")
    op.drop_index(op.f("ix_exposure_rollup_partner_id"), table_name="exposure_rollup")
    op.drop_index(op.f("ix_exposure_rollup_destination_id"), table_name="exposure_rollup")
    op.drop_table("exposure_rollup")
