"""Gateways (the Pis at sites) and devices (visitors' passes, identified by frame contents)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, LargeBinary, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow


class Gateway(TenantRow, table=True):
    """A gateway; its id is the name the installer gave it (``crm gateway add NAME``)."""

    id: str = Field(primary_key=True, max_length=64)
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="CASCADE")
    config_version: int = 0
    last_heartbeat_at: datetime | None = None
    heartbeat: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Device(TenantRow, table=True):
    """A beacon pass. UID passes are keyed by namespace+instance; EID passes by identity key."""

    __table_args__ = (
        UniqueConstraint("destination_id", "identity"),
        CheckConstraint("kind IN ('eddystone-uid', 'eddystone-eid')", name="kind"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visitor_id: uuid.UUID | None = Field(
        default=None, foreign_key="visitor.id", index=True, ondelete="SET NULL"
    )
    kind: str = Field(max_length=16)
    # "uid:<namespace hex>:<instance hex>" or "eid:<key id>": what ingest resolves to.
    identity: str = Field(max_length=80)
    # EID passes: the identity key, encrypted with the server key; the rotation exponent K.
    identity_key_enc: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    rotation_exponent: int | None = None
    health: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
