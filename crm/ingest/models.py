"""What ingest writes: proximity events (partitioned by month), the dedup ledger, anonymous counts.

Partition scheme: ``proximity_event`` is RANGE-partitioned on ``observed_at``, one partition per
UTC month named ``proximity_event_pYYYYMM``, created ahead by ``balise_ensure_event_partition``
(a SECURITY DEFINER function, so the app role needs no DDL rights). Its primary key must include
the partition key, so event ids are deduplicated in ``ingested_event``, an unpartitioned ledger
of every accepted id — anonymised events included — kept longer than any gateway backlog. The
ledger is per destination (keyed by destination and id): an id another destination holds is new
here, so a gateway never learns that it exists elsewhere, nor loses its event to it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, PrimaryKeyConstraint
from sqlmodel import Field, SQLModel

EVENT_KINDS = ("enter", "dwell", "exit")
ZONES = ("immediate", "near", "far")


class ProximityEvent(SQLModel, table=True):
    """An enter / dwell / exit of a consented visitor's pass at a gateway."""

    __tablename__ = "proximity_event"
    __table_args__ = (
        PrimaryKeyConstraint("id", "observed_at"),
        CheckConstraint("kind IN ('enter', 'dwell', 'exit')", name="kind"),
        CheckConstraint("zone IS NULL OR zone IN ('immediate', 'near', 'far')", name="zone"),
        Index("ix_proximity_event_visitor_observed", "visitor_id", "observed_at"),
        Index("ix_proximity_event_site_observed", "site_id", "observed_at"),
        {"postgresql_partition_by": "RANGE (observed_at)"},
    )

    id: uuid.UUID
    observed_at: datetime
    # No foreign keys on the hot, partitioned table: ingest resolved every reference itself.
    # Not indexed alone: every read narrows by visitor or site (indexed with the time), and an
    # index with a handful of distinct values costs each insert and serves no query.
    destination_id: uuid.UUID
    received_at: datetime
    gateway_id: str = Field(max_length=64)
    site_id: uuid.UUID
    device_id: uuid.UUID
    visitor_id: uuid.UUID
    seq: int = Field(sa_type=BigInteger)
    kind: str = Field(max_length=8)
    rssi: float | None = None
    distance_m: float | None = None
    zone: str | None = Field(default=None, max_length=16)
    dwell_s: int = 0


class IngestedEvent(SQLModel, table=True):
    """The dedup ledger: one row per accepted event id and destination, however it was stored."""

    __tablename__ = "ingested_event"
    # The purge job reads ``ingested_at``, which grows with the table: a BRIN index (a few
    # pages, next to nothing per insert) finds the old rows as well as a B-tree would.
    __table_args__ = (
        PrimaryKeyConstraint("destination_id", "id"),
        Index("ix_ingested_event_ingested_at", "ingested_at", postgresql_using="brin"),
    )

    id: uuid.UUID
    # No other index: the ledger is only probed by its key (dedup) and purged by ingested_at;
    # one index less on the one table every event is written to.
    destination_id: uuid.UUID
    gateway_id: str = Field(max_length=64)
    ingested_at: datetime


class PresenceCount(SQLModel, table=True):
    """Anonymous per-site, per-hour counts: what is left of events without consent."""

    __tablename__ = "presence_count"
    __table_args__ = (PrimaryKeyConstraint("destination_id", "site_id", "hour", "kind"),)

    destination_id: uuid.UUID
    site_id: uuid.UUID
    hour: datetime
    kind: str = Field(max_length=8)
    count: int = 0
