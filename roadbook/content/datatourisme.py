"""One DATAtourisme JSON-LD object read into a catalogue row (docs/content.md § Import).

DATAtourisme objects are loose: text is a language map of arrays, a bare string or an
``{"@value"}`` object; numbers come as strings; one object is sometimes a list of them;
properties carry a ``schema:`` prefix or none. Every reader here accepts all of these and
returns nothing rather than failing; :func:`read_object` raises :class:`Skip` with one of
:data:`SKIP_REASONS` only when the object cannot be an item (no ``@id``, no label, not an
object). Any other bad field is left empty: the raw record is kept, so a later version can
re-derive it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from crm.core.vocabulary import ACCESSIBILITY, DAYS, WISHES

CANONICAL_PREFIX = "https://data.datatourisme.fr/"
# Flux from 2020 and earlier name the same objects under the old domain.
_DOMAIN = re.compile(r"^https?://data\.datatourisme\.(?:gouv\.)?fr/")
_URI = re.compile(r"^https?://[^\s/]+/\S*$")
URI_MAX = 300
PRODUCER_MAX = 300
TEXT_MAX = 20_000
MAX_RULES = 400
MAX_PERIODS = 2_000
MAX_STOPS = 500

NOT_AN_OBJECT = "not a JSON object"
NO_ID = "no @id"
BAD_ID = "@id is not an http(s) URI of at most 300 characters"
NO_LABEL = "no label"
TOO_DEEP = "nested too deeply"
SKIP_REASONS = (NOT_AN_OBJECT, NO_ID, BAD_ID, NO_LABEL, TOO_DEEP)


class Skip(Exception):
    """The object cannot become a catalogue item; ``reason`` is one of :data:`SKIP_REASONS`."""

    def __init__(self, reason: str, uri: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.uri = uri


# --- value shapes ---------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """A list of whatever ``value`` holds: ``None`` is empty, a single value a list of one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in as_list(value) if isinstance(item, dict)]


def _get(node: Any, *keys: str) -> Any:
    """The first present of ``keys`` (with and without the ``schema:`` prefix) in ``node``."""
    if not isinstance(node, dict):
        return None
    for key in keys:
        found = node.get(key)
        if found is None:
            found = node.get(_SCHEMA.get(key) or _schema(key))
        if found is not None:
            return found
    return None


_SCHEMA: dict[str, str] = {}


def _schema(key: str) -> str:
    _SCHEMA[key] = f"schema:{key}"
    return _SCHEMA[key]


def scalar(value: Any) -> str | None:
    """A string from a string, a number, ``{"@value": ...}`` or the first of a list."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, int | float):
        return str(value) if not isinstance(value, float) or math.isfinite(value) else None
    if isinstance(value, dict):
        return scalar(value.get("@value")) if "@value" in value else None
    if isinstance(value, list):
        for item in value:
            found = scalar(item)
            if found is not None:
                return found
    return None


def _strings(value: Any) -> list[str]:
    found = (scalar(item) for item in as_list(value))
    return list(dict.fromkeys(text for text in found if text))


_LANGUAGE_KEY = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*$")


def texts(value: Any) -> dict[str, str]:
    """A language map ``{"fr": "..."}`` from any DATAtourisme text shape (French if untagged)."""
    parts: dict[str, list[str]] = {}

    def add(language: str, text: str | None) -> None:
        if text:
            bucket = parts.setdefault(language, [])
            if text not in bucket:
                bucket.append(text)

    for item in as_list(value):
        if isinstance(item, str | int | float) and not isinstance(item, bool):
            add("fr", scalar(item))
        elif isinstance(item, dict) and "@value" in item:
            tag = item.get("@language")
            match = _LANGUAGE_KEY.match(tag) if isinstance(tag, str) else None
            add(match.group(1).lower() if match else "fr", scalar(item["@value"]))
        elif isinstance(item, dict):
            for key, values in item.items():
                match = _LANGUAGE_KEY.match(key) if isinstance(key, str) else None
                if match:
                    for text in as_list(values):
                        add(match.group(1).lower(), scalar(text))
    return {language: "\n\n".join(found)[:TEXT_MAX] for language, found in parts.items() if found}


def number(value: Any) -> float | None:
    """A finite number from a number or a string ("48.86", "48,86"), else ``None``."""
    text = scalar(value)
    if text is None:
        return None
    try:
        found = float(text.replace(",", "."))
    except ValueError:
        return None
    return found if math.isfinite(found) else None


def day(value: Any) -> date | None:
    """The date of "2022-06-02", "2022-01-01T00:00:00" or "2022-10-13T05:37:45.202Z"."""
    text = scalar(value)
    return None if text is None or len(text) < 10 else _day_of(text[:10])


@lru_cache(maxsize=4096)
def _day_of(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")


def clock(value: Any) -> str | None:
    """``HH:MM`` from "11:00:00", "9:30", "22:00:00+01:00"; "24:00" kept; else ``None``."""
    text = scalar(value)
    return _clock_of(text) if text else None


@lru_cache(maxsize=4096)
def _clock_of(text: str) -> str | None:
    match = _CLOCK.match(text)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return f"{hours:02d}:{minutes:02d}"


def identifier(value: Any) -> str | None:
    """The ``@id`` of a node (or the string itself)."""
    if isinstance(value, dict):
        value = value.get("@id")
    return value.strip() or None if isinstance(value, str) else None


def local_name(name: str) -> str:
    """``schema:Monday``, ``kb:LabelRating_3`` or a full IRI → its last segment."""
    name = name.rstrip("/#")
    return name[max(name.rfind(":"), name.rfind("#"), name.rfind("/")) + 1 :]


def _names(value: Any) -> list[str]:
    found = [identifier(item) or scalar(item) for item in as_list(value)]
    return [local_name(name) for name in found if name]


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(name: str) -> list[str]:
    """``CulturalSite`` → ``["cultural", "site"]``: what the keyword tables match."""
    return [word.lower() for word in _WORD.findall(name)]


def canonical_uri(uri: str) -> str:
    """One key for both DATAtourisme domains (and http): ``https://data.datatourisme.fr/...``."""
    return _DOMAIN.sub(CANONICAL_PREFIX, uri, count=1)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by '-' (accents dropped)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def item_slug(title: dict[str, str], uri: str) -> str:
    """A stable, readable slug: the title's words and a short hash of the URI."""
    label = title.get("fr") or next(iter(title.values()), "")
    words_part = slugify(label)[:60].strip("-") or "item"
    return f"{words_part}-{hashlib.sha1(uri.encode()).hexdigest()[:10]}"  # noqa: S324 - a name


# --- vocabularies ---------------------------------------------------------------------------


class Vocabulary:
    """Words → results: ``{"cultur*": "culture"}``, a trailing ``*`` matching a word's start.

    Names repeat across a flux (a few hundred types and themes), so each word's results are
    remembered: classifying costs a dictionary look-up per word.
    """

    def __init__(self, entries: dict[str, str]) -> None:
        self.entries = entries
        self._exact = {k: v for k, v in entries.items() if not k.endswith("*")}
        self._prefixes = [(k[:-1], v) for k, v in entries.items() if k.endswith("*")]
        self._seen: dict[str, tuple[str, ...]] = {}

    def results(self) -> set[str]:
        return set(self.entries.values())

    def word(self, word: str) -> tuple[str, ...]:
        found = self._seen.get(word)
        if found is None:
            matches = [v for prefix, v in self._prefixes if word.startswith(prefix)]
            exact = self._exact.get(word)
            found = tuple(dict.fromkeys([*([exact] if exact else []), *matches]))
            if len(self._seen) < 100_000:
                self._seen[word] = found
        return found

    def classify(self, names: Iterable[str]) -> list[str]:
        """The results of every word of ``names``, in order of first appearance."""
        found: dict[str, None] = {}
        for name in names:
            for word in words(name):
                for result in self.word(word):
                    found[result] = None
        return list(found)


# Words of DATAtourisme types, themes and features → wish slugs (a heuristic, docs/content.md).
WISH_WORDS = Vocabulary(
    {
        "nature*": "nature", "natural*": "nature", "park": "nature", "garden*": "nature",
        "forest*": "nature", "lake*": "nature", "river*": "nature", "beach*": "nature",
        "mountain*": "nature", "botanic*": "nature", "hik*": "nature", "walk*": "nature",
        "landscape*": "nature", "zoo*": "nature", "fauna": "nature", "flora": "nature",
        "spa": "wellness", "thermal*": "wellness", "thalasso*": "wellness",
        "wellness": "wellness", "wellbeing": "wellness", "sauna*": "wellness",
        "hammam*": "wellness", "balneo*": "wellness", "massage*": "wellness",
        "family": "family", "families": "family", "child*": "family", "kid*": "family",
        "playground*": "family", "amusement*": "family", "theme": "family",
        "aquarium*": "family",
        "restaurant*": "gastronomy", "food*": "gastronomy", "gastronom*": "gastronomy",
        "tasting*": "gastronomy", "wine*": "gastronomy", "winery": "gastronomy",
        "brewery": "gastronomy", "bistro*": "gastronomy", "brasserie*": "gastronomy",
        "culinary": "gastronomy", "cuisine": "gastronomy", "vineyard*": "gastronomy",
        "cultur*": "culture", "museum*": "culture", "heritage": "culture",
        "monument*": "culture", "church*": "culture", "castle*": "culture",
        "exhibition*": "culture", "theater*": "culture", "theatre*": "culture",
        "concert*": "culture", "art": "culture", "arts": "culture", "religious": "culture",
        "archaeolog*": "culture", "archeolog*": "culture", "library": "culture",
        "cinema*": "culture", "screening*": "culture", "historic*": "culture",
        "festival*": "culture", "opera*": "culture", "dance*": "culture",
        "music*": "culture", "show*": "culture",
        "bar": "nightlife", "bars": "nightlife", "pub": "nightlife", "night*": "nightlife",
        "club": "nightlife", "nightclub*": "nightlife", "casino*": "nightlife",
        "cabaret*": "nightlife", "disco*": "nightlife",
        "sport*": "sport", "golf*": "sport", "ski*": "sport", "swim*": "sport",
        "cycl*": "sport", "bike*": "sport", "climb*": "sport", "tennis": "sport",
        "fitness": "sport", "equestrian*": "sport", "canoe*": "sport", "kayak*": "sport",
        "sailing": "sport", "diving": "sport",
        "shop*": "shopping", "store*": "shopping", "market*": "shopping",
        "boutique*": "shopping", "craft*": "shopping", "artisan*": "shopping",
        "antique*": "shopping", "sale*": "shopping", "mall": "shopping",
    }
)  # fmt: skip
assert WISH_WORDS.results() == set(WISHES)

ACCESSIBILITY_WORDS = Vocabulary(
    {
        "wheelchair*": "wheelchair", "pmr": "wheelchair", "reduced": "mobility",
        "motor*": "mobility", "mobility": "mobility", "visual*": "visual",
        "blind*": "visual", "sight*": "visual", "hearing*": "hearing", "deaf*": "hearing",
        "mental*": "cognitive", "cognitive*": "cognitive", "intellectual*": "cognitive",
    }
)  # fmt: skip
assert ACCESSIBILITY_WORDS.results() <= set(ACCESSIBILITY)

PLACE_SUBTYPES = Vocabulary(
    {
        "restaurant*": "restaurant", "food*": "restaurant", "bistro*": "restaurant",
        "brasserie*": "restaurant", "cafe*": "restaurant", "accommodation*": "lodging",
        "hotel*": "lodging", "lodging*": "lodging", "camping*": "lodging",
        "guesthouse*": "lodging", "hostel*": "lodging", "rental*": "lodging",
        "cultural": "site", "museum*": "site", "heritage": "site", "monument*": "site",
        "castle*": "site", "church*": "site", "remarkable": "site", "religious": "site",
        "store*": "shop", "shop*": "shop", "boutique*": "shop", "market*": "shop",
        "leisure*": "leisure", "sports": "leisure", "amusement*": "leisure",
        "zoo*": "leisure", "spa": "leisure", "service*": "service",
        "information": "service", "transport*": "service",
    }
)  # fmt: skip
EVENT_SUBTYPES = Vocabulary(
    {
        "festival*": "festival", "concert*": "show", "show*": "show", "theater*": "show",
        "dance*": "show", "screening*": "show", "exhibition*": "exhibition",
        "sale*": "market", "market*": "market", "fair*": "market", "sports": "sport",
        "competition*": "sport",
    }
)  # fmt: skip
TOUR_MODES = Vocabulary(
    {
        "cycl*": "bike", "bike*": "bike", "bicycle*": "bike", "vtt": "bike",
        "horse*": "horse", "equestrian*": "horse", "car": "car", "road*": "car",
        "motor*": "car", "boat*": "boat", "canoe*": "boat", "kayak*": "boat",
        "walk*": "foot", "pedestrian*": "foot", "hik*": "foot", "trek*": "foot",
    }
)  # fmt: skip
_ABSTRACT_TYPES = {"PlaceOfInterest", "PointOfInterest", "Product", "Tour", "LocalBusiness"}


# --- parts of an object ---------------------------------------------------------------------


def _locations(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return _objects(obj.get("isLocatedAt"))


def _geo(obj: dict[str, Any]) -> tuple[float | None, float | None]:
    for location in [*_locations(obj), obj]:
        for geo in _objects(_get(location, "geo")):
            lat, lon = number(_get(geo, "latitude")), number(_get(geo, "longitude"))
            if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
                return lat, lon
    return None, None


def _address(obj: dict[str, Any]) -> dict[str, Any]:
    for location in _locations(obj):
        for address in _objects(_get(location, "address")):
            city = next(iter(_objects(address.get("hasAddressCity"))), {})
            department = next(iter(_objects(city.get("isPartOfDepartment"))), {})
            found = {
                "street": ", ".join(_strings(_get(address, "streetAddress"))) or None,
                "postal_code": scalar(_get(address, "postalCode")),
                "locality": scalar(_get(address, "addressLocality"))
                or texts(city.get("rdfs:label")).get("fr"),
                "insee": scalar(city.get("insee")),
                "department": texts(department.get("rdfs:label")).get("fr"),
            }
            return {key: value for key, value in found.items() if value}
    return {}


def _contact(nodes: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"emails": [], "phones": [], "websites": []}
    for node in _objects(nodes):
        for key, name in (("emails", "email"), ("phones", "telephone")):
            found[key] += _strings(_get(node, name))
        found["websites"] += _strings(node.get("foaf:homepage")) + _strings(_get(node, "url"))
    return {key: list(dict.fromkeys(values)) for key, values in found.items() if values}


def _images(obj: dict[str, Any]) -> list[dict[str, Any]]:
    images: list[dict[str, Any]] = []
    for node in _objects(obj.get("hasMainRepresentation")) + _objects(obj.get("hasRepresentation")):
        credit = texts(node.get("dc:rights")) or texts(node.get("ebucore:copyright"))
        for annotation in _objects(node.get("ebucore:hasAnnotation")):
            credit = credit or texts(annotation.get("credits"))
        for resource in _objects(node.get("ebucore:hasRelatedResource")):
            for url in _strings(resource.get("ebucore:locator")):
                if url.startswith(("http://", "https://")) and len(images) < 20:
                    images.append(
                        {
                            "url": url,
                            "credit": credit.get("fr") or next(iter(credit.values()), None),
                            "title": texts(resource.get("ebucore:title")),
                        }
                    )
    return images


def _price(obj: dict[str, Any]) -> dict[str, Any]:
    mins: list[float] = []
    maxs: list[float] = []
    currency: str | None = None
    remark: dict[str, str] = {}
    for offer in _objects(obj.get("offers")):
        for spec in _objects(_get(offer, "priceSpecification")):
            mins += [v for v in map(number, as_list(_get(spec, "minPrice"))) if v is not None]
            maxs += [v for v in map(number, as_list(_get(spec, "maxPrice"))) if v is not None]
            currency = currency or scalar(_get(spec, "priceCurrency"))
            remark = remark or texts(spec.get("additionalInformation"))
    found: dict[str, Any] = {}
    if mins or maxs:
        low, high = min(mins or maxs), max(maxs or mins)
        found = {"min": low, "max": high, "currency": currency or "EUR", "free": high == 0}
    if remark:
        found["remark"] = remark
    return found


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = {name: code for code, name in zip(DAYS, _WEEKDAYS, strict=True)} | {
    code: code for code in DAYS
}


def _days(value: Any) -> tuple[tuple[str, ...], bool]:
    """Days of the week named by ``value`` (in week order), and whether some name was not one."""
    names = tuple(name for item in as_list(value) if (name := identifier(item) or scalar(item)))
    return _days_of(names) if names else ((), False)


@lru_cache(maxsize=4096)
def _days_of(names: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    codes = [_WEEKDAY.get(local_name(name).lower()) for name in names]
    return tuple(code for code in DAYS if code in codes), None in codes


def _rule(spec: dict[str, Any]) -> dict[str, Any] | None:
    """One ``openingHoursSpecification`` as a :class:`~roadbook.content.hours.Rule`'s JSON."""
    days, others = _days(_get(spec, "dayOfWeek"))
    if others and not days:
        return None  # public holidays only: not a weekly rule
    start, end = day(_get(spec, "validFrom")), day(_get(spec, "validThrough"))
    if start and end and end < start:
        start, end = end, start
    opens, closes = clock(_get(spec, "opens")), clock(_get(spec, "closes"))
    rule: dict[str, Any] = {}
    if start:
        rule["valid_from"] = start.isoformat()
    if end:
        rule["valid_through"] = end.isoformat()
    if days:
        rule["days"] = list(days)
    if opens == closes == "00:00":  # schema.org: closed all day
        rule["closed"] = True
    else:
        if opens:
            rule["opens"] = opens
        if closes:
            rule["closes"] = closes
    if remark := texts(spec.get("additionalInformation")):
        rule["remark"] = remark
    return rule


def _rules(obj: dict[str, Any]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for location in _locations(obj):
        for spec in _objects(_get(location, "openingHoursSpecification")):
            rule = _rule(spec)
            if rule is not None:
                rules.append(rule)
                if len(rules) >= MAX_RULES:
                    return rules
    return rules


def _hours_remark(obj: dict[str, Any]) -> dict[str, str]:
    for node in [obj, *_locations(obj)]:
        found = texts(node.get("textOpeningHoursSpecification")) or texts(
            _get(node, "openingHours")
        )
        if found:
            return found
    return {}


def _period(start: date | None, end: date | None, node: Any = None) -> dict[str, Any] | None:
    """A :class:`~roadbook.content.hours.Period`'s JSON (``start``, ``end``, times, days)."""
    start, end = start or end, end or start
    if start is None or end is None:
        return None
    if end < start:
        start, end = end, start
    period: dict[str, Any] = {"start": start.isoformat(), "end": end.isoformat()}
    if node is not None:
        if start_time := clock(_get(node, "startTime")):
            period["start_time"] = start_time
        if end_time := clock(_get(node, "endTime")):
            period["end_time"] = end_time
        days, _ = _days(_get(node, "appliesOnDay"))
        if days:
            period["days"] = list(days)
    return period


def _periods(obj: dict[str, Any]) -> list[dict[str, Any]]:
    periods: list[dict[str, Any]] = []
    for node in _objects(obj.get("takesPlaceAt")):
        found = _period(day(_get(node, "startDate")), day(_get(node, "endDate")), node)
        if found:
            periods.append(found)
    if not periods:
        starts = [day(v) for v in as_list(_get(obj, "startDate"))]
        ends = [day(v) for v in as_list(_get(obj, "endDate"))]
        if len(ends) != len(starts):
            ends = [None] * len(starts)
        periods = [p for p in map(_period, starts, ends) if p]
    unique = {
        (p["start"], p["end"], p.get("start_time"), p.get("end_time"), str(p.get("days"))): p
        for p in periods
    }
    return list(unique.values())[:MAX_PERIODS]


def period_span(periods: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    """:func:`roadbook.content.hours.span` of the periods' JSON (ISO dates sort as text): the
    first and last local dates they touch, a day added after a period with times (its last
    slot may run past midnight). The one reckoning of ``content_item.active_*``, for the flux's
    periods and the office's (``editing.active_range``)."""
    periods = list(periods)
    if not periods:
        return None
    last = max(
        (date.fromisoformat(p["end"]) + timedelta(days=1)).isoformat()
        if "start_time" in p or "end_time" in p
        else p["end"]
        for p in periods
    )
    return min(p["start"] for p in periods), last


def _duration_minutes(value: Any) -> int | None:
    text = scalar(value)
    if text is None:
        return None
    iso = re.match(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?$", text)
    if iso and any(iso.groups()):
        d, h, m = (int(part or 0) for part in iso.groups())
        total = d * 1440 + h * 60 + m
        return total if total < 10**6 else None
    found = number(text)
    return round(found) if found is not None and 0 <= found < 10**6 else None


def _tour(obj: dict[str, Any], names: list[str]) -> dict[str, Any]:
    stops: list[dict[str, Any]] = []
    for key in ("isConstituedOf", "hasItinerary", "itinerary", "hasStep", "hasTourStep"):
        for node in _objects(_get(obj, key)):
            lat, lon = _geo(node)
            title = texts(node.get("rdfs:label"))
            if (title or lat is not None) and len(stops) < MAX_STOPS:
                uri = identifier(node)
                stops.append(
                    {
                        "title": title,
                        "lat": lat,
                        "lon": lon,
                        "uri": canonical_uri(uri) if uri else None,
                    }
                )
    line = [[s["lon"], s["lat"]] for s in stops if s["lat"] is not None]
    length = number(_get(obj, "tourDistance"))
    modes = TOUR_MODES.classify([*names, *_names(obj.get("hasTourType"))])
    return {
        "stops": stops,
        "route": {"type": "LineString", "coordinates": line} if len(line) >= 2 else None,
        "length_m": round(length) if length is not None and 0 <= length < 10**8 else None,
        "duration_min": _duration_minutes(_get(obj, "dailyDuration", "duration")),
        "mode": modes[0] if modes else None,
    }


def _kind(types: set[str]) -> str:
    if types & {"EntertainmentAndEvent", "Event"}:
        return "event"
    return "tour" if "Tour" in types else "place"


def _subtype(kind: str, names: list[str], tour: dict[str, Any]) -> str:
    if kind == "tour":
        return {"bike": "cycling", "car": "drive", "foot": "walk"}.get(
            tour.get("mode") or "", tour.get("mode") or "other"
        )
    table = EVENT_SUBTYPES if kind == "event" else PLACE_SUBTYPES
    found = table.classify(names)
    return found[0] if found else ("other" if kind == "event" else "point_of_interest")


def version_key(obj: Any) -> tuple[str, str] | None:
    """``(canonical URI, version)`` of an object, as its row stores them; None without ``@id``.

    The importer compares it with what the database holds to leave unchanged objects unread.
    """
    raw_id = obj.get("@id") if isinstance(obj, dict) else None
    if not isinstance(raw_id, str) or not raw_id.strip():
        return None
    try:
        return canonical_uri(raw_id.strip()), _version(obj)
    except RecursionError:
        return None


def read_object(obj: Any) -> dict[str, Any]:
    """The catalogue row (``content_item`` columns) of one DATAtourisme object, or Skip."""
    try:
        return _read_object(obj)
    except RecursionError:
        raise Skip(TOO_DEEP) from None


def _read_object(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise Skip(NOT_AN_OBJECT)
    raw_id = obj.get("@id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise Skip(NO_ID)
    uri = canonical_uri(raw_id.strip()) if isinstance(raw_id, str) else None
    if uri is None or len(uri) > URI_MAX or not _URI.match(uri):
        raise Skip(BAD_ID)
    title = texts(obj.get("rdfs:label"))
    if not title:
        raise Skip(NO_LABEL, uri)
    types = set(_names(obj.get("@type")))
    kind = _kind(types)
    specific = sorted(types - _ABSTRACT_TYPES)
    themes = list(dict.fromkeys([*specific, *_names(obj.get("hasTheme"))]))
    features = [
        name
        for feature in _objects(obj.get("hasFeature"))
        for name in _names(feature.get("features"))
    ]
    wishes = set(WISH_WORDS.classify([*themes, *features]))
    descriptions = _objects(obj.get("hasDescription"))
    comment = texts(obj.get("rdfs:comment"))
    summary: dict[str, str] = {}
    description: dict[str, str] = {}
    for node in descriptions:
        summary = {**texts(node.get("shortDescription")), **summary}
        description = {**texts(node.get("dc:description")), **description}
    tour = _tour(obj, specific) if kind == "tour" else {}
    periods = _periods(obj) if kind == "event" else []
    dates = period_span(periods)
    lat, lon = _geo(obj)
    producer = next(iter(_objects(obj.get("hasBeenCreatedBy"))), {})
    labels = [
        local_name(value)
        for review in _objects(obj.get("hasReview"))
        for value in [identifier(review.get("hasReviewValue"))]
        if value
    ]
    return {
        "kind": kind,
        "subtype": _subtype(kind, specific, tour),
        "slug": item_slug(title, uri),
        "uri": uri,
        "title": title,
        "summary": summary or comment,
        "description": description or comment,
        "latitude": lat,
        "longitude": lon,
        "address": _address(obj),
        "contact": _contact(obj.get("hasContact")),
        "booking": _contact(obj.get("hasBookingContact")),
        "images": _images(obj),
        "wishes": [w for w in WISHES if w in wishes],
        "themes": themes,
        "accessibility": ACCESSIBILITY_WORDS.classify(features),
        "price": _price(obj),
        "labels": list(dict.fromkeys(labels)),
        "opening_hours": {"rules": _rules(obj), "remark": _hours_remark(obj)},
        "periods": periods,
        "active_from": dates[0] if dates else None,
        "active_until": dates[1] if dates else None,
        "stops": tour.get("stops", []),
        "route": tour.get("route"),
        "length_m": tour.get("length_m"),
        "duration_min": tour.get("duration_min"),
        "mode": tour.get("mode"),
        "source": "datatourisme",
        "producer": _producer(producer),
        "source_updated_on": _iso(day(obj.get("lastUpdate"))),
        "source_version": _version(obj),
    }


def _producer(node: dict[str, Any]) -> str | None:
    """The producer's name (the licence's attribution), cut to the column's 300 characters."""
    name = scalar(node.get("schema:legalName")) or texts(node.get("rdfs:label")).get("fr")
    return name[:PRODUCER_MAX] if name else None


def _iso(found: date | None) -> str | None:
    return found.isoformat() if found else None


def _version(obj: dict[str, Any]) -> str:
    """``lastUpdateDatatourisme`` as given, or a hash of the record when it has none."""
    given = scalar(obj.get("lastUpdateDatatourisme"))
    if given and len(given) <= 40:
        return given
    dumped = json.dumps(obj, sort_keys=True, ensure_ascii=True, default=str)
    # 37 characters: the column holds 40
    return "sha1:" + hashlib.sha1(dumped.encode()).hexdigest()[:32]  # noqa: S324 - a fingerprint


def clean(value: Any) -> Any:
    """``value`` without what PostgreSQL's JSONB refuses: NUL characters, lone surrogates."""
    if isinstance(value, str):
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    return value


def walk_strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included (tests and checks)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk_strings(item)
