"""The roadbook page's own words in fr/en/de/nl, and its dates and times in the visitor's language.

Pure functions: no database, no clock (the view's ``generated_at`` is "now"). The words the
engine and the service already chose (section titles, reasons, the "Partner offer" label, the
notice) come with the view; these are the page's frame around them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from crm.core.i18n import catalogue, columns, section, supported, translate
from roadbook.i18n import message

# Between the two ends of a time range.
DASH = "\N{EN DASH}"

# The page's words, its short weekdays and months: texts.toml, next to this file.
CATALOGUE = catalogue(__name__)
TEXTS = section(CATALOGUE, "page")
# Abbreviated weekdays (Monday first) and months, as each language writes a short date.
WEEKDAYS = columns(section(CATALOGUE, "weekdays"))
MONTHS = columns(section(CATALOGUE, "months"))


def language_of(language: str) -> str:
    """``language`` if the page speaks it, else French (the office's language)."""
    return supported(language)


def text(key: str, language: str, **values: object) -> str:
    """One of the page's words in ``language`` (French when missing), its fields filled in."""
    return translate(TEXTS, key, language_of(language), **values)


def page_texts(language: str) -> dict[str, str]:
    """Every word of the page's frame in ``language`` (fields such as ``{when}`` left unfilled,
    for the page to fill), plus the roadbook's shared ones (``empty``, ``my_data``, ``feed``,
    ``export``)."""
    language = language_of(language)
    words = {key: texts.get(language) or texts["fr"] for key, texts in TEXTS.items()}
    for key in ("empty", "my_data", "feed", "export"):
        words[key] = message(f"page_{key}", language)
    return words


def short_date(day: date, language: str) -> str:
    """``sam. 5 déc.``, ``Sat 5 Dec``, ``Sa. 5. Dez.``, ``za 5 dec``."""
    language = language_of(language)
    weekday, month = WEEKDAYS[language][day.weekday()], MONTHS[language][day.month - 1]
    if language == "de":
        return f"{weekday} {day.day}. {month}"
    return f"{weekday} {day.day} {month}"


def clock(moment: datetime) -> str:
    """``14:05`` (every language of the page writes 24-hour times)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def stamp(at: datetime, zone: ZoneInfo, language: str) -> str:
    """An absolute local date and time, ``sam. 5 déc. 15:00`` (for text read again later)."""
    local = at.astimezone(zone)
    return f"{short_date(local.date(), language)} {clock(local)}"


def _day_word(day: date, today: date, language: str) -> str:
    if day == today:
        return text("today", language)
    if day == today + timedelta(days=1):
        return text("tomorrow", language)
    return short_date(day, language)


def moment(at: datetime, now: datetime, zone: ZoneInfo, language: str) -> str:
    """A local date and time relative to ``now``: ``Aujourd'hui 14:05``, ``sam. 5 déc. 09:30``."""
    local, today = at.astimezone(zone), now.astimezone(zone).date()
    return f"{_day_word(local.date(), today, language)} {clock(local)}"


def when(
    planned_at: datetime, until: datetime | None, now: datetime, zone: ZoneInfo, language: str
) -> str:
    """When an item is planned, in local time (ranges with an en dash): ``Maintenant, jusqu'à
    22:00``, ``Aujourd'hui 14:00-16:00``, ``Demain 10:00``, ``sam. 5 déc. 20:30 - dim. 6 déc.
    01:00``. An end at midnight closes the day before: ``Maintenant, jusqu'à minuit``,
    ``Maintenant, jusqu'au sam. 30 janv.``, ``Aujourd'hui 20:00-24:00``."""
    start, today = planned_at.astimezone(zone), now.astimezone(zone).date()
    end = until.astimezone(zone) if until is not None else None
    midnight = end is not None and (end.hour, end.minute) == (0, 0)
    if planned_at <= now:
        head = text("now", language)
        if end is None:
            return head
        if midnight:
            last_day = end.date() - timedelta(days=1)
            if last_day <= today:
                return f"{head}, {text('until_midnight', language)}"
            return f"{head}, {text('until_day', language, when=short_date(last_day, language))}"
        shown = (
            clock(end)
            if end.date() == today
            else f"{short_date(end.date(), language)} {clock(end)}"
        )
        return f"{head}, {text('until', language, when=shown)}"
    head = f"{_day_word(start.date(), today, language)} {clock(start)}"
    if end is None:
        return head
    if end.date() == start.date():
        return f"{head}{DASH}{clock(end)}"
    if midnight and end.date() - timedelta(days=1) == start.date():
        return f"{head}{DASH}24:00"
    return f"{head} {DASH} {_day_word(end.date(), today, language)} {clock(end)}"


def visit_when(
    first: datetime, last: datetime, is_open: bool, now: datetime, zone: ZoneInfo, language: str
) -> str:
    """A visit's local times: ``Aujourd'hui 14:05-14:40``, ``Aujourd'hui 14:05, vous y êtes``."""
    head = moment(first, now, zone, language)
    if is_open:
        return f"{head}, {text('here_now', language)}"
    end = last.astimezone(zone)
    if end.date() == first.astimezone(zone).date():
        return f"{head}{DASH}{clock(end)}"
    return f"{head} {DASH} {moment(last, now, zone, language)}"
