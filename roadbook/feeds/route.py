"""A roadbook's day on a map: an RFC 7946 GeoJSON FeatureCollection.

A Point per suggested entry planned today (the destination's local day of the view's
``generated_at``) that has a position, a Point per visit seen today, and a LineString per tour
with a route (two points or more), whatever its day: a tour is a line to follow. Coordinates
are ``[longitude, latitude]`` in WGS 84 (RFC 7946 § 3.1.1).

A pure function of a :class:`~roadbook.feeds.view.RoadbookView`: no database, no clock.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from crm.ingest.schemas import rfc3339
from roadbook.engine.inputs import Position
from roadbook.feeds.view import Entry, RoadbookView, Section, VisitEntry
from roadbook.i18n import message

MEDIA_TYPE = "application/geo+json"


def route_geojson(view: RoadbookView) -> dict[str, Any]:
    """``view``'s day as a GeoJSON FeatureCollection (a dict ready for ``json.dumps``).

    In site mode (``view.links`` is ``None``) there are no visits: nothing personal.
    """
    zone = ZoneInfo(view.timezone)
    today = view.generated_at.astimezone(zone).date()
    features: list[dict[str, Any]] = []
    for section in view.sections:
        for entry in section.entries:
            if entry.position is not None and _day(entry.planned_at, zone) == today:
                features.append(_feature(entry.id, _point(entry.position), _props(entry, section)))
            if entry.kind == "tour" and len(entry.route) >= 2:
                line = {
                    "type": "LineString",
                    "coordinates": [_coordinates(point) for point in entry.route],
                }
                features.append(_feature(f"{entry.id}#route", line, _props(entry, section)))
    if view.links is not None:
        for visit in view.visits:
            if visit.position is not None and _day(visit.last_seen_at, zone) == today:
                features.append(
                    _feature(visit.id, _point(visit.position), _visit_props(visit, view.language))
                )
    return {"type": "FeatureCollection", "features": features}


def _props(entry: Entry, section: Section) -> dict[str, Any]:
    sponsored = entry.sponsored or entry.kind == "offer"
    return {
        "id": entry.id,
        "kind": entry.kind,
        "title": entry.title,
        "why": entry.why,
        "section": section.key,
        "planned_at": rfc3339(entry.planned_at),
        "until": None if entry.until is None else rfc3339(entry.until),
        "sponsored": sponsored,
        "label": entry.label if sponsored else None,
        "partner": entry.partner if sponsored else None,
        "url": entry.link,
    }


def _visit_props(visit: VisitEntry, language: str) -> dict[str, Any]:
    return {
        "id": visit.id,
        "kind": "visit",
        "title": message("visit_title", language, site=visit.site_name),
        "why": None,
        "section": None,
        "planned_at": rfc3339(visit.first_seen_at),
        "until": rfc3339(visit.last_seen_at),
        "sponsored": False,
        "site": visit.site,
        "open": visit.open,
    }


def _feature(ident: str, geometry: dict[str, Any], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": ident, "geometry": geometry, "properties": properties}


def _point(position: Position) -> dict[str, Any]:
    return {"type": "Point", "coordinates": _coordinates(position)}


def _coordinates(position: Position) -> list[float]:
    return [position.lon, position.lat]


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()
