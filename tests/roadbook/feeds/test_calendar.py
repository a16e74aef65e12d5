"""The roadbook as iCalendar, parsed back with icalendar: one VEVENT per suggested entry at its
planned time in the destination's zone (TZID and a VTIMEZONE), stable UIDs, text escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from feeds_support import (
    CONCERT,
    MUSEUM,
    NOW,
    OFFER,
    SPA,
    WALK,
    entry,
    go,
    sample_view,
    sections,
    site_view,
)
from icalendar import Calendar

from roadbook.engine.inputs import Position
from roadbook.feeds.calendar import ics

PARIS = ZoneInfo("Europe/Paris")


def parse(document: bytes) -> Calendar:
    calendar = Calendar.from_ical(document)
    assert isinstance(calendar, Calendar)
    return calendar


def events(document: bytes) -> dict[str, Calendar]:
    return {str(event["UID"]): event for event in parse(document).walk("VEVENT")}


def test_calendar_header_and_its_time_zone() -> None:
    document = ics(sample_view())
    assert document.startswith(b"BEGIN:VCALENDAR\r\n")
    assert document.endswith(b"END:VCALENDAR\r\n")
    calendar = parse(document)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Balise//Roadbook//EN"
    assert str(calendar["X-WR-CALNAME"]) == "Your roadbook — Amnéville"
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Europe/Paris"]
    # July in Paris: summer time, UTC+2.
    daylight = zones[0].walk("DAYLIGHT")
    assert daylight and daylight[0]["TZOFFSETTO"].td.total_seconds() == 2 * 3600


def test_one_event_per_entry_with_stable_uids_in_the_destinations_zone() -> None:
    found = events(ics(sample_view()))
    assert sorted(found) == sorted(
        f"{item.id}@balise" for item in (SPA, OFFER, WALK, MUSEUM, CONCERT)
    )
    concert = found[f"{CONCERT.id}@balise"]
    assert concert["DTSTART"].params["TZID"] == "Europe/Paris"
    assert concert["DTEND"].params["TZID"] == "Europe/Paris"
    assert concert.decoded("DTSTART") == datetime(2026, 7, 14, 20, 0, tzinfo=PARIS)
    assert concert.decoded("DTEND") == datetime(2026, 7, 14, 22, 30, tzinfo=PARIS)
    assert concert.decoded("DTSTAMP") == NOW
    assert str(concert["SUMMARY"]) == "Concert"
    assert str(concert["DESCRIPTION"]) == "Jazz, blues & more\n\nTonight at 20:00"
    assert str(concert["URL"]) == go(CONCERT.id)
    geo = concert["GEO"]
    assert (geo.latitude, geo.longitude) == (49.25, 6.15)
    assert [str(c) for c in concert["CATEGORIES"].cats] == ["event"]
    assert str(concert["TRANSP"]) == "TRANSPARENT"
    # The same view renders the same bytes: nothing depends on the clock.
    assert ics(sample_view()) == ics(sample_view())


def test_a_place_without_end_position_or_link() -> None:
    museum = events(ics(sample_view()))[f"{MUSEUM.id}@balise"]
    assert museum.decoded("DTSTART") == datetime(2026, 7, 15, 9, 0, tzinfo=PARIS)
    assert "DTEND" not in museum and "GEO" not in museum and "URL" not in museum
    # No summary: the description is the reason alone.
    assert str(museum["DESCRIPTION"]) == "Open tomorrow from 09:00"


def test_an_offer_is_labelled_and_sponsored() -> None:
    offer = events(ics(sample_view()))[f"{OFFER.id}@balise"]
    assert str(offer["SUMMARY"]) == f"Partner offer · {OFFER.title}"
    assert [str(c) for c in offer["CATEGORIES"].cats] == ["offer", "sponsored"]
    # The hostile text is only text: iCalendar has no markup.
    assert "<img src=x onerror=alert(1)>" in str(offer["DESCRIPTION"])


def test_commas_semicolons_backslashes_and_newlines_are_escaped() -> None:
    tricky = "Bains, spa; sauna\\hammam\nsecond line\r\nthird\rfourth"
    view = sample_view(sections=sections(entry("place:x", title=tricky, summary=tricky, why="")))
    document = ics(view)
    # Escaped on the wire (RFC 5545 § 3.3.11), lines folded at 75 octets.
    unfolded = document.replace(b"\r\n ", b"")
    assert b"SUMMARY:Bains\\, spa\\; sauna\\\\hammam\\nsecond line\\nthird\\nfourth\r\n" in unfolded
    assert all(len(line) <= 75 for line in document.split(b"\r\n"))
    event = events(document)["place:x@balise"]
    expected = "Bains, spa; sauna\\hammam\nsecond line\nthird\nfourth"
    assert str(event["SUMMARY"]) == expected
    assert str(event["DESCRIPTION"]) == expected


def test_control_characters_are_dropped() -> None:
    view = sample_view(sections=sections(entry("place:x", title="a\x00b\x07c\x1bd\te")))
    assert str(events(ics(view))["place:x@balise"]["SUMMARY"]) == "abcd\te"


def test_utc_and_a_zone_without_summer_time() -> None:
    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    item = entry("event:y", planned_at=at, position=Position(1.5, 2.5))
    kolkata = events(ics(sample_view(timezone="Asia/Kolkata", sections=sections(item))))
    event = kolkata["event:y@balise"]
    assert event["DTSTART"].params["TZID"] == "Asia/Kolkata"
    kolkata_time = datetime(2026, 12, 3, 17, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert event.decoded("DTSTART") == kolkata_time
    utc = events(ics(sample_view(timezone="UTC", sections=sections(item))))["event:y@balise"]
    assert utc.decoded("DTSTART") == at


def test_an_empty_roadbook_and_site_mode() -> None:
    empty = parse(ics(sample_view(sections=())))
    assert empty.walk("VEVENT") == []
    assert [str(zone["TZID"]) for zone in empty.walk("VTIMEZONE")] == ["Europe/Paris"]
    site = ics(site_view())
    assert b"/r/" not in site.replace(b"\r\n ", b"")
    assert len(parse(site).walk("VEVENT")) == 4


def test_the_calendar_name_is_one_escaped_line_and_times_count_whole_seconds() -> None:
    start = datetime(2026, 7, 14, 18, 0, 0, 600_000, tzinfo=UTC)
    item = entry("event:s", planned_at=start, until=start.replace(microsecond=900_000))
    document = ics(sample_view(title="Roadbook, Amneville;\nsummer", sections=sections(item)))
    assert b"\r\nX-WR-CALNAME:Roadbook\\, Amneville\\; summer\r\n" in document
    assert b"\r\nNAME:Roadbook\\, Amneville\\; summer\r\n" in document
    event = events(document)["event:s@balise"]
    assert event.decoded("DTSTART") == datetime(2026, 7, 14, 20, 0, tzinfo=PARIS)
    # The end is not a whole second after the start: no DTEND (it must be later than DTSTART).
    assert "DTEND" not in event


def test_the_repeated_hour_when_summer_time_ends() -> None:
    """On 25 October 2026 Paris lives 02:30 twice: the first (00:30 UTC) is written with its
    TZID, the second (01:30 UTC) in UTC, since a local time means its first occurrence."""
    first = entry("event:a", planned_at=datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    second = entry("event:b", planned_at=datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    document = ics(sample_view(sections=sections(first, second)))
    assert b"DTSTART;TZID=Europe/Paris:20261025T023000\r\n" in document
    assert b"DTSTART:20261025T013000Z\r\n" in document
    found = events(document)
    assert found["event:a@balise"].decoded("DTSTART").astimezone(UTC) == first.planned_at
    assert found["event:b@balise"].decoded("DTSTART") == second.planned_at
