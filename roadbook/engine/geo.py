"""Distances on the Earth: the haversine great-circle distance (a sphere of mean radius)."""

from __future__ import annotations

import math

from roadbook.engine.inputs import Position

EARTH_RADIUS_M = 6_371_008.8


def distance_m(a: Position, b: Position) -> float:
    """The great-circle distance between ``a`` and ``b``, in metres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
