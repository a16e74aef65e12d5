"""Request and response models of the office API for gateways."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from crm.core.vocabulary import GatewayId


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
