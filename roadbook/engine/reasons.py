"""The engine's words: one-line reasons, section titles, the offer label and the notice.

Every message exists in the four languages (``crm.core.vocabulary.LANGUAGES``; checked on
import), so a reason is always in the visitor's language; only a site's name may be shown in a
fallback language (roadbook.content.text). A reason is at most three parts, in the order
wish, distance, timing, co-visitation, children, editorial pick ("You asked for wellness; 600 m
from the zoo; open until 22:00"); with none of them, "Selected by the tourist office".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, tzinfo

from crm.core.vocabulary import LANGUAGES, WISHES
from roadbook.content.text import localize
from roadbook.engine.profile import Anchor, Mode
from roadbook.engine.scoring import Scored
from roadbook.engine.sections import SectionKey

MAX_PARTS = 3

MESSAGES: dict[str, dict[str, str]] = {
    "wish": {
        "fr": "vous avez demandé : {wishes}",
        "en": "you asked for {wishes}",
        "de": "Sie wünschten sich {wishes}",
        "nl": "u vroeg om {wishes}",
    },
    "children": {
        "fr": "adapté aux enfants",
        "en": "good with children",
        "de": "kinderfreundlich",
        "nl": "geschikt voor kinderen",
    },
    "from_site": {
        "fr": "à {distance} de {site}",
        "en": "{distance} from {site}",
        "de": "{distance} von {site}",
        "nl": "op {distance} van {site}",
    },
    "here": {
        "fr": "sur place ({site})",
        "en": "right here ({site})",
        "de": "direkt hier ({site})",
        "nl": "hier ter plaatse ({site})",
    },
    "from_lodging": {
        "fr": "à {distance} de votre hébergement",
        "en": "{distance} from your lodging",
        "de": "{distance} von Ihrer Unterkunft",
        "nl": "op {distance} van uw verblijf",
    },
    "covisitation": {
        "fr": "souvent visité après {site}",
        "en": "often visited after {site}",
        "de": "oft nach {site} besucht",
        "nl": "vaak bezocht na {site}",
    },
    "open_until": {
        "fr": "ouvert jusqu'à {time}",
        "en": "open until {time}",
        "de": "geöffnet bis {time}",
        "nl": "open tot {time}",
    },
    "open_all_day": {
        "fr": "ouvert toute la journée",
        "en": "open all day",
        "de": "den ganzen Tag geöffnet",
        "nl": "de hele dag open",
    },
    "opens_at": {
        "fr": "ouvre à {time}",
        "en": "opens at {time}",
        "de": "öffnet um {time}",
        "nl": "open vanaf {time}",
    },
    "open_on": {
        "fr": "ouvert le {date} dès {time}",
        "en": "open on {date} from {time}",
        "de": "geöffnet am {date} ab {time}",
        "nl": "open op {date} vanaf {time}",
    },
    "on_now_until": {
        "fr": "en cours jusqu'à {time}",
        "en": "on now until {time}",
        "de": "läuft bis {time}",
        "nl": "nu bezig tot {time}",
    },
    "today": {"fr": "aujourd'hui", "en": "today", "de": "heute", "nl": "vandaag"},
    "today_at": {
        "fr": "aujourd'hui à {time}",
        "en": "today at {time}",
        "de": "heute um {time}",
        "nl": "vandaag om {time}",
    },
    "on_date": {"fr": "le {date}", "en": "on {date}", "de": "am {date}", "nl": "op {date}"},
    "on_date_at": {
        "fr": "le {date} à {time}",
        "en": "on {date} at {time}",
        "de": "am {date} um {time}",
        "nl": "op {date} om {time}",
    },
    "valid_until": {
        "fr": "valable jusqu'au {date}",
        "en": "valid until {date}",
        "de": "gültig bis {date}",
        "nl": "geldig tot {date}",
    },
    "office_pick": {
        "fr": "recommandé par l'office de tourisme",
        "en": "recommended by the tourist office",
        "de": "vom Tourismusbüro empfohlen",
        "nl": "aanbevolen door het toeristenbureau",
    },
    "selected": {
        "fr": "sélectionné par l'office de tourisme",
        "en": "selected by the tourist office",
        "de": "vom Tourismusbüro ausgewählt",
        "nl": "geselecteerd door het toeristenbureau",
    },
    "partner_offer": {
        "fr": "Offre partenaire",
        "en": "Partner offer",
        "de": "Partnerangebot",
        "nl": "Partneraanbieding",
    },
    "not_personalised": {
        "fr": "Ce carnet n'est pas personnalisé : vous n'avez pas accepté la personnalisation.",
        "en": "This roadbook is not personalised: you have not agreed to personalisation.",
        "de": "Dieses Reisebuch ist nicht personalisiert: Sie haben der Personalisierung "
        "nicht zugestimmt.",
        "nl": "Dit reisboek is niet gepersonaliseerd: u hebt niet ingestemd met personalisatie.",
    },
    "now_nearby": {
        "fr": "Maintenant, tout près",
        "en": "Now, nearby",
        "de": "Jetzt, in der Nähe",
        "nl": "Nu, dichtbij",
    },
    "today_section": {"fr": "Aujourd'hui", "en": "Today", "de": "Heute", "nl": "Vandaag"},
    "stay": {
        "fr": "Pendant votre séjour",
        "en": "During your stay",
        "de": "Während Ihres Aufenthalts",
        "nl": "Tijdens uw verblijf",
    },
    "events": {
        "fr": "Événements",
        "en": "Events",
        "de": "Veranstaltungen",
        "nl": "Evenementen",
    },
}

# The wishes as they read inside a sentence ("you asked for wellness").
WISH_WORDS: dict[str, dict[str, str]] = {
    "nature": {"fr": "nature", "en": "nature", "de": "Natur", "nl": "natuur"},
    "wellness": {"fr": "bien-être", "en": "wellness", "de": "Wellness", "nl": "wellness"},
    "family": {
        "fr": "sorties en famille",
        "en": "family outings",
        "de": "Familienausflüge",
        "nl": "familie-uitjes",
    },
    "gastronomy": {"fr": "gastronomie", "en": "good food", "de": "Kulinarik", "nl": "lekker eten"},
    "culture": {"fr": "culture", "en": "culture", "de": "Kultur", "nl": "cultuur"},
    "nightlife": {"fr": "vie nocturne", "en": "nightlife", "de": "Nachtleben", "nl": "uitgaan"},
    "sport": {"fr": "sport", "en": "sport", "de": "Sport", "nl": "sport"},
    "shopping": {"fr": "shopping", "en": "shopping", "de": "Shopping", "nl": "winkelen"},
}
_AND = {"fr": " et ", "en": " and ", "de": " und ", "nl": " en "}
# French puts a space before a semicolon.
_SEPARATOR = {"fr": " ; ", "en": "; ", "de": "; ", "nl": "; "}
_DECIMAL = {"fr": ",", "en": ".", "de": ",", "nl": ","}
_DATE = {
    "fr": "{d:02d}/{m:02d}",
    "en": "{d:02d}/{m:02d}",
    "de": "{d:02d}.{m:02d}.",
    "nl": "{d}-{m}",
}
SECTION_MESSAGES: dict[SectionKey, str] = {
    "now_nearby": "now_nearby",
    "today": "today_section",
    "stay": "stay",
    "events": "events",
}

for _table in (
    MESSAGES,
    WISH_WORDS,
    {"and": _AND, "separator": _SEPARATOR, "decimal": _DECIMAL, "date": _DATE},
):
    for _key, _texts in _table.items():
        if set(_texts) != set(LANGUAGES):
            raise AssertionError(f"{_key} is not in exactly the languages {LANGUAGES}")
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


def _date(day: date, language: str) -> str:
    return _DATE[language].format(d=day.day, m=day.month)


def _wishes(wishes: Iterable[str], language: str) -> str:
    words = [WISH_WORDS[w][language] for w in WISHES if w in set(wishes)]
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
            return say("open_until", language, time=f"{until:%H:%M}")
        # The last local day it is valid (an end at midnight is the day before's end).
        last = (item.offer.valid_until - timedelta(microseconds=1)).astimezone(zone).date()
        return say("valid_until", language, date=_date(last, language))
    if slot.starts is not None:
        starts = slot.starts.astimezone(zone)
        if slot.starts <= now:
            if slot.hours_known and until is not None:
                return say("on_now_until", language, time=f"{until:%H:%M}")
            return say("today", language)
        if starts.date() == today:
            if slot.hours_known:
                return say("today_at", language, time=f"{starts:%H:%M}")
            return say("today", language)
        if slot.hours_known:
            return say("on_date_at", language, date=_date(starts.date(), language),
                       time=f"{starts:%H:%M}")  # fmt: skip
        return say("on_date", language, date=_date(starts.date(), language))
    if not slot.open_known:
        return None
    if slot.at <= now:
        if slot.hours_known and until is not None:
            return say("open_until", language, time=f"{until:%H:%M}")
        return say("open_all_day", language)
    if at.date() == today:
        return say("opens_at", language, time=f"{at:%H:%M}")
    return say("open_on", language, date=_date(at.date(), language), time=f"{at:%H:%M}")


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
