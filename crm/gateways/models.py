"""Gateways (the Pis at sites) and devices (visitors' passes, identified by frame contents)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, LargeBinary, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from crm.core.models import TenantRow, utcnow


class Gateway(TenantRow, table=True):
    """A gateway; its id is the name the installer gave it (``crm gateway add NAME``)."""

    id: str = Field(primary_key=True, max_length=64)
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="CASCADE")
    config_version: int = 0
    # The office's remote-config override ({"presence": {...}, ...}, crm/gateways/fleet_service)
    # and the hash of the document last served, so any change bumps config_version.
    config_override: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    config_hash: str | None = Field(default=None, max_length=64)
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


class ClaimAttempt(SQLModel, table=True):
    """Failed claim-code exchanges per client address (lockout); no tenant, no identities."""

    __tablename__ = "claim_attempt"

    client: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    first_failure_at: datetime
    locked_until: datetime | None = None
