"""The roadbook's day as GeoJSON, checked against a compact RFC 7946 schema: a Point per entry
planned today (the destination's local day) and per visit of today, a LineString per tour,
coordinates as [longitude, latitude]."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from feeds_support import (
    CONCERT,
    NOW,
    OFFER,
    SPA,
    VISIT_TODAY,
    WALK,
    entry,
    go,
    load_schema,
    sample_view,
    sections,
    site_view,
    validated,
)
from jsonschema import Draft202012Validator

from roadbook.engine.inputs import Position
from roadbook.feeds.route import route_geojson

GEOJSON_SCHEMA = load_schema("geojson.schema.json")


def valid(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` after a round trip through JSON text, checked against the GeoJSON schema."""
    return validated(GEOJSON_SCHEMA, document)


def test_the_schema_rejects_what_rfc_7946_forbids() -> None:
    Draft202012Validator.check_schema(GEOJSON_SCHEMA)
    validator = Draft202012Validator(GEOJSON_SCHEMA)
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.1, 49.2]}}
    good = {"type": "FeatureCollection", "features": [{**point, "properties": None}]}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "crs": {"type": "name"}})
    # A latitude out of range: [lat, lon] written the wrong way round for this point.
    swapped = {**point, "geometry": {"type": "Point", "coordinates": [6.1, 149.2]}}
    assert not validator.is_valid({**good, "features": [{**swapped, "properties": None}]})
    line = {"type": "LineString", "coordinates": [[6.1, 49.2]]}
    assert not validator.is_valid(
        {**good, "features": [{"type": "Feature", "geometry": line, "properties": {}}]}
    )
    assert not validator.is_valid({**good, "features": [point]})


def test_todays_stops_visits_and_every_tours_line() -> None:
    collection = valid(route_geojson(sample_view()))
    assert collection["type"] == "FeatureCollection"
    # The spa (now), the offer (10:30) and the concert (20:00) are today; the museum is
    # tomorrow (and has no position), the walk is tomorrow but its line is drawn; today's visit
    # only (the other was two days ago).
    assert [(feature["id"], feature["geometry"]["type"]) for feature in collection["features"]] == [
        (SPA.id, "Point"),
        (OFFER.id, "Point"),
        (f"{WALK.id}#route", "LineString"),
        (CONCERT.id, "Point"),
        (VISIT_TODAY.id, "Point"),
    ]
    features = {feature["id"]: feature for feature in collection["features"]}
    assert features[SPA.id]["geometry"]["coordinates"] == [6.1432, 49.2611]
    assert features[f"{WALK.id}#route"]["geometry"]["coordinates"] == [
        [6.2, 49.3],
        [6.21, 49.31],
        [6.19, 49.32],
    ]
    assert features[VISIT_TODAY.id]["geometry"]["coordinates"] == [6.13, 49.27]


def test_feature_properties() -> None:
    features = {f["id"]: f for f in valid(route_geojson(sample_view()))["features"]}
    assert features[SPA.id]["properties"] == {
        "id": SPA.id,
        "kind": "place",
        "title": "Les Thermes, bains; spa",
        "why": "You asked for wellness; 600 m from the zoo; open until 22:00",
        "section": "now_nearby",
        "planned_at": "2026-07-14T08:00:00Z",
        "until": None,
        "sponsored": False,
        "label": None,
        "partner": None,
        "url": go(SPA.id),
    }
    offer = features[OFFER.id]["properties"]
    assert (offer["sponsored"], offer["label"], offer["partner"]) == (
        True,
        "Partner offer",
        OFFER.partner,
    )
    assert offer["title"] == OFFER.title
    assert features[f"{WALK.id}#route"]["properties"]["id"] == WALK.id
    assert features[VISIT_TODAY.id]["properties"] == {
        "id": VISIT_TODAY.id,
        "kind": "visit",
        "title": "Visit: Zoo d'Amnéville",
        "why": None,
        "section": None,
        "planned_at": "2026-07-14T06:30:00Z",
        "until": "2026-07-14T07:45:00Z",
        "sponsored": False,
        "site": "zoo",
        "open": True,
    }


def test_today_is_the_destinations_local_day() -> None:
    """At 23:30 UTC on 14 July it is already 15 July in Paris: tomorrow's items are today's."""
    late = datetime(2026, 7, 14, 23, 30, tzinfo=UTC)
    item = entry("place:z", planned_at=datetime(2026, 7, 15, 7, 0, tzinfo=UTC))
    paris = valid(route_geojson(sample_view(generated_at=late, sections=sections(item))))
    # Today's visit (08:30 to 09:45 in Paris on 14 July) was yesterday by then.
    assert [f["id"] for f in paris["features"]] == ["place:z"]
    utc = valid(
        route_geojson(sample_view(timezone="UTC", generated_at=late, sections=sections(item)))
    )
    assert [f["id"] for f in utc["features"]] == [VISIT_TODAY.id]


def test_a_tour_with_a_single_point_has_no_line_and_site_mode_no_visits() -> None:
    single = entry("tour:t", route=(Position(49.0, 6.0),), planned_at=NOW)
    collection = valid(route_geojson(sample_view(sections=sections(single))))
    assert [f["geometry"]["type"] for f in collection["features"]] == ["Point", "Point"]
    assert [f["properties"]["kind"] for f in collection["features"]] == ["tour", "visit"]
    site = valid(route_geojson(site_view()))
    assert all(f["properties"]["kind"] != "visit" for f in site["features"])
    assert "/r/" not in json.dumps(site)
    assert {f["id"] for f in site["features"]} == {
        SPA.id,
        OFFER.id,
        f"{WALK.id}#route",
        CONCERT.id,
    }
