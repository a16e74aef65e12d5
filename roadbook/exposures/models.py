"""What the roadbook showed to whom, and what the visitor followed (docs/roadbook-engine.md
§ Exposures).

Both are personal data: in the visitor's export, erased with the visitor, and rolled up
anonymously into :class:`ExposureRollup` (per day and item, no visitor) once the visitor's stay
is over, like the visits. Partner figures and the offer funnel read the roll-up and the live
rows, never an individual visitor (at least 5 visitors per figure).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Identity, Index, UniqueConstraint
from sqlmodel import Field

from crm.core.models import TenantLeafRow, TenantRow, utcnow


class Exposure(TenantLeafRow, table=True):
    """One showing of an item to a visitor (recorded at most once per item per showing window).

    ``item_id`` is the roadbook's item id (``"offer:<uuid>"``, ``"place:<uuid>"``...), so an
    offer's exposures survive its edits; ``partner_id`` is set on partner offers.
    """

    __table_args__ = (Index("ix_exposure_visitor_id_shown_at", "visitor_id", "shown_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    visitor_id: uuid.UUID = Field(foreign_key="visitor.id", ondelete="CASCADE")
    item_id: str = Field(max_length=48)
    kind: str = Field(max_length=8)
    section: str = Field(max_length=16)
    partner_id: uuid.UUID | None = Field(default=None, index=True)
    commercial: bool = False
    shown_at: datetime = Field(default_factory=utcnow)


class Click(TenantRow, table=True):
    """The visitor followed an item's link (``/r/{token}/go/{item}``)."""

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    visitor_id: uuid.UUID = Field(foreign_key="visitor.id", index=True, ondelete="CASCADE")
    item_id: str = Field(max_length=48)
    partner_id: uuid.UUID | None = Field(default=None, index=True)
    clicked_at: datetime = Field(default_factory=utcnow)


class ExposureRollup(TenantRow, table=True):
    """Anonymous daily counts per item, kept after the visitors' rows are deleted."""

    __tablename__ = "exposure_rollup"
    __table_args__ = (UniqueConstraint("destination_id", "day", "item_id"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    day: date
    item_id: str = Field(max_length=48)
    partner_id: uuid.UUID | None = Field(default=None, index=True)
    shown: int = 0
    clicked: int = 0
