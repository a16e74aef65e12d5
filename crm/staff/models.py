"""Staff accounts of a tourist office."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow

STAFF_ROLES = ("admin", "marketing", "desk")


class StaffUser(TenantRow, table=True):
    """A person of the office; ``email`` is stored lower-cased, unique per destination."""

    __tablename__ = "staff_user"
    __table_args__ = (
        UniqueConstraint("destination_id", "email"),
        CheckConstraint("role IN ('admin', 'marketing', 'desk')", name="role"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    # argon2id PHC string (pwdlib); never the password itself.
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    disabled_at: datetime | None = None
