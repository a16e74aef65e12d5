"""Visits: a visitor's session at a site, merged across all the site's gateways, and the queue of
sightings waiting to be merged into them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Identity, Index, Integer, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field

from crm.core.models import TenantRow


class Visit(TenantRow, table=True):
    """First and last seen at a site, and the time spent there; a gap opens a new visit."""

    # No index covers a column ingest updates (first/last seen, dwell, closed) and pages keep
    # 20 % free: visit updates are HOT (no index entry per update). The latest visit of a
    # (visitor, site) is found by this index and a sort of that pair's few visits.
    __table_args__ = (
        Index("ix_visit_visitor_site", "visitor_id", "site_id"),
        {"postgresql_with": {"fillfactor": 80}},
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visitor_id: uuid.UUID = Field(foreign_key="visitor.id", ondelete="CASCADE")
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="CASCADE")
    first_seen_at: datetime
    last_seen_at: datetime
    dwell_s: int = 0
    # Set when an exit closed the visit; a later enter within the gap reopens it.
    closed_at: datetime | None = None


class VisitQueue(TenantRow, table=True):
    """The stored sightings of one ingest batch, waiting for the visits follower.

    Ingest writes one row per batch (its stored events as parallel arrays) in the batch's own
    transaction; the follower deletes the rows it merges in its own, so every sighting is
    merged exactly once and ingest never waits for visits.
    """

    __tablename__ = "visit_queue"

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="CASCADE")
    queued_at: datetime
    visitor_ids: list[uuid.UUID] = Field(sa_column=Column(ARRAY(Uuid()), nullable=False))
    # microseconds since the Unix epoch (exact, as visits merge them)
    observed_us: list[int] = Field(sa_column=Column(ARRAY(BigInteger), nullable=False))
    kinds: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False))
    dwell_s: list[int] = Field(sa_column=Column(ARRAY(Integer), nullable=False))
