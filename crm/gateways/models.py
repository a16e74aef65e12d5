"""Gateways: the Raspberry Pis at sites (their health and config: ``crm.fleet``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow


class Gateway(TenantRow, table=True):
    """A gateway; its id is the name the installer gave it (``crm gateway add NAME``)."""

    id: str = Field(primary_key=True, max_length=64)
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="CASCADE")
    config_version: int = 0
    # The office's remote-config override ({"presence": {...}, ...}, crm/fleet/service.py)
    # and the hash of the document last served, so any change bumps config_version.
    config_override: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    config_hash: str | None = Field(default=None, max_length=64)
    last_heartbeat_at: datetime | None = None
    heartbeat: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
