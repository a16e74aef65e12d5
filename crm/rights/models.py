"""Accountability: who read or changed personal data, and which visitors were erased."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow


class AuditLog(TenantRow, table=True):
    """One read or change of personal data by staff (or by the visitor themself)."""

    __tablename__ = "audit_log"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True)
    )
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64)
    visitor_id: uuid.UUID | None = Field(default=None, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))


class ErasureLedger(TenantRow, table=True):
    """Pseudonymous ids of erased visitors, re-applied after any restore from backup."""

    __tablename__ = "erasure_ledger"

    visitor_id: uuid.UUID = Field(primary_key=True)
    erased_at: datetime = Field(default_factory=utcnow)
    by: str = Field(max_length=128)
