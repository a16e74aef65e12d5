"""The office's edits of catalogue items, from the office form (docs/content.md § office).

:func:`parse` reads a submitted form into :class:`Edit` (the fields' new values) or, with any
bad field, into messages keyed by field: nothing is written then. :func:`apply` writes an edit:
an office item's own columns; an imported (DATAtourisme) item's ``overrides`` only, field by
field and, for texts, language by language — a value equal to what the flux says (opening hours
and periods compared as what they say; texts in languages the form does not show kept as they
are) is no override at all, so the flux's later updates show through. :func:`revert` drops one
field's override. Contact entries, prices and a currency the item already has are kept as they
are even where a new value would not pass the form's checks (the flux's own), so that saving
an imported item unchanged never fails nor writes. An event's ``active_from``/``active_until``
are :func:`active_range`'s. Every write is audited by the caller's route (``crm.core.audit``)
with the fields it changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from crm.core.vocabulary import ACCESSIBILITY, DAYS, LANGUAGES, WISHES
from roadbook.content.catalogue import TEXT_FIELDS, effective
from roadbook.content.datatourisme import period_span, slugify
from roadbook.content.hours import Period, Rule, Schedule
from roadbook.content.models import KINDS, ContentItem

SUBTYPES: dict[str, tuple[str, ...]] = {
    "place": (
        "point_of_interest",
        "restaurant",
        "lodging",
        "site",
        "shop",
        "leisure",
        "service",
    ),
    "event": ("festival", "show", "exhibition", "market", "sport", "other"),
    "tour": ("walk", "cycling", "drive", "horse", "boat", "other"),
}
TEXT_LIMITS = {"title": 200, "summary": 1_000, "description": 10_000}
URL_MAX = 500
CREDIT_MAX = 200
REMARK_MAX = 500
SLUG_MAX = 96
EMAIL_MAX = 254
PHONE_MAX = 40
MAX_CONTACTS = 20  # entries of each kind (emails, phones, websites)
CONTACT_KINDS = ("emails", "phones", "websites")
PRICE_MAX = 1_000_000
PRICE_KEYS = ("min", "max", "currency", "free", "remark")
DEFAULT_CURRENCY = "EUR"
MAX_RULES = 50
MAX_PERIODS = 200
# What the form edits; "coordinates" stands for latitude and longitude together.
FORM_FIELDS = (
    *TEXT_FIELDS,
    "subtype",
    "coordinates",
    "images",
    "wishes",
    "contact",
    "price",
    "accessibility",
    "opening_hours",
    "periods",
)
GROUPS: dict[str, tuple[str, ...]] = {"coordinates": ("latitude", "longitude")}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CLOCK = re.compile(r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$")
_BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# name@domain.tld: no space, one @, a dotted domain of letters, digits and hyphens.
_EMAIL = re.compile(r"^[^@\s<>\"(),;:]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}$")
# An absolute http(s) URL: a dotted host, then any path, query or fragment without spaces.
_WEBSITE = re.compile(r"^https?://[^\s/?#@]+\.[^\s/?#@]+(?:[/?#]\S*)?$", re.IGNORECASE)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # a datetime-local field's value


@dataclass(frozen=True, slots=True)
class Problem:
    """A message for one field: a key of ``roadbook.office.texts`` and its values."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass
class Edit:
    """A valid form: the editable fields' new values and the publishing window."""

    values: dict[str, Any]
    published_from: datetime | None
    published_until: datetime | None
    kind: str = "place"
    slug: str = ""


# --- the form's values ---------------------------------------------------------------------


def local_minute(moment: datetime | None, zone: tzinfo) -> str:
    """``moment`` as a datetime-local field shows it in ``zone`` ("" for none)."""
    return moment.astimezone(zone).strftime(LOCAL_MINUTE) if moment else ""


def _number(value: float | None) -> str:
    return "" if value is None else repr(value)


def _amount(value: Any) -> str:
    """A price as its field shows it: ``12.5``, ``11`` (not ``11.0``); "" for none."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    text = repr(float(value))
    return text.removesuffix(".0")


def _lines(values: Any) -> str:
    """A list of contact entries as a textarea shows them: one a line."""
    return "\n".join(str(value) for value in values) if isinstance(values, list) else ""


def contact_form(contact: Mapping[str, Any]) -> dict[str, str]:
    """The contact fields' values: each kind's entries, one a line."""
    return {f"contact_{kind}": _lines(contact.get(kind)) for kind in CONTACT_KINDS}


def price_form(price: Mapping[str, Any]) -> dict[str, Any]:
    """The price fields' values."""
    remark = price.get("remark")
    remarks = remark if isinstance(remark, Mapping) else {}
    return {
        "price_min": _amount(price.get("min")),
        "price_max": _amount(price.get("max")),
        "price_currency": str(price.get("currency") or DEFAULT_CURRENCY),
        "price_free": bool(price.get("free")),
        "price_remark": {lang: str(remarks.get(lang) or "") for lang in LANGUAGES},
    }


def rule_row(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One opening-hours rule as the form's row shows it."""
    return {
        "from": rule.get("valid_from") or "",
        "until": rule.get("valid_through") or "",
        # A rule naming no day holds every day: its row ticks all seven, so that it is never a
        # blank row (which saving drops) and saving it unchanged gives the same rule back.
        "days": list(rule.get("days") or DAYS),
        "opens": rule.get("opens") or "",
        "closes": rule.get("closes") or "",
        "closed": bool(rule.get("closed")),
        "annual": bool(rule.get("annual")),
    }


def blank_rule_row() -> dict[str, Any]:
    """An empty row where the office may add a rule (left empty, saving drops it)."""
    return {**rule_row({}), "days": []}


def period_row(period: Mapping[str, Any]) -> dict[str, Any]:
    """One event period as the form's row shows it."""
    return {
        "start": period.get("start") or "",
        "end": period.get("end") or "",
        "start_time": period.get("start_time") or "",
        "end_time": period.get("end_time") or "",
        "days": list(period.get("days") or ()),
    }


def form_of(item: ContentItem, zone: tzinfo) -> dict[str, Any]:
    """The form's values for ``item`` as shown (the office's edits applied)."""
    shown = effective(item)
    image = shown["images"][0] if shown["images"] else {}
    hours = shown["opening_hours"]
    return {
        **{name: {lang: shown[name].get(lang, "") for lang in LANGUAGES} for name in TEXT_FIELDS},
        "kind": item.kind,
        "slug": item.slug,
        "subtype": shown["subtype"],
        "latitude": _number(shown["latitude"]),
        "longitude": _number(shown["longitude"]),
        "image_url": image.get("url") or "",
        "image_credit": image.get("credit") or "",
        "wishes": list(shown["wishes"]),
        **contact_form(shown["contact"]),
        **price_form(shown["price"]),
        "accessibility": list(shown["accessibility"]),
        "rules": [rule_row(rule) for rule in hours.get("rules", [])],
        "periods": [period_row(period) for period in shown["periods"]],
        "hours_remark": {lang: hours.get("remark", {}).get(lang, "") for lang in LANGUAGES},
        "published": item.published,
        "published_from": local_minute(item.published_from, zone),
        "published_until": local_minute(item.published_until, zone),
    }


def empty_form(kind: str = "place") -> dict[str, Any]:
    """A new item's form."""
    return {
        **{name: dict.fromkeys(LANGUAGES, "") for name in TEXT_FIELDS},
        "kind": kind,
        "slug": "",
        "subtype": "",
        "latitude": "",
        "longitude": "",
        "image_url": "",
        "image_credit": "",
        "wishes": [],
        **contact_form({}),
        **price_form({}),
        "accessibility": [],
        "rules": [],
        "periods": [],
        "hours_remark": dict.fromkeys(LANGUAGES, ""),
        "published": True,
        "published_from": "",
        "published_until": "",
    }


# --- reading a submitted form ---------------------------------------------------------------


P = TypeVar("P")


class FormReader(Generic[P]):
    """Reads a submitted office form field by field, collecting one message per bad field, made
    by ``problem(key, values)`` (this module's :class:`Problem`; the offer form's its own)."""

    def __init__(
        self, form: Mapping[str, Sequence[str]], problem: Callable[[str, Mapping[str, object]], P]
    ) -> None:
        self.form = form
        self.problem = problem
        self.problems: dict[str, P] = {}

    def text(self, name: str, limit: int) -> str:
        values = self.form.get(name) or [""]
        value = values[0].replace("\r\n", "\n").strip()
        if _BAD_CHARACTERS.search(value):
            self.problems[name] = self.problem("e_characters", {})
        elif len(value) > limit:
            self.problems[name] = self.problem("e_too_long", {"max": limit})
        return value

    def many(self, name: str) -> list[str]:
        return [value for value in self.form.get(name) or [] if value]

    def days(self, name: str) -> list[str]:
        """The days ticked under ``name``, in the week's order."""
        ticked = self.many(name)
        return [day for day in DAYS if day in ticked]

    def rows(self, kind: str, field: str, limit: int) -> list[str]:
        """The prefix (``kind-N-``) of each of the form's ``kind`` rows, counted by their
        ``field``; at most ``limit``."""
        count = sum(
            1 for name in self.form if name.startswith(f"{kind}-") and name.endswith(f"-{field}")
        )
        return [f"{kind}-{index}-" for index in range(min(count, limit))]

    def number(
        self, name: str, low: float, high: float, message: str, example: str = "49.2567"
    ) -> float | None:
        raw = self.text(name, 32).replace(",", ".")
        if not raw or name in self.problems:
            return None
        try:
            value = float(raw)
        except ValueError:
            self.problems[name] = self.problem("e_number", {"example": example})
            return None
        if not low <= value <= high:  # NaN fails too
            self.problems[name] = self.problem(message, {})
            return None
        return value

    def day(self, name: str) -> date | None:
        raw = self.text(name, 10)
        if not raw or name in self.problems:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.problems[name] = self.problem("e_date", {})
            return None

    def moment(self, name: str, zone: tzinfo) -> datetime | None:
        raw = self.text(name, 19)
        if not raw or name in self.problems:
            return None
        try:
            local = datetime.fromisoformat(raw)
        except ValueError:
            self.problems[name] = self.problem("e_datetime", {})
            return None
        if local.tzinfo is None:
            local = local.replace(tzinfo=zone)
        return local.astimezone(UTC)

    def clock(self, name: str) -> str | None:
        raw = self.text(name, 5)
        if not raw or name in self.problems:
            return None
        if len(raw) == 4 and raw[1] == ":":
            raw = "0" + raw
        if not _CLOCK.match(raw):
            self.problems[name] = self.problem("e_time", {})
            return None
        return raw


_Reader = FormReader[Problem]


def _rules(reader: _Reader, old: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], Any]:
    """The hours rows (the form's ``rule-N-...`` fields), those left empty dropped."""
    rows: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for index, prefix in enumerate(reader.rows("rule", "opens", MAX_RULES)):
        start, end = reader.day(prefix + "from"), reader.day(prefix + "until")
        opens, closes = reader.clock(prefix + "opens"), reader.clock(prefix + "closes")
        days = reader.days(prefix + "days")
        every_day = len(days) == len(DAYS)
        closed = bool(reader.many(prefix + "closed"))
        annual = bool(reader.many(prefix + "annual"))
        row = {
            "from": reader.text(prefix + "from", 10),
            "until": reader.text(prefix + "until", 10),
            "days": days,
            "opens": reader.text(prefix + "opens", 5),
            "closes": reader.text(prefix + "closes", 5),
            "closed": closed,
            "annual": annual,
        }
        if not any((row["from"], row["until"], days, row["opens"], row["closes"], closed)):
            continue
        rows.append(row)
        if start and end and end < start and not annual:
            reader.problems[prefix + "until"] = Problem("e_order")
        rule: dict[str, Any] = {
            "valid_from": start.isoformat() if start else None,
            "valid_through": end.isoformat() if end else None,
            "annual": annual,
            "days": [] if every_day else days,  # every day: as the flux writes it, no list
            "opens": None if closed else opens,
            "closes": None if closed else closes,
            "closed": closed,
        }
        # A row left as it was keeps its own remark (the form edits the schedule's remark).
        if index < len(old) and old[index].get("remark") and _same_rule(old[index], rule):
            rule["remark"] = old[index]["remark"]
        rules.append({k: v for k, v in rule.items() if v not in (None, False, [], {})})
    return rules, rows


def _periods(reader: _Reader) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An event's dates (the form's ``period-N-...`` fields), rows left empty dropped."""
    rows: list[dict[str, Any]] = []
    periods: list[dict[str, Any]] = []
    for prefix in reader.rows("period", "end", MAX_PERIODS):
        start, end = reader.day(prefix + "start"), reader.day(prefix + "end")
        start_time = reader.clock(prefix + "start_time")
        end_time = reader.clock(prefix + "end_time")
        days = reader.days(prefix + "days")
        row = {
            "start": reader.text(prefix + "start", 10),
            "end": reader.text(prefix + "end", 10),
            "start_time": reader.text(prefix + "start_time", 5),
            "end_time": reader.text(prefix + "end_time", 5),
            "days": days,
        }
        if not any(row.values()):
            continue
        rows.append(row)
        if not row["start"]:
            reader.problems.setdefault(prefix + "start", Problem("e_date"))
            continue
        if start is None:
            continue
        end = end or start
        if end < start:
            reader.problems[prefix + "end"] = Problem("e_order")
            continue
        period = {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "start_time": start_time,
            "end_time": end_time,
            "days": days,
        }
        periods.append(Period.model_validate(period).model_dump(mode="json", exclude_defaults=True))
    return periods, rows


def _unshown(texts: Mapping[str, str]) -> dict[str, str]:
    """The texts in languages the form does not show: a save keeps them as they are."""
    return {lang: text for lang, text in texts.items() if lang not in LANGUAGES}


def _remark(reader: _Reader, name: str, old: Any) -> tuple[dict[str, str], dict[str, str]]:
    """A remark in the form's languages (fields ``name-LANG``): what was typed, and the remark
    to keep (those typed, over ``old``'s in languages the form does not show)."""
    typed = {lang: reader.text(f"{name}-{lang}", REMARK_MAX) for lang in LANGUAGES}
    kept = _unshown(old) if isinstance(old, Mapping) else {}
    return typed, {**kept, **{lang: text for lang, text in typed.items() if text}}


def _contact_entry(kind: str, entry: str) -> Problem | None:
    """The message for one bad contact entry of ``kind``; None for a good one."""
    limit = {"emails": EMAIL_MAX, "phones": PHONE_MAX, "websites": URL_MAX}[kind]
    if len(entry) > limit:
        return Problem("e_entry_too_long", {"value": entry[:40] + "…", "max": limit})
    if kind == "emails" and not _EMAIL.match(entry):
        return Problem("e_email", {"value": entry})
    if kind == "websites" and not _WEBSITE.match(entry):
        return Problem("e_website", {"value": entry})
    return None


def _contact(
    reader: _Reader, old: Mapping[str, Any], flux: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The contact fields (``contact_emails``, ``contact_phones``, ``contact_websites``: one
    entry a line, blank lines dropped, repeats once): ``{kind: [entries]}`` for the kinds given,
    over ``old``'s other keys, and the fields as typed. An entry ``old`` (as shown) or the
    ``flux`` has is kept unchecked."""
    contact = {key: value for key, value in old.items() if key not in CONTACT_KINDS}
    typed: dict[str, str] = {}
    for kind in CONTACT_KINDS:
        name = f"contact_{kind}"
        text = typed[name] = reader.text(name, MAX_CONTACTS * (URL_MAX + 1))
        entries = list(dict.fromkeys(line.strip() for line in text.split("\n") if line.strip()))
        known = [
            entry
            for given in (old.get(kind), flux.get(kind))
            if isinstance(given, list)
            for entry in given
        ]
        if name in reader.problems:
            continue
        if len(entries) > MAX_CONTACTS:
            reader.problems[name] = Problem("e_too_many", {"max": MAX_CONTACTS})
            continue
        for entry in entries:
            problem = None if entry in known else _contact_entry(kind, entry)
            if problem is not None:
                reader.problems[name] = problem
                break
        if entries:
            contact[kind] = entries
    return contact, typed


def _price(reader: _Reader, old: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The price fields: ``{"min", "max", "currency", "free", "remark"}`` (min and max each as
    given; currency and free with a price or free) over ``old``'s other keys, and the remark as
    typed. A number or a currency left as ``old`` has it is kept unchecked."""
    was = price_form(old)
    typed = {name: reader.text(name, 32) for name in ("price_min", "price_max")}
    kept = all(typed[name] == was[name] for name in typed)
    amounts: dict[str, float | None] = {}
    for key in ("min", "max"):
        name = f"price_{key}"
        if typed[name] and typed[name] == was[name]:
            amounts[key] = old[key]
        else:
            amounts[key] = reader.number(name, 0, PRICE_MAX, "e_price", "12.50")
    low, high = amounts["min"], amounts["max"]
    if low is not None and high is not None and high < low and not kept:
        reader.problems.setdefault("price_max", Problem("e_price_order"))
    currency = reader.text("price_currency", 8).upper() or DEFAULT_CURRENCY
    if currency != was["price_currency"].upper() and not _CURRENCY.match(currency):
        reader.problems.setdefault("price_currency", Problem("e_currency"))
    if currency == was["price_currency"].upper():
        currency = was["price_currency"]
    free = bool(reader.many("price_free"))
    if free and any(amount for amount in (low, high)) and not (kept and was["price_free"]):
        reader.problems.setdefault("price_free", Problem("e_free"))
    typed, remark = _remark(reader, "price_remark", old.get("remark"))
    price = {key: value for key, value in old.items() if key not in PRICE_KEYS}
    price.update({key: value for key, value in amounts.items() if value is not None})
    if low is not None or high is not None:
        price["currency"] = currency
    if low is not None or high is not None or free:
        price["free"] = free
    if remark:
        price["remark"] = remark
    return price, typed


def _accessibility(reader: _Reader, old: Sequence[str]) -> list[str]:
    """The features ticked (``accessibility``), those ``old`` has in its order first, then the
    others in the vocabulary's; slugs the form does not show (outside the vocabulary) kept."""
    ticked = reader.many("accessibility")
    if any(slug not in ACCESSIBILITY for slug in ticked):
        reader.problems["accessibility"] = Problem("e_choice")
    kept = [slug for slug in old if slug in ticked or slug not in ACCESSIBILITY]
    return [*kept, *(slug for slug in ACCESSIBILITY if slug in ticked and slug not in kept)]


def active_range(
    periods: Sequence[Mapping[str, Any]], overrides: Mapping[str, Any] | None = None
) -> tuple[date | None, date | None]:
    """``content_item.active_*``: the first and last local dates an event's ``periods`` touch
    (``datatourisme.period_span``); with an imported item's ``overrides``, those of the office's
    periods too, so that SQL narrowing (``catalogue.stream_items``) keeps every date the item
    may show: the flux's (shown again when the office reverts) and the office's. The office's
    save and revert (:func:`covering`) and the import's update (``importer``) all use this."""
    edited = (overrides or {}).get("periods")
    found = period_span([*periods, *(edited if isinstance(edited, list) else ())])
    if found is None:
        return None, None
    return date.fromisoformat(found[0]), date.fromisoformat(found[1])


def covering(item: ContentItem) -> tuple[date | None, date | None]:
    """``item``'s ``active_from``/``active_until`` (:func:`active_range`): an office item's
    periods', an imported item's flux's and office's."""
    return active_range(item.periods, item.overrides if item.source != "office" else None)


def _same_rule(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    try:
        kept = {key: value for key, value in old.items() if key != "remark"}
        return Rule.model_validate(kept) == Rule.model_validate(new)
    except ValidationError:
        return False


def parse(
    form: Mapping[str, Sequence[str]],
    zone: tzinfo,
    item: ContentItem | None = None,
    taken: frozenset[str] = frozenset(),
) -> tuple[Edit | None, dict[str, Any], dict[str, Problem]]:
    """The edit a submitted form asks for (``None`` with any bad field), the values to show
    again, and the messages by field. ``item``: the edited item (``None``: a new one);
    ``taken``: the destination's slugs, for a new item."""
    reader: _Reader = FormReader(form, Problem)
    values: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    old = effective(item) if item is not None else None
    for name in TEXT_FIELDS:
        texts = {lang: reader.text(f"{name}-{lang}", TEXT_LIMITS[name]) for lang in LANGUAGES}
        shown[name] = texts
        values[name] = {
            **_unshown(old[name] if old else {}),
            **{lang: text for lang, text in texts.items() if text},
        }
    if not any(shown["title"].values()) and not any(
        f"title-{lang}" in reader.problems for lang in LANGUAGES
    ):
        reader.problems["title"] = Problem("e_required_title")

    kind = item.kind if item is not None else reader.text("kind", 8)
    if kind not in KINDS:
        reader.problems["kind"] = Problem("e_choice")
        kind = "place"
    subtype = reader.text("subtype", 32)
    if subtype and subtype not in SUBTYPES[kind]:
        reader.problems["subtype"] = Problem("e_choice")
    values["subtype"] = subtype

    latitude = reader.number("latitude", -90, 90, "e_latitude")
    longitude = reader.number("longitude", -180, 180, "e_longitude")
    lat_text, lon_text = reader.text("latitude", 32), reader.text("longitude", 32)
    if bool(lat_text) != bool(lon_text):
        reader.problems.setdefault("longitude" if lat_text else "latitude", Problem("e_pair"))
    values["latitude"], values["longitude"] = latitude, longitude

    image_url = reader.text("image_url", URL_MAX)
    credit = reader.text("image_credit", CREDIT_MAX)
    if image_url and not re.match(r"^https://[^\s/]+\.[^\s]+$", image_url):
        reader.problems.setdefault("image_url", Problem("e_url"))
    if credit and not image_url:
        reader.problems.setdefault("image_credit", Problem("e_credit"))
    old_images = old["images"] if old else []
    if image_url:
        first = {**(old_images[0] if old_images else {}), "url": image_url, "credit": credit}
        values["images"] = [{k: v for k, v in first.items() if v}, *old_images[1:]]
    else:
        values["images"] = list(old_images[1:])

    wishes = reader.many("wishes")
    if any(wish not in WISHES for wish in wishes):
        reader.problems["wishes"] = Problem("e_choice")
    values["wishes"] = [wish for wish in WISHES if wish in wishes]

    values["contact"], contact_typed = _contact(
        reader, old["contact"] if old else {}, item.contact if item is not None else {}
    )
    values["price"], price_remark = _price(reader, old["price"] if old else {})
    values["accessibility"] = _accessibility(reader, old["accessibility"] if old else [])

    old_hours = old["opening_hours"] if old else {}
    rules, rows = _rules(reader, list(old_hours.get("rules", [])))
    remark, remarks = _remark(reader, "hours_remark", old_hours.get("remark"))
    hours: dict[str, Any] = {"rules": rules} if rules else {}
    if remarks:
        hours["remark"] = remarks
    try:
        Schedule.model_validate(hours)
    except ValidationError:
        reader.problems.setdefault("hours", Problem("e_time"))
    values["opening_hours"] = hours
    period_rows: list[dict[str, Any]] = []
    if kind == "event":
        values["periods"], period_rows = _periods(reader)

    published_from = reader.moment("published_from", zone)
    published_until = reader.moment("published_until", zone)
    if published_from and published_until and published_until <= published_from:
        reader.problems["published_until"] = Problem("e_order")

    slug = ""
    if item is None:
        slug = reader.text("slug", SLUG_MAX)
        if slug and not _SLUG.match(slug):
            reader.problems["slug"] = Problem("e_slug")
        elif slug in taken:
            reader.problems["slug"] = Problem("e_slug_taken")
        elif not slug:
            slug = _free_slug(values["title"], taken)

    shown.update(
        kind=kind,
        slug=reader.text("slug", SLUG_MAX) if item is None else item.slug,
        subtype=subtype,
        latitude=lat_text,
        longitude=lon_text,
        image_url=image_url,
        image_credit=credit,
        wishes=values["wishes"],
        **contact_typed,
        price_min=reader.text("price_min", 32),
        price_max=reader.text("price_max", 32),
        price_currency=reader.text("price_currency", 8),
        price_free=bool(reader.many("price_free")),
        price_remark=price_remark,
        accessibility=[slug for slug in values["accessibility"] if slug in ACCESSIBILITY],
        rules=rows,
        periods=period_rows,
        hours_remark=remark,
        published=item.published if item is not None else True,
        published_from=reader.text("published_from", 19),
        published_until=reader.text("published_until", 19),
    )
    if reader.problems:
        return None, shown, reader.problems
    return Edit(values, published_from, published_until, kind, slug), shown, {}


def _free_slug(title: Mapping[str, str], taken: frozenset[str]) -> str:
    label = title.get("fr") or next(iter(title.values()), "")
    base = slugify(label)[:80].strip("-") or "item"
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


# --- writing --------------------------------------------------------------------------------


def _form_field(name: str) -> str:
    for group, members in GROUPS.items():
        if name in members:
            return group
    return name


def apply(item: ContentItem, edit: Edit) -> list[str]:
    """Write ``edit`` into ``item``; the form fields that changed (publishing included).

    An office item's columns are written; an imported item's ``overrides`` only.
    """
    shown = effective(item)
    changed: list[str] = []
    overrides = dict(item.overrides)
    for name, value in edit.values.items():
        if _same(name, shown[name], value):
            continue
        form_name = _form_field(name)
        if form_name not in changed:
            changed.append(form_name)
        if item.source == "office":
            setattr(item, name, value)
            continue
        flux = getattr(item, name)
        if name in TEXT_FIELDS:
            languages = set(flux) | set(value)
            edited = {
                lang: value.get(lang, "")
                for lang in sorted(languages)
                if value.get(lang, "") != flux.get(lang, "")
            }
            if edited:
                overrides[name] = edited
            else:
                overrides.pop(name, None)
        elif _same(name, value, flux):
            overrides.pop(name, None)
        else:
            overrides[name] = value
    if item.source != "office":
        item.overrides = overrides
    if "periods" in changed:
        item.active_from, item.active_until = covering(item)
    for name in ("published_from", "published_until"):
        if getattr(item, name) != getattr(edit, name):
            setattr(item, name, getattr(edit, name))
            changed.append(name)
    return changed


def _same(name: str, old: Any, new: Any) -> bool:
    """Whether a field's two values say the same: opening hours and periods as what they
    mean (the flux writes ``"remark": {}`` where the form leaves it out), wishes and
    accessibility features in any order (the flux's is its words', the form's the
    vocabulary's), not as JSON. A save that changes nothing must write no override, or the
    flux's later updates would not show."""
    if old == new:
        return True
    if name in ("wishes", "accessibility"):
        return sorted(map(str, old)) == sorted(map(str, new))
    try:
        if name == "opening_hours":
            return bool(Schedule.model_validate(old) == Schedule.model_validate(new))
        if name == "periods":
            return [Period.model_validate(p) for p in old] == [
                Period.model_validate(p) for p in new
            ]
    except (ValidationError, TypeError):
        return False
    return False


def overridden(item: ContentItem) -> dict[str, Any]:
    """What the flux says for each form field the office has overridden (imported items)."""
    if item.source == "office":
        return {}
    answer: dict[str, Any] = {}
    for name in item.overrides:
        form_name = _form_field(name)
        if form_name in FORM_FIELDS:
            members = GROUPS.get(form_name, (form_name,))
            flux = {member: getattr(item, member) for member in members}
            answer[form_name] = flux if len(members) > 1 else flux[form_name]
    return answer


def revert(item: ContentItem, form_field: str) -> bool:
    """Drop the office's override of one form field; whether there was one."""
    members = GROUPS.get(form_field, (form_field,))
    if form_field not in FORM_FIELDS or not any(name in item.overrides for name in members):
        return False
    item.overrides = {k: v for k, v in item.overrides.items() if k not in members}
    if form_field == "periods":
        item.active_from, item.active_until = covering(item)
    return True


def tidy(item: ContentItem) -> list[str]:
    """Drop the overrides of an imported item that say what the flux says; the fields whose
    overrides changed (none for an office item).

    A save writes no such override (:func:`_same`), but saves before it compared fields by
    meaning (an hours remark ``{}``, wishes in another order) did: the item shows the same
    without them, and the flux's later updates of those fields show through again
    (``crm content tidy``). A text field keeps its languages that differ from the flux's."""
    if item.source == "office":
        return []
    overrides = dict(item.overrides)
    changed = []
    for name, value in item.overrides.items():
        flux = getattr(item, name, None)
        if name in TEXT_FIELDS and isinstance(value, dict) and isinstance(flux, dict):
            kept = {lang: text for lang, text in value.items() if text != flux.get(lang, "")}
            if kept != value:
                changed.append(name)
                if kept:
                    overrides[name] = kept
                else:
                    del overrides[name]
        elif _same(name, flux, value):
            changed.append(name)
            del overrides[name]
    if changed:
        item.overrides = overrides
        if "periods" in changed:
            item.active_from, item.active_until = covering(item)
    return changed


def create(destination_id: Any, edit: Edit) -> ContentItem:
    """A new office item from a valid form."""
    active_from, active_until = active_range(edit.values.get("periods", []))
    return ContentItem(
        destination_id=destination_id,
        kind=edit.kind,
        slug=edit.slug,
        source="office",
        published_from=edit.published_from,
        published_until=edit.published_until,
        active_from=active_from,
        active_until=active_until,
        **edit.values,
    )
