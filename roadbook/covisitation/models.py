"""The co-visitation table: "visitors who went to X also went to Y" (roadbook.engine.covisitation).

One row per destination, rewritten by the scheduled job (``roadbook.covisitation.job``): an
aggregate of consented visits in which every pair of sites has at least 5 distinct visitors, so
it holds nothing about any one visitor and is kept after erasures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow


class CoVisitation(TenantRow, table=True):
    __tablename__ = "covisitation"
    __table_args__ = (UniqueConstraint("destination_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # site id → site id → cosine score in (0, 1] (roadbook.engine.inputs.CoVisitation).
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    # How many consenting visitors the table was computed from, and when.
    visitors: int = 0
    computed_at: datetime = Field(default_factory=utcnow)
