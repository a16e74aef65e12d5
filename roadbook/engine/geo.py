"""Distances on the Earth: the haversine great-circle distance (a sphere of mean radius)."""

from __future__ import annotations

import math
from collections.abc import Callable

from roadbook.engine.inputs import Position

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: Position, b: Position) -> float:
    """The great-circle distance between ``a`` and ``b``, in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def distance_from(origin: Position) -> Callable[[Position], float]:
    """:func:`distance_m` from a fixed ``origin``, its trigonometry done once (for ranking)."""
    lat1, lon1 = math.radians(origin.lat), origin.lon
    cos1 = math.cos(lat1)
    sin, cos, radians, asin, sqrt = math.sin, math.cos, math.radians, math.asin, math.sqrt

    def distance(to: Position) -> float:
        lat2 = radians(to.lat)
        h = sin((lat2 - lat1) / 2) ** 2 + cos1 * cos(lat2) * sin(radians(to.lon - lon1) / 2) ** 2
        return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))

    return distance
