"""The engine's words: one-line reasons, section titles, the offer label and the notice.

Every message exists in the four languages (``crm.core.vocabulary.LANGUAGES``; the catalogue
``reasons.toml`` is checked on import), so a reason is always in the visitor's language; only a
site's name may be shown in a fallback language (roadbook.content.text). A reason is at most
three parts, in the order wish, distance, timing, co-visitation, children, editorial pick ("You
asked for wellness; 600 m from the zoo; open until 22:00"); with none of them, "Selected by the
tourist office".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo

from crm.core.i18n import catalogue, section
from crm.core.vocabulary import WISHES
from roadbook.content.text import localize
from roadbook.engine.profile import Anchor, Mode
from roadbook.engine.scoring import Scored
from roadbook.engine.sections import SectionKey

MAX_PARTS = 3

# The engine's words: reasons.toml, next to this file (every message in every language, checked
# once at import by crm.core.i18n).
CATALOGUE = catalogue(__name__)
MESSAGES = section(CATALOGUE, "messages")
# The wishes as they read inside a sentence ("you asked for wellness").
WISH_WORDS = section(CATALOGUE, "wish_words")
# How each language joins words and parts, writes a decimal point and a short date.
_AND = CATALOGUE["forms.and"]
_SEPARATOR = CATALOGUE["forms.separator"]
_DECIMAL = CATALOGUE["forms.decimal"]
_DATE = CATALOGUE["forms.date"]
SECTION_MESSAGES: dict[SectionKey, str] = {
    "now_nearby": "now_nearby",
    "today": "today_section",
    "stay": "stay",
    "events": "events",
}

if set(WISH_WORDS) != set(WISHES):
    raise AssertionError("WISH_WORDS does not name every wish")


def say(key: str, language: str, **values: str) -> str:
    return MESSAGES[key][language].format(**values)


def distance_text(metres: float, language: str) -> str:
    """``600 m`` (to 50 m, at least 50 m), ``1.2 km`` (``1,2 km``), ``12 km``."""
    if metres < 975:
        return f"{max(50, round(metres / 50) * 50)} m"
    if metres < 9950:
        return f"{metres / 1000:.1f}".replace(".", _DECIMAL[language]) + " km"
    return f"{round(metres / 1000)} km"


def _clock(at: datetime) -> str:
    """``at``'s wall-clock time, ``HH:MM``."""
    return f"{at.hour:02d}:{at.minute:02d}"


def _date(day: date, language: str) -> str:
    return _DATE[language].format(d=day.day, m=day.month)


def _wishes(wishes: Iterable[str], language: str) -> str:
    chosen = set(wishes)
    words = [WISH_WORDS[w][language] for w in WISHES if w in chosen]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + _AND[language] + words[-1]


def _timing(scored: Scored, now: datetime, zone: tzinfo, language: str) -> str | None:
    item, slot = scored.eligible.candidate, scored.eligible.slot
    today = now.astimezone(zone).date()
    at = slot.at.astimezone(zone)
    until = slot.until.astimezone(zone) if slot.until is not None else None
    if item.offer is not None:
        if until is not None and until.date() == today:
            return say("open_until", language, time=_clock(until))
        # The last local day it is valid (an end at midnight is the day before's end).
        last = (item.offer.valid_until - timedelta(microseconds=1)).astimezone(zone).date()
        return say("valid_until", language, date=_date(last, language))
    if slot.starts is not None:
        starts = slot.starts.astimezone(zone)
        if slot.starts <= now:
            if slot.hours_known and until is not None:
                return say("on_now_until", language, time=_clock(until))
            return say("today", language)
        if starts.date() == today:
            if slot.hours_known:
                return say("today_at", language, time=_clock(starts))
            return say("today", language)
        if slot.hours_known:
            return say("on_date_at", language, date=_date(starts.date(), language),
                       time=_clock(starts))  # fmt: skip
        return say("on_date", language, date=_date(starts.date(), language))
    if not slot.open_known:
        return None
    if slot.at <= now:
        if slot.hours_known and until is not None:
            return say("open_until", language, time=_clock(until))
        return say("open_all_day", language)
    if at.date() == today:
        return say("opens_at", language, time=_clock(at))
    return say("open_on", language, date=_date(at.date(), language), time=_clock(at))


def reason(
    scored: Scored, anchor: Anchor | None, now: datetime, zone: tzinfo, language: str
) -> str:
    """The item's one-line reason in ``language``, first letter capitalised."""
    terms = scored.terms
    site = localize(anchor.name, language).text if anchor and anchor.name else None
    parts: list[str | None] = []
    if scored.matched_wishes:
        parts.append(say("wish", language, wishes=_wishes(scored.matched_wishes, language)))
    if scored.distance is not None and anchor is not None:
        distance = distance_text(scored.distance, language)
        item_site = scored.eligible.candidate.site_id
        if site and anchor.site_id is not None and anchor.site_id == item_site:
            parts.append(say("here", language, site=site))
        elif site:
            parts.append(say("from_site", language, distance=distance, site=site))
        elif anchor.name is None:
            parts.append(say("from_lodging", language, distance=distance))
    parts.append(_timing(scored, now, zone, language))
    if terms["covisitation"] > 0 and site:
        parts.append(say("covisitation", language, site=site))
    if terms["children"] > 0:
        parts.append(say("children", language))
    if terms["boost"] > 0:
        parts.append(say("office_pick", language))
    shown = [part for part in parts if part][:MAX_PARTS] or [say("selected", language)]
    line = _SEPARATOR[language].join(shown)
    return line[0].upper() + line[1:]


def label(commercial: bool, language: str) -> str | None:
    """The visible "partner offer" label of a commercial item."""
    return say("partner_offer", language) if commercial else None


def section_title(key: SectionKey, language: str) -> str:
    return say(SECTION_MESSAGES[key], language)


def notice(mode: Mode, language: str) -> str | None:
    """What the page says above an editorial roadbook (with its link to the consents)."""
    return say("not_personalised", language) if mode == "editorial" else None


def texts(key: str) -> Mapping[str, str]:
    """A message in every language (for the page's own use, e.g. the label's tooltip)."""
    return MESSAGES[key]
