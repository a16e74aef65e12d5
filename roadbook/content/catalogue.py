"""Reading the catalogue: items with the office's edits applied, as JSON (docs/content.md).

:func:`effective` is the one place where ``overrides`` meet the source's fields: language maps
merge language by language (:func:`roadbook.content.text.merge`), any other field is replaced.
:func:`item_json` is the shape of ``crm content list --json`` (DESIGN contract: ``uri``,
``slug``, ``kind``, ``title``, ``description``, ``lat``, ``lon``, ``opening_hours``, ``dates``,
``wishes``, ``updated_at``), plus the rest of the item and its attribution.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlmodel import col

from crm.core.i18n import catalogue, translate
from roadbook.content.datatourisme import canonical_uri
from roadbook.content.hours import Answer, Occurrence, Period, Schedule, is_open, occurrences
from roadbook.content.models import ContentItem
from roadbook.content.text import merge

TEXT_FIELDS = ("title", "summary", "description")
# Fields the office may override (the office pages, issue 12 item 5, write these).
EDITABLE = (
    *TEXT_FIELDS,
    "subtype",
    "latitude",
    "longitude",
    "address",
    "contact",
    "booking",
    "images",
    "wishes",
    "accessibility",
    "price",
    "labels",
    "opening_hours",
    "periods",
    "stops",
    "route",
    "length_m",
    "duration_min",
    "mode",
    "site_id",
)
LICENCE = "Licence Ouverte 2.0 (Etalab)"
# The licence's credit line in each language: catalogue.toml, next to this file.
_TEXTS = catalogue(__name__)


def effective(item: ContentItem) -> dict[str, Any]:
    """The item's editable fields as shown: the source's values under the office's edits."""
    values: dict[str, Any] = {name: getattr(item, name) for name in EDITABLE}
    for name, edited in item.overrides.items():
        if name not in values:
            continue
        if name in TEXT_FIELDS and isinstance(edited, Mapping):
            values[name] = merge(values[name], edited)
        else:
            values[name] = edited
    return values


def visible(at: datetime) -> ColumnElement[bool]:
    """The SQL condition "shown to visitors at ``at``": published, inside its window."""
    return and_(
        col(ContentItem.published).is_(True),
        or_(col(ContentItem.published_from).is_(None), col(ContentItem.published_from) <= at),
        or_(col(ContentItem.published_until).is_(None), col(ContentItem.published_until) > at),
    )


def status(item: ContentItem, at: datetime) -> str:
    """``published`` (shown now), ``unpublished``, ``scheduled`` (not yet) or ``expired``."""
    if not item.published:
        return "unpublished"
    if item.published_from is not None and at < item.published_from:
        return "scheduled"
    if item.published_until is not None and at >= item.published_until:
        return "expired"
    return "published"


def attribution(item: ContentItem, language: str) -> str | None:
    """The licence's credit line (producer, last update), shown wherever the item is shown."""
    if item.source != "datatourisme":
        return None
    producer = f", {item.producer}" if item.producer else ""
    day = item.source_updated_on.isoformat() if item.source_updated_on else "?"
    return translate(_TEXTS, "attribution", language, producer=producer, day=day)


def _dates(periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"start": p["start"], "end": p["end"]}
        | {key: p[key] for key in ("start_time", "end_time", "days") if p.get(key)}
        for p in periods
    ]


def item_json(item: ContentItem, *, full: bool = False) -> dict[str, Any]:
    """The item as ``crm content list --json`` prints it (``full``: with overrides, raw)."""
    shown = effective(item)
    answer: dict[str, Any] = {
        "uri": item.uri,
        "slug": item.slug,
        "kind": item.kind,
        "subtype": shown["subtype"],
        "title": shown["title"],
        "summary": shown["summary"],
        "description": shown["description"],
        "lat": shown["latitude"],
        "lon": shown["longitude"],
        "opening_hours": list(shown["opening_hours"].get("rules", [])),
        "opening_hours_remark": shown["opening_hours"].get("remark", {}),
        "dates": _dates(shown["periods"]),
        "wishes": shown["wishes"],
        "updated_at": item.updated_at.isoformat(),
        "address": shown["address"],
        "contact": shown["contact"],
        "booking": shown["booking"],
        "images": shown["images"],
        "accessibility": shown["accessibility"],
        "price": shown["price"],
        "labels": shown["labels"],
        "site_id": str(shown["site_id"]) if shown["site_id"] else None,
        "published": item.published,
        "published_from": item.published_from.isoformat() if item.published_from else None,
        "published_until": item.published_until.isoformat() if item.published_until else None,
        "source": {
            "kind": item.source,
            "producer": item.producer,
            "last_update": item.source_updated_on.isoformat() if item.source_updated_on else None,
            "licence": LICENCE if item.source == "datatourisme" else None,
            "attribution": attribution(item, "fr"),
        },
    }
    if item.kind == "tour":
        answer["tour"] = {
            key: shown[key] for key in ("stops", "route", "length_m", "duration_min", "mode")
        }
    if full:
        answer["id"] = str(item.id)
        answer["themes"] = item.themes
        answer["overrides"] = item.overrides
        answer["source"]["version"] = item.source_version
        answer["raw"] = item.raw
    return answer


def open_at(item: ContentItem, at: datetime, zone: tzinfo) -> Answer:
    """Whether the item (a place, with the office's hours if edited) is open at ``at``."""
    return is_open(Schedule.model_validate(effective(item)["opening_hours"]), at, zone)


def happening(item: ContentItem, start: datetime, end: datetime, zone: tzinfo) -> list[Occurrence]:
    """When the item (an event) happens between ``start`` and ``end``."""
    periods = [Period.model_validate(p) for p in effective(item)["periods"]]
    return occurrences(periods, start, end, zone)


async def stream_items(
    session: AsyncSession,
    destination_id: uuid.UUID,
    kind: str | None = None,
    between: tuple[date, date] | None = None,
    visible_at: datetime | None = None,
) -> AsyncIterator[ContentItem]:
    """The destination's items by kind and slug, streamed (``raw`` left in the database).

    ``between`` keeps the events whose dates touch that range of local dates (and every item
    that is not dated): the SQL side of "what happens between T1 and T2". ``visible_at`` keeps
    only the items shown to visitors then (:func:`visible`): what every reader for visitors
    passes.
    """
    query = (
        select(ContentItem)
        .options(defer(ContentItem.raw))  # type: ignore[arg-type]
        .where(col(ContentItem.destination_id) == destination_id)
        .order_by(col(ContentItem.kind), col(ContentItem.slug))
        .execution_options(yield_per=500)
    )
    if kind is not None:
        query = query.where(col(ContentItem.kind) == kind)
    if visible_at is not None:
        query = query.where(visible(visible_at))
    if between is not None:
        query = query.where(
            or_(
                col(ContentItem.active_until).is_(None), col(ContentItem.active_until) >= between[0]
            ),
            or_(col(ContentItem.active_from).is_(None), col(ContentItem.active_from) <= between[1]),
        )
    result = await session.stream_scalars(query)
    async for item in result:
        yield item


async def find_item(
    session: AsyncSession, destination_id: uuid.UUID, ref: str
) -> ContentItem | None:
    """An item by DATAtourisme URI (either domain), slug or id."""
    conditions = [col(ContentItem.slug) == ref, col(ContentItem.uri) == canonical_uri(ref)]
    with contextlib.suppress(ValueError):
        conditions.append(col(ContentItem.id) == uuid.UUID(ref))
    query = select(ContentItem).where(
        col(ContentItem.destination_id) == destination_id, or_(*conditions)
    )
    return (await session.execute(query)).scalars().first()
