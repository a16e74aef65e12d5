"""A destination's partners and their sites (the destination itself: ``crm.core.tenancy``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow


class Partner(TenantRow, table=True):
    """An independent operator (zoo, spa, restaurant...) that runs one or more sites."""

    __table_args__ = (UniqueConstraint("destination_id", "slug"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class Site(TenantRow, table=True):
    """A place where a gateway stands: a partner's venue or an office location."""

    __table_args__ = (UniqueConstraint("destination_id", "slug"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    partner_id: uuid.UUID | None = Field(
        default=None, foreign_key="partner.id", index=True, ondelete="SET NULL"
    )
    slug: str = Field(max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(default="venue", max_length=32)
    latitude: float | None = None
    longitude: float | None = None
    # {"mon": [["09:00", "18:00"]], ...} in the destination's time zone
    opening_hours: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False)
    )
    wishes: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
