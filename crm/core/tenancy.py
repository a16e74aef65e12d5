"""The tenant: a destination (one tourist office's territory) owns every other row.

``crm.core.models.TenantRow`` points at it; row-level security filters on its id
(``crm/core/db.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from crm.core.models import utcnow


class Destination(SQLModel, table=True):
    """A tourist destination served by one tourist office; the tenant of every other row."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    default_language: str = Field(default="fr", max_length=2)
    # Web origins allowed to embed the roadbook widget (CORS), e.g. "https://www.example.org";
    # a port may be "*" ("http://localhost:*"). Empty: the widget works on no other site.
    embed_origins: list[str] = Field(
        default_factory=list, sa_column=Column(JSONB, nullable=False, server_default="[]")
    )
    created_at: datetime = Field(default_factory=utcnow)
