"""Partner offers and their single-use redemption codes (docs/offers.md).

``offer``: a partner's offer (texts in four languages, validity, weekly schedule, targeting,
caps per visitor, quota, redemption kind, review status, the office's boost), its closed
vocabularies and ranges held by CHECK constraints. ``redemption``: one visitor's code for one
offer, unique per destination and per (offer, visitor); personal data, deleted with the visitor
(a redeemed code is kept without its visitor so that the quota still counts it).

Tenant tables: row-level security with the ``tenant_isolation`` policy in its once-per-statement
form (``tests/crm/test_schema_migrations.py``).

Revision ID: d4f8b2a6c915
Revises: a7c2e9f4b318
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = "d4f8b2a6c915"
down_revision: str | None = "a7c2e9f4b318"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("offer", "redemption")
CAPS = (
    "(cap_per_day IS NULL OR cap_per_day >= 0)"
    " AND (cap_total IS NULL OR cap_total >= 0)"
    " AND (cap_min_interval_min IS NULL OR cap_min_interval_min >= 0)"
    " AND (quota IS NULL OR quota >= 0)"
)


def _jsonb(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "offer",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("partner_id", sa.Uuid(), nullable=False),
        _jsonb("site_ids"),
        _jsonb("title"),
        _jsonb("summary"),
        _jsonb("image", nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("valid_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("valid_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        _jsonb("schedule", nullable=True),
        _jsonb("wishes"),
        sa.Column("with_children", sa.Boolean(), nullable=True),
        _jsonb("languages"),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("cap_per_day", sa.Integer(), nullable=True),
        sa.Column("cap_total", sa.Integer(), nullable=True),
        sa.Column("cap_min_interval_min", sa.Integer(), nullable=True),
        sa.Column("quota", sa.Integer(), nullable=True),
        sa.Column("redemption_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("boost", sa.Float(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("approved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.CheckConstraint(
            "redemption_kind IN ('code', 'qr', 'screen')", name=op.f("ck_offer_kind")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'paused', 'ended')",
            name=op.f("ck_offer_status"),
        ),
        sa.CheckConstraint(
            "trigger IN ('at_site', 'nearby', 'anywhere')", name=op.f("ck_offer_trigger")
        ),
        sa.CheckConstraint(CAPS, name=op.f("ck_offer_caps")),
        sa.CheckConstraint("boost >= 0 AND boost <= 1", name=op.f("ck_offer_boost")),
        sa.CheckConstraint("valid_until > valid_from", name=op.f("ck_offer_validity")),
        rls.destination_key("offer"),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_offer_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer")),
    )
    op.create_index(op.f("ix_offer_destination_id"), "offer", ["destination_id"], unique=False)
    op.create_index(
        "ix_offer_destination_id_status", "offer", ["destination_id", "status"], unique=False
    )
    op.create_index(op.f("ix_offer_partner_id"), "offer", ["partner_id"], unique=False)
    op.create_table(
        "redemption",
        sa.Column("destination_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("visitor_id", sa.Uuid(), nullable=True),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("redeemed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("redeemed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        rls.destination_key("redemption"),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["offer.id"],
            name=op.f("fk_redemption_offer_id_offer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["visitor.id"],
            name=op.f("fk_redemption_visitor_id_visitor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption")),
        sa.UniqueConstraint(
            "destination_id", "code", name=op.f("uq_redemption_destination_id_code")
        ),
        sa.UniqueConstraint(
            "offer_id", "visitor_id", name=op.f("uq_redemption_offer_id_visitor_id")
        ),
    )
    op.create_index(
        op.f("ix_redemption_destination_id"), "redemption", ["destination_id"], unique=False
    )
    op.create_index(op.f("ix_redemption_visitor_id"), "redemption", ["visitor_id"], unique=False)
    for table in TABLES:
        rls.grant_app(table)
        rls.isolate_tenant(table)


def downgrade() -> None:
    for table in TABLES:
        rls.drop_isolation(table)
    op.drop_index(op.f("ix_redemption_visitor_id"), table_name="redemption")
    op.drop_index(op.f("ix_redemption_destination_id"), table_name="redemption")
    op.drop_table("redemption")
    op.drop_index(op.f("ix_offer_partner_id"), table_name="offer")
    op.drop_index("ix_offer_destination_id_status", table_name="offer")
    op.drop_index(op.f("ix_offer_destination_id"), table_name="offer")
    op.drop_table("offer")
