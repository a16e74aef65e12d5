"""The office's editorial content: the catalogue of places, events and tours (docs/content.md)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantRow, utcnow

KINDS = ("place", "event", "tour")
SOURCES = ("office", "datatourisme")


def _jsonb(default: Any = dict) -> Any:
    return Field(default_factory=default, sa_column=Column(JSONB, nullable=False))


class ContentItem(TenantRow, table=True):
    """An item of the destination's catalogue: a place, an event or a tour (docs/content.md).

    Fields filled from the source (a DATAtourisme record, or the office's form) are rewritten on
    every re-import; the office's own edits live in ``overrides`` (field name → value; language
    maps merged language by language) and survive re-imports. ``raw`` keeps the source record
    verbatim so that a later version can re-derive fields without re-downloading the flux.
    """

    __tablename__ = "content_item"
    __table_args__ = (
        UniqueConstraint("destination_id", "slug"),
        UniqueConstraint("destination_id", "uri"),
        CheckConstraint("kind IN ('place', 'event', 'tour')", name="kind"),
        CheckConstraint("source IN ('office', 'datatourisme')", name="source"),
        Index("ix_content_item_destination_id_kind", "destination_id", "kind"),
        Index("ix_content_item_destination_id_active", "destination_id", "active_until"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=8)
    # place: point_of_interest, restaurant, lodging, site, shop, leisure, service;
    # event: festival, show, exhibition, market, sport, other; tour: walk, cycling, drive...
    subtype: str = Field(default="", max_length=32)
    slug: str = Field(max_length=96)
    # The canonical DATAtourisme URI (https://data.datatourisme.fr/...); None for the office's.
    uri: str | None = Field(default=None, max_length=300)
    title: dict[str, str] = _jsonb()
    summary: dict[str, str] = _jsonb()
    description: dict[str, str] = _jsonb()
    latitude: float | None = None
    longitude: float | None = None
    # {"street", "postal_code", "locality", "insee", "department"}
    address: dict[str, Any] = _jsonb()
    # {"emails": [...], "phones": [...], "websites": [...]}, for information and for booking
    contact: dict[str, Any] = _jsonb()
    booking: dict[str, Any] = _jsonb()
    # [{"url", "credit", "title"}]
    images: list[dict[str, Any]] = _jsonb(list)
    wishes: list[str] = _jsonb(list)
    # The source's own theme and type names (kb:..., schema:...), from which wishes are derived.
    themes: list[str] = _jsonb(list)
    # Feature slugs, e.g. ["wheelchair", "hearing", "pets"]
    accessibility: list[str] = _jsonb(list)
    # {"min": 12.0, "max": 25.0, "currency": "EUR", "free": false, "remark": {...}}
    price: dict[str, Any] = _jsonb()
    labels: list[str] = _jsonb(list)
    # roadbook.content.hours.Schedule as JSON; events: periods (roadbook.content.hours.Period)
    opening_hours: dict[str, Any] = _jsonb()
    periods: list[dict[str, Any]] = _jsonb(list)
    # First and last local dates of an event's periods, for "happening between" in SQL.
    active_from: date | None = None
    active_until: date | None = None
    # Tours: ordered stops [{"title", "lat", "lon", "uri"}], a GeoJSON LineString, mode.
    stops: list[dict[str, Any]] = _jsonb(list)
    route: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    length_m: int | None = None
    duration_min: int | None = None
    mode: str | None = Field(default=None, max_length=16)
    site_id: uuid.UUID | None = Field(default=None, foreign_key="site.id", ondelete="SET NULL")
    source: str = Field(default="office", max_length=16)
    producer: str | None = Field(default=None, max_length=300)
    # The producer's last update (DATAtourisme ``lastUpdate``), shown with the attribution.
    source_updated_on: date | None = None
    # DATAtourisme ``lastUpdateDatatourisme`` as given: the incremental import's key.
    source_version: str | None = Field(default=None, max_length=40)
    raw: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    overrides: dict[str, Any] = _jsonb()
    # Unpublished items are kept but shown nowhere; published ones only inside their window
    # [published_from, published_until) (catalogue.visible).
    published: bool = True
    published_from: datetime | None = None
    published_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
