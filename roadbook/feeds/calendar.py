"""A roadbook as an iCalendar document (RFC 5545): one VEVENT per suggested entry at the time
the engine plans it (an event's next occurrence, a place when it opens or now, an offer, a
tour), in the destination's time zone, with a VTIMEZONE for it.

A pure function of a :class:`~roadbook.feeds.view.RoadbookView`: no database, no clock
(DTSTAMP is the view's ``generated_at``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vText

from roadbook.feeds.view import Entry, RoadbookView

MEDIA_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//Balise//Roadbook//EN"
# RFC 5545 § 3.3.11: a TEXT value holds no control character but the line breaks it escapes
# (and HTAB); anything else a title might carry is dropped, and CR LF or CR become LF.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def ics(view: RoadbookView) -> bytes:
    """``view`` as an iCalendar document (UTF-8 bytes, CRLF line ends).

    An entry's UID is ``<entry id>@balise``: the same item keeps its UID from one download to
    the next (entry ids are unique in a view, as the engine places each item once).
    """
    zone = ZoneInfo(view.timezone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # The calendar's name (RFC 7986 NAME, and the X-WR-CALNAME most apps read) is one line of
    # TEXT: escaped as such, which icalendar does only for the properties it knows the type of.
    name = vText(" ".join(_text(view.title).split("\n")))
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", view.timezone)
    entries = view.entries
    calendar.add_component(_timezone(view, entries, zone))
    for entry in entries:
        calendar.add_component(_event(entry, view.generated_at, zone))
    document: bytes = calendar.to_ical()
    return document


def _event(entry: Entry, stamp: datetime, zone: ZoneInfo) -> Event:
    sponsored = entry.sponsored or entry.kind == "offer"
    event = Event()
    event.add("uid", f"{entry.id}@balise")
    event.add("dtstamp", stamp.astimezone(UTC).replace(microsecond=0))
    # DATE-TIME counts whole seconds: an end that is not a second later is no end.
    start = _local(entry.planned_at, zone)
    event.add("dtstart", start)
    end = None if entry.until is None else _local(entry.until, zone)
    if end is not None and end > start:
        event.add("dtend", end)
    title = f"{entry.label} · {entry.title}" if sponsored and entry.label else entry.title
    event.add("summary", _text(title))
    description = "\n\n".join(text for text in (entry.summary, entry.why) if text)
    if description:
        event.add("description", _text(description))
    if entry.link is not None:
        event.add("url", entry.link)
    if entry.position is not None:
        event.add("geo", (entry.position.lat, entry.position.lon))
    event.add("categories", [entry.kind, "sponsored"] if sponsored else [entry.kind])
    if entry.updated_at is not None:
        event.add("last-modified", entry.updated_at.astimezone(UTC).replace(microsecond=0))
    # A suggestion does not make the visitor busy.
    event.add("transp", "TRANSPARENT")
    return event


def _timezone(view: RoadbookView, entries: tuple[Entry, ...], zone: ZoneInfo) -> Timezone:
    """The VTIMEZONE of ``view.timezone``, its observances over the days the calendar spans."""
    moments = [view.generated_at, *(entry.planned_at for entry in entries)]
    moments += [entry.until for entry in entries if entry.until is not None]
    days: list[date] = [moment.astimezone(zone).date() for moment in moments]
    return Timezone.from_tzid(
        view.timezone,
        first_date=min(days) - timedelta(days=1),
        last_date=max(days) + timedelta(days=2),
    )


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` in ``zone`` to the second; in UTC when it is the second of a local time that
    happens twice (the hour repeated when summer time ends): a local time with a TZID means its
    first occurrence (RFC 5545 § 3.3.5), so the second one can only be said in UTC."""
    local = moment.astimezone(zone).replace(microsecond=0)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return local.astimezone(UTC)
    return local


def _text(value: str) -> str:
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
