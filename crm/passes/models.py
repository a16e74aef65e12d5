"""Passes: visitors' beacon cards, identified by what their frames carry, and EID windows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    LargeBinary,
    PrimaryKeyConstraint,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from crm.core.models import TenantRow, utcnow


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


class EidWindow(SQLModel, table=True):
    """A precomputed EID: what an EID pass shows in its current or an adjacent window.

    Rebuilt by ``crm.passes.eid.refresh_eid_windows`` (a scheduler job); ingest resolves every
    EID frame of a batch with one indexed look-up here instead of any AES work per event.
    """

    __tablename__ = "eid_window"
    __table_args__ = (PrimaryKeyConstraint("destination_id", "eid"),)

    destination_id: uuid.UUID = Field(foreign_key="destination.id", ondelete="CASCADE")
    eid: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    device_id: uuid.UUID = Field(foreign_key="device.id", index=True, ondelete="CASCADE")
    # The beacon time counter at the start of the window (uint32 seconds, beacon epoch).
    window_start: int = Field(sa_type=BigInteger)
    refreshed_at: datetime
