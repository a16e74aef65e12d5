"""Which visitors were erased (the audit log itself is ``crm.core.audit``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field

from crm.core.models import TenantRow, utcnow


class ErasureLedger(TenantRow, table=True):
    """Pseudonymous ids of erased visitors, re-applied after any restore from backup."""

    __tablename__ = "erasure_ledger"

    visitor_id: uuid.UUID = Field(primary_key=True)
    erased_at: datetime = Field(default_factory=utcnow)
    by: str = Field(max_length=128)
