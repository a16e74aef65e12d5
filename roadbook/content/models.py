"""The office's editorial content: places (and, later, events and itineraries)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow


class Place(TenantRow, table=True):
    """A point of interest with multilingual text (``{"fr": ..., "en": ...}``)."""

    __table_args__ = (UniqueConstraint("destination_id", "slug"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=96)
    title: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    summary: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    wishes: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    site_id: uuid.UUID | None = Field(default=None, foreign_key="site.id", ondelete="SET NULL")
    latitude: float | None = None
    longitude: float | None = None
    url: str | None = Field(default=None, max_length=500)
    # The DATAtourisme record this place came from, kept verbatim.
    source: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
