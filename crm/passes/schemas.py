"""Request and response models of the office API for passes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crm.core.vocabulary import PassUid
from crm.passes.models import Device


class PassOut(BaseModel):
    """A beacon pass: its identity kind and key, whether it is handed out, and TLM health.

    ``visitor_id`` (who holds it) is shown to desk and admin only, and audited; marketing sees
    ``assigned``."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    identity: str
    assigned: bool = False
    visitor_id: uuid.UUID | None
    health: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, device: Device, *, holder: bool = True) -> PassOut:
        """``device`` as shown; without who holds it when ``holder`` is False."""
        out = cls.model_validate(device)
        out.assigned = device.visitor_id is not None
        if not holder:
            out.visitor_id = None
        return out


class PassCreate(BaseModel):
    """A static Eddystone-UID pass put in stock (any vendor's namespace)."""

    model_config = ConfigDict(extra="forbid")

    uid: PassUid = Field(description="NAMESPACE:INSTANCE in hex (10 + 6 bytes)")


class PassAssign(BaseModel):
    """Hand the pass to a visitor, or take it back (``null``: a returned card)."""

    model_config = ConfigDict(extra="forbid")

    visitor_id: uuid.UUID | None
