"""The offer form: an offer as the form shows it, and a submitted form read back into
:class:`partners.offers.service.OfferFields` with a message per bad field (docs/offers.md).

What the form itself can tell (a number that is not one, a time that is not HH:MM, a character
not allowed) is checked here; what needs the database or the whole offer (the partner's sites,
the order of the dates, the closed vocabularies) by ``partners.offers.service.check``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from crm.core.vocabulary import DAYS, LANGUAGES
from partners.offers.models import SUMMARY_MAX, TITLE_MAX, URL_MAX, Offer
from partners.offers.service import CREDIT_MAX, OfferFields, Problem
from roadbook.content.editing import LOCAL_MINUTE, FormReader, local_minute

MAX_SLOTS = 28
BLANK_SLOTS = 2  # empty rows under the others: slots are added without a script
_INT = re.compile(r"^\d{1,9}$")
COUNTS = ("cap_per_day", "cap_total", "cap_min_interval_min", "quota")
CHILDREN = {"": None, "yes": True, "no": False}


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def slot_row(rule: Mapping[str, Any]) -> dict[str, Any]:
    """One weekly rule of the schedule as the form's row shows it (no day: all seven ticked)."""
    return {
        "days": list(rule.get("days") or DAYS),
        "opens": rule.get("opens") or "",
        "closes": rule.get("closes") or "",
    }


def blank_slot() -> dict[str, Any]:
    """An empty row where the office may add a slot (left empty, saving drops it)."""
    return {"days": [], "opens": "", "closes": ""}


def form_of(offer: Offer, zone: tzinfo) -> dict[str, Any]:
    """The form's values for ``offer``."""
    image = offer.image or {}
    return {
        "partner_id": str(offer.partner_id),
        "site_ids": list(offer.site_ids),
        "title": {lang: offer.title.get(lang, "") for lang in LANGUAGES},
        "summary": {lang: offer.summary.get(lang, "") for lang in LANGUAGES},
        "url": offer.url or "",
        "image_url": image.get("url", ""),
        "image_credit": image.get("credit", ""),
        "valid_from": local_minute(offer.valid_from, zone),
        "valid_until": local_minute(offer.valid_until, zone),
        "slots": [slot_row(rule) for rule in (offer.schedule or {}).get("rules", [])],
        "wishes": list(offer.wishes),
        "with_children": {None: "", True: "yes", False: "no"}[offer.with_children],
        "languages": list(offer.languages),
        "trigger": offer.trigger,
        **{name: _count(getattr(offer, name)) for name in COUNTS},
        "redemption_kind": offer.redemption_kind,
        "boost": f"{offer.boost:g}",
    }


def empty_form(zone: tzinfo, now: datetime, partner_id: str = "") -> dict[str, Any]:
    """A new offer's form: valid from today's midnight for 30 days, anyone, anywhere, a code."""
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "partner_id": partner_id,
        "site_ids": [],
        "title": dict.fromkeys(LANGUAGES, ""),
        "summary": dict.fromkeys(LANGUAGES, ""),
        "url": "",
        "image_url": "",
        "image_credit": "",
        "valid_from": today.strftime(LOCAL_MINUTE),
        "valid_until": (today + timedelta(days=30)).strftime(LOCAL_MINUTE),
        "slots": [],
        "wishes": [],
        "with_children": "",
        "languages": [],
        "trigger": "anywhere",
        **dict.fromkeys(COUNTS, ""),
        "redemption_kind": "code",
        "boost": "0",
    }


class _Reader(FormReader[Problem]):
    """The catalogue form's reader (``roadbook.content.editing``), the offer's problems, and
    counts."""

    def __init__(self, form: Mapping[str, Sequence[str]]) -> None:
        super().__init__(form, Problem)

    def count(self, name: str) -> int | None:
        raw = self.text(name, 12)
        if not raw or name in self.problems:
            return None
        if not _INT.match(raw):
            self.problems[name] = Problem("e_count", {"max": 1_000_000})
            return None
        return int(raw)


def _slots(reader: _Reader) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The weekly schedule (the form's ``slot-N-...`` fields; rows left empty dropped; None when
    no row is left) and the rows to show again."""
    rows: list[dict[str, Any]] = []
    rules: list[dict[str, Any]] = []
    for prefix in reader.rows("slot", "opens", MAX_SLOTS):
        opens, closes = reader.clock(prefix + "opens"), reader.clock(prefix + "closes")
        days = reader.days(prefix + "days")
        row = {
            "days": days,
            "opens": reader.text(prefix + "opens", 5),
            "closes": reader.text(prefix + "closes", 5),
        }
        if not any(row.values()):
            continue
        rows.append(row)
        rule: dict[str, Any] = {"opens": opens, "closes": closes}
        if len(days) != len(DAYS):
            rule["days"] = days
        rules.append({key: value for key, value in rule.items() if value})
    return ({"rules": rules} if rules else None), rows


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse(
    form: Mapping[str, Sequence[str]], zone: tzinfo, current: Offer | None = None
) -> tuple[OfferFields, dict[str, Any], dict[str, Problem]]:
    """The offer a submitted form asks for, the values to show again, and the form's own
    problems by field (the offer is only to be checked and written when there are none).

    ``current``: the offer edited; a validity shown to the minute and sent back as it was keeps
    the offer's own instant (saving an untouched form changes nothing)."""
    reader = _Reader(form)
    texts: dict[str, dict[str, str]] = {}
    for name, limit in (("title", TITLE_MAX), ("summary", SUMMARY_MAX)):
        texts[name] = {lang: reader.text(f"{name}-{lang}", limit) for lang in LANGUAGES}
    partner_text = reader.text("partner_id", 36)
    partner_id = _uuid(partner_text)
    site_texts = reader.many("site_ids")
    site_ids = [_uuid(site) for site in site_texts]
    if any(site is None for site in site_ids):
        reader.problems["site_ids"] = Problem("e_site")
    url = reader.text("url", URL_MAX)
    image_url = reader.text("image_url", URL_MAX)
    image_credit = reader.text("image_credit", CREDIT_MAX)
    image = {"url": image_url, "credit": image_credit} if image_url or image_credit else None
    if image is not None and not image_credit:
        image = {"url": image_url}
    valid_from = reader.moment("valid_from", zone)
    valid_until = reader.moment("valid_until", zone)
    if current is not None:
        if reader.text("valid_from", 19) == local_minute(current.valid_from, zone):
            valid_from = current.valid_from
        if reader.text("valid_until", 19) == local_minute(current.valid_until, zone):
            valid_until = current.valid_until
    schedule, slot_rows = _slots(reader)
    children = reader.text("with_children", 3)
    if children not in CHILDREN:
        reader.problems["with_children"] = Problem("e_choice")
    counts = {name: reader.count(name) for name in COUNTS}
    boost_text = reader.text("boost", 12).replace(",", ".") or "0"
    try:
        boost = float(boost_text)
    except ValueError:
        reader.problems.setdefault("boost", Problem("e_boost"))
        boost = 0.0
    offer = OfferFields(
        partner_id=partner_id,
        title=texts["title"],
        summary=texts["summary"],
        valid_from=valid_from,
        valid_until=valid_until,
        site_ids=tuple(site for site in site_ids if site is not None),
        image=image,
        url=url or None,
        schedule=schedule,
        wishes=tuple(reader.many("wishes")),
        with_children=CHILDREN.get(children),
        languages=tuple(reader.many("languages")),
        trigger=reader.text("trigger", 16) or "anywhere",
        redemption_kind=reader.text("redemption_kind", 8) or "code",
        boost=boost,
        **counts,
    )
    shown = {
        "partner_id": partner_text,
        "site_ids": site_texts,
        **texts,
        "url": url,
        "image_url": image_url,
        "image_credit": image_credit,
        "valid_from": reader.text("valid_from", 19),
        "valid_until": reader.text("valid_until", 19),
        "slots": slot_rows,
        "wishes": list(offer.wishes),
        "with_children": children,
        "languages": list(offer.languages),
        "trigger": offer.trigger,
        **{name: reader.text(name, 12) for name in COUNTS},
        "redemption_kind": offer.redemption_kind,
        "boost": reader.text("boost", 12),
    }
    return offer, shown, reader.problems
