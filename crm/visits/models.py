"""Visits: a visitor's session at a site, merged across all the site's gateways."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from crm.core.models import TenantRow


class Visit(TenantRow, table=True):
    """First and last seen at a site, and the time spent there; a gap opens a new visit."""

    __table_args__ = (Index("ix_visit_visitor_site_last", "visitor_id", "site_id", "last_seen_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visitor_id: uuid.UUID = Field(foreign_key="visitor.id", ondelete="CASCADE")
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="CASCADE")
    first_seen_at: datetime
    last_seen_at: datetime
    dwell_s: int = 0
    # Set when an exit closed the visit; a later enter within the gap reopens it.
    closed_at: datetime | None = None
