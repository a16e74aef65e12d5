"""The audit log: who read or changed a visitor's personal data (docs/architecture.md § Privacy).

Every domain that shows or changes personal data writes here (staff, passes, visitors, rights);
the rights domain exports and anonymises the entries.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
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


async def audit(
    session: AsyncSession,
    destination_id: uuid.UUID,
    actor: str,
    action: str,
    visitor_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit entry: ``actor`` (``staff:<user id>``, ``visitor``, ``system:<job>``)
    did ``action`` on the data of ``visitor_id``."""
    session.add(
        AuditLog(
            destination_id=destination_id,
            actor=actor[:128],
            action=action,
            visitor_id=visitor_id,
            detail=detail or {},
        )
    )
    await session.flush()
