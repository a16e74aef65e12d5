"""What the outputs show of a candidate besides what the engine ranks, and the sites."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from roadbook.engine.inputs import Position
from roadbook.feeds.view import Image


@dataclass(frozen=True, slots=True)
class Details:
    """What an item's outputs show besides what the engine ranks."""

    summary: Mapping[str, str]
    image: Image | None = None
    # The item's own website (the click-through's target), if any.
    url: str | None = None
    route: tuple[Position, ...] = ()
    site: str | None = None
    # A catalogue item's slug (``None`` for an offer).
    slug: str | None = None
    # The publishing window (None: unbounded).
    shown_from: datetime | None = None
    shown_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SiteInfo:
    slug: str
    name: str
    kind: str
    position: Position | None
    partner_id: str | None


def position(latitude: object, longitude: object) -> Position | None:
    """A position from stored coordinates, or ``None`` when missing or out of range."""
    if not isinstance(latitude, (int, float)) or not isinstance(longitude, (int, float)):
        return None
    try:
        return Position(float(latitude), float(longitude))
    except ValueError:
        return None


def first_image(images: Iterable[Any]) -> Image | None:
    for image in images:
        if isinstance(image, Mapping) and isinstance(image.get("url"), str) and image["url"]:
            credit = image.get("credit")
            return Image(image["url"], credit if isinstance(credit, str) and credit else None)
    return None
