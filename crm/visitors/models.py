"""Visitors (pseudonymous profiles) and their append-only consent ledger."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, sql_list, utcnow
from crm.core.vocabulary import CONSENT_SCOPES


class Visitor(TenantRow, table=True):
    """A consented visitor profile: no name or e-mail is needed to build a roadbook."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    language: str = Field(default="fr", max_length=2)
    wishes: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    stay_start: date | None = None
    stay_end: date | None = None
    adults: int = 1
    children: int = 0
    accessibility: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    # The last action of the visitor themself; profiles idle for 3 years are deleted.
    last_action_at: datetime = Field(default_factory=utcnow)


class Consent(TenantRow, table=True):
    """One entry of the consent ledger: a scope given or withdrawn, never updated."""

    __table_args__ = (CheckConstraint(f"scope IN ({sql_list(CONSENT_SCOPES)})", name="scope"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visitor_id: uuid.UUID = Field(foreign_key="visitor.id", index=True, ondelete="CASCADE")
    scope: str = Field(max_length=32)
    granted: bool
    notice_version: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow)
    by: str = Field(default="visitor", max_length=64)
