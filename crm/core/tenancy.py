"""The tenant: a destination (one tourist office's territory) owns every other row.

``crm.core.models.TenantRow`` points at it; row-level security filters on its id
(``crm/core/db.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from crm.core.models import utcnow


class Destination(SQLModel, table=True):
    """A tourist destination served by one tourist office; the tenant of every other row."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    default_language: str = Field(default="fr", max_length=2)
    created_at: datetime = Field(default_factory=utcnow)
