"""Request and response models of the office API for gateways and passes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crm.core.vocabulary import PassUid
from crm.ingest.schemas import GatewayId


class GatewayCreate(BaseModel):
    """A new gateway at one of the destination's sites."""

    model_config = ConfigDict(extra="forbid")

    id: GatewayId = Field(description="The gateway's name, e.g. zoo-1 (unique across the CRM)")
    site_id: uuid.UUID


class GatewayOut(BaseModel):
    """A gateway as the office sees it (never a token or its hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    site_id: uuid.UUID
    config_version: int
    last_heartbeat_at: datetime | None
    created_at: datetime


class GatewayToken(BaseModel):
    """A gateway's new token: shown once, only its hash is kept."""

    gateway: GatewayOut
    token: str


class TokensRevoked(BaseModel):
    """How many live tokens a revocation ended."""

    gateway_id: str
    revoked: int


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


class PassCreate(BaseModel):
    """A static Eddystone-UID pass put in stock (any vendor's namespace)."""

    model_config = ConfigDict(extra="forbid")

    uid: PassUid = Field(description="NAMESPACE:INSTANCE in hex (10 + 6 bytes)")


class PassAssign(BaseModel):
    """Hand the pass to a visitor, or take it back (``null``: a returned card)."""

    model_config = ConfigDict(extra="forbid")

    visitor_id: uuid.UUID | None
