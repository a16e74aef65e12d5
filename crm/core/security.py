"""Bearer secrets: 256-bit random tokens, stored only as SHA-256 hashes.

One small table, ``credential``, maps the hash of every secret the CRM hands out (gateway
tokens, gateway claim codes, visitors' roadbook tokens, staff API tokens) to what it grants. It
carries no row-level security on purpose: it is read *before* the tenant is known, and holds
nothing secret — only hashes.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, LargeBinary
from sqlmodel import Field, SQLModel

from crm.core.models import utcnow

CREDENTIAL_KINDS = ("gateway", "claim", "roadbook", "staff")


class Credential(SQLModel, table=True):
    """What a bearer secret grants: ``kind`` on ``subject`` within ``destination_id``."""

    __table_args__ = (
        CheckConstraint("kind IN ('gateway', 'claim', 'roadbook', 'staff')", name="kind"),
    )

    token_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    kind: str = Field(max_length=16)
    subject: str = Field(max_length=64, index=True)
    destination_id: uuid.UUID = Field(foreign_key="destination.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


def new_token() -> str:
    """A fresh URL-safe secret of 256 random bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """The SHA-256 of a secret: what the database keeps."""
    return hashlib.sha256(token.encode()).digest()


def same_hash(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of two hashes."""
    return secrets.compare_digest(a, b)
