"""Any view renders to valid documents in all four formats, and each parser reads back the text
that went in: titles and texts of any Unicode, with ``<script>``, commas, semicolons,
backslashes and line breaks (hypothesis)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feeds_support import SCHEMA, expand, load_schema, one, value, views
from hypothesis import given, settings
from icalendar import Calendar
from jsonschema import Draft202012Validator

from roadbook.feeds.calendar import ics
from roadbook.feeds.jsonfeed import json_feed
from roadbook.feeds.route import route_geojson
from roadbook.feeds.trip import trip_jsonld
from roadbook.feeds.view import Entry, RoadbookView

FEED = Draft202012Validator(load_schema("jsonfeed-1.1.schema.json"))
GEOJSON = Draft202012Validator(load_schema("geojson.schema.json"))


def as_ical_text(text: str) -> str:
    """``text`` as RFC 5545 TEXT may hold it: line breaks as LF, no other control character
    than HTAB (§ 3.3.11, CONTROL)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in text if c in "\n\t" or not (ord(c) < 0x20 or ord(c) == 0x7F))


def unescape(raw: str) -> str:
    """RFC 5545 § 3.3.11 TEXT, unescaped: ``\\\\``, ``\\;``, ``\\,``, ``\\n`` or ``\\N``."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def through_json(document: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(json.dumps(document, ensure_ascii=False))
    return parsed


@settings(max_examples=150, deadline=None)
@given(views())
def test_json_feed_of_any_view(view: RoadbookView) -> None:
    feed = through_json(json_feed(view))
    FEED.validate(feed)
    personal = view.links is not None
    visits = view.visits if personal else ()
    assert [item["id"] for item in feed["items"]] == [e.id for e in view.entries] + [
        v.id for v in visits
    ]
    assert feed["title"] == view.title
    for item, entry in zip(feed["items"], view.entries, strict=False):
        assert item["title"] == entry.title
        assert item["content_text"] == entry.summary
        assert "content_html" not in item
        extension = item["_balise"]
        assert (extension["kind"], extension["why"], extension["section"]) == (
            entry.kind,
            entry.why,
            entry.section,
        )
        assert extension.get("sponsored", False) is (entry.kind == "offer")
        if entry.kind == "offer":
            assert (extension["partner"], extension["label"]) == (entry.partner, entry.label)
    assert ("home_page_url" in feed) is personal
    assert ("wishes" in feed["_balise"]) is personal


def _repeated(moment: datetime, zone: str) -> bool:
    """Whether ``moment`` is the second occurrence of its local time in ``zone``."""
    local = moment.astimezone(ZoneInfo(zone))
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset() and bool(
        local.fold
    )


def _summary(entry: Entry) -> str:
    labelled = entry.kind == "offer" and entry.label
    return f"{entry.label} · {entry.title}" if labelled else entry.title


@settings(max_examples=150, deadline=None)
@given(views())
def test_icalendar_of_any_view(view: RoadbookView) -> None:
    calendar = Calendar.from_ical(ics(view))
    # The calendar's name is one line of TEXT (icalendar reads it raw: unescape it).
    name = " ".join(as_ical_text(view.title).split("\n"))
    assert unescape(str(calendar["X-WR-CALNAME"])) == name
    assert unescape(str(calendar["NAME"])) == name
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == [view.timezone]
    found = calendar.walk("VEVENT")
    assert [str(event["UID"]) for event in found] == [f"{e.id}@balise" for e in view.entries]
    for event, entry in zip(found, view.entries, strict=True):
        assert str(event["SUMMARY"]) == as_ical_text(_summary(entry))
        description = "\n\n".join(text for text in (entry.summary, entry.why) if text)
        if description:
            assert str(event["DESCRIPTION"]) == as_ical_text(description)
        # iCalendar counts whole seconds. (Compared in UTC: Python never finds an ambiguous
        # local time equal to a moment in another zone.)
        start = event.decoded("DTSTART")
        planned = entry.planned_at.replace(microsecond=0)
        assert start.astimezone(UTC) == planned.astimezone(UTC)
        if view.timezone == "UTC" or _repeated(planned, view.timezone):
            assert "TZID" not in event["DTSTART"].params
            assert start.utcoffset() == timedelta(0)
        else:
            assert event["DTSTART"].params["TZID"] == view.timezone
        until = None if entry.until is None else entry.until.replace(microsecond=0)
        if until is not None and until > planned:
            assert event.decoded("DTEND").astimezone(UTC) == until.astimezone(UTC)
        else:
            assert "DTEND" not in event
        cats = [str(c) for c in event["CATEGORIES"].cats]
        assert cats == ([entry.kind, "sponsored"] if entry.kind == "offer" else [entry.kind])


@settings(max_examples=60, deadline=None)
@given(views())
def test_json_ld_of_any_view(view: RoadbookView) -> None:
    [trip] = expand(trip_jsonld(view))
    assert trip["@type"] == [SCHEMA + "TouristTrip"]
    assert value(trip, "name") == view.title
    itinerary = one(trip, "itinerary")
    elements = itinerary.get(SCHEMA + "itemListElement", [])
    assert [value(element, "position") for element in elements] == list(
        range(1, len(view.entries) + 1)
    )
    for element, entry in zip(elements, view.entries, strict=True):
        item = one(element, "item")
        assert value(item, "name") == entry.title
        assert value(item, "identifier") == entry.id


@settings(max_examples=150, deadline=None)
@given(views())
def test_geojson_of_any_view(view: RoadbookView) -> None:
    collection = through_json(route_geojson(view))
    GEOJSON.validate(collection)
    entries = {entry.id: entry for entry in view.entries}
    for feature in collection["features"]:
        properties = feature["properties"]
        if properties["kind"] == "visit":
            assert view.links is not None
            continue
        entry = entries[properties["id"]]
        assert (properties["title"], properties["why"]) == (entry.title, entry.why)
        coordinates = feature["geometry"]["coordinates"]
        if feature["geometry"]["type"] == "Point":
            assert entry.position is not None
            assert coordinates == [entry.position.lon, entry.position.lat]
        else:
            assert coordinates == [[p.lon, p.lat] for p in entry.route]
