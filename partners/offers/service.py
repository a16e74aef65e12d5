"""Offers: create and change them (validated field by field), move them through their states,
and read the ones live at a moment for the roadbook (docs/offers.md).

Every check names the field it is about, with a message key of ``partners.office.texts``
(:class:`Problem`), so the office form shows it next to the field; nothing is written when any
check fails (:class:`OfferInvalid`). The roadbook's service turns :func:`live_offers` into the
engine's candidates.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.models import utcnow
from crm.core.vocabulary import LANGUAGES, WISHES
from crm.destinations.models import Partner, Site
from partners.offers import states
from partners.offers.models import (
    REDEMPTION_KINDS,
    SUMMARY_MAX,
    TITLE_MAX,
    TRIGGERS,
    URL_MAX,
    Offer,
    Redemption,
)
from roadbook.content.hours import Schedule, is_open

CREDIT_MAX = 200
_HTTPS = re.compile(r"^https://[^\s/]+\.[^\s]+$")
# Fields an offer's form edits, in the order the audit log and the "saved" notice list them.
FIELDS = (
    "partner_id",
    "site_ids",
    "title",
    "summary",
    "image",
    "url",
    "valid_from",
    "valid_until",
    "schedule",
    "wishes",
    "with_children",
    "languages",
    "trigger",
    "cap_per_day",
    "cap_total",
    "cap_min_interval_min",
    "quota",
    "redemption_kind",
    "boost",
)
CAPS = ("cap_per_day", "cap_total", "cap_min_interval_min", "quota")


@dataclass(frozen=True, slots=True)
class Problem:
    """A message for one field: a key of ``partners.office.texts`` and its values."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


class OfferInvalid(ValueError):
    """Some fields are wrong (by field name); nothing was written."""

    def __init__(self, problems: Mapping[str, Problem]) -> None:
        super().__init__("; ".join(f"{name}: {p.key}" for name, p in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True, slots=True)
class OfferFields:
    """What an offer says, before it is checked (``None`` validity: not given)."""

    partner_id: uuid.UUID | None
    title: Mapping[str, str]
    valid_from: datetime | None
    valid_until: datetime | None
    site_ids: tuple[uuid.UUID, ...] = ()
    summary: Mapping[str, str] = field(default_factory=dict)
    image: Mapping[str, str] | None = None
    url: str | None = None
    schedule: Mapping[str, Any] | None = None
    wishes: tuple[str, ...] = ()
    with_children: bool | None = None
    languages: tuple[str, ...] = ()
    trigger: str = "anywhere"
    cap_per_day: int | None = None
    cap_total: int | None = None
    cap_min_interval_min: int | None = None
    quota: int | None = None
    redemption_kind: str = "code"
    boost: float = 0.0

    @classmethod
    def of(cls, offer: Offer) -> OfferFields:
        """An offer's current fields (to change some with ``dataclasses.replace``)."""
        return cls(
            partner_id=offer.partner_id,
            title=dict(offer.title),
            valid_from=offer.valid_from,
            valid_until=offer.valid_until,
            site_ids=tuple(uuid.UUID(site) for site in offer.site_ids),
            summary=dict(offer.summary),
            image=dict(offer.image) if offer.image else None,
            url=offer.url,
            schedule=dict(offer.schedule) if offer.schedule is not None else None,
            wishes=tuple(offer.wishes),
            with_children=offer.with_children,
            languages=tuple(offer.languages),
            trigger=offer.trigger,
            cap_per_day=offer.cap_per_day,
            cap_total=offer.cap_total,
            cap_min_interval_min=offer.cap_min_interval_min,
            quota=offer.quota,
            redemption_kind=offer.redemption_kind,
            boost=offer.boost,
        )

    def columns(self) -> dict[str, Any]:
        """The offer's column values (JSON-ready: uuids as text, languages in order)."""
        return {
            "partner_id": self.partner_id,
            "site_ids": sorted(dict.fromkeys(str(site) for site in self.site_ids)),
            "title": _texts(self.title),
            "summary": _texts(self.summary),
            "image": dict(self.image) if self.image else None,
            "url": self.url or None,
            "valid_from": self.valid_from,
            "valid_until": self.valid_until,
            "schedule": dict(self.schedule) if self.schedule is not None else None,
            "wishes": [wish for wish in WISHES if wish in self.wishes],
            "with_children": self.with_children,
            "languages": [lang for lang in LANGUAGES if lang in self.languages],
            "trigger": self.trigger,
            "cap_per_day": self.cap_per_day,
            "cap_total": self.cap_total,
            "cap_min_interval_min": self.cap_min_interval_min,
            "quota": self.quota,
            "redemption_kind": self.redemption_kind,
            "boost": float(self.boost),
        }


def _texts(texts: Mapping[str, str]) -> dict[str, str]:
    return {lang: texts[lang].strip() for lang in LANGUAGES if texts.get(lang, "").strip()}


# --- checks -------------------------------------------------------------------------------------


def _check_texts(offer: OfferFields, problems: dict[str, Problem]) -> None:
    for name, limit in (("title", TITLE_MAX), ("summary", SUMMARY_MAX)):
        texts: Mapping[str, str] = getattr(offer, name)
        for lang, text in texts.items():
            if lang not in LANGUAGES:
                problems.setdefault(name, Problem("e_choice"))
            elif len(text.strip()) > limit:
                problems.setdefault(f"{name}-{lang}", Problem("e_too_long", {"max": limit}))
    if not _texts(offer.title):
        problems.setdefault("title", Problem("e_required_title"))


def _check_links(offer: OfferFields, problems: dict[str, Problem]) -> None:
    if offer.url and (len(offer.url) > URL_MAX or not _HTTPS.match(offer.url)):
        problems.setdefault("url", Problem("e_url"))
    if offer.image is not None:
        url, credit = offer.image.get("url") or "", offer.image.get("credit") or ""
        if set(offer.image) - {"url", "credit"}:
            problems.setdefault("image_url", Problem("e_choice"))
        if not url and credit:
            problems.setdefault("image_credit", Problem("e_credit"))
        elif len(url) > URL_MAX or not _HTTPS.match(url):
            problems.setdefault("image_url", Problem("e_url"))
        if len(credit) > CREDIT_MAX:
            problems.setdefault("image_credit", Problem("e_too_long", {"max": CREDIT_MAX}))


def _check_terms(offer: OfferFields, problems: dict[str, Problem]) -> None:
    for name in ("valid_from", "valid_until"):
        moment: datetime | None = getattr(offer, name)
        if moment is None:
            problems.setdefault(name, Problem("e_required"))
        elif moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} is a naive datetime: give it a time zone")
    if offer.valid_from and offer.valid_until and offer.valid_until <= offer.valid_from:
        problems.setdefault("valid_until", Problem("e_order"))
    if offer.schedule is not None:
        try:
            Schedule.model_validate(offer.schedule)
        except ValidationError:
            problems.setdefault("schedule", Problem("e_time"))
    if any(wish not in WISHES for wish in offer.wishes):
        problems.setdefault("wishes", Problem("e_choice"))
    if any(lang not in LANGUAGES for lang in offer.languages):
        problems.setdefault("languages", Problem("e_choice"))
    if offer.trigger not in TRIGGERS:
        problems.setdefault("trigger", Problem("e_choice"))
    if offer.redemption_kind not in REDEMPTION_KINDS:
        problems.setdefault("redemption_kind", Problem("e_choice"))
    for name in CAPS:
        value: int | None = getattr(offer, name)
        if value is not None and (isinstance(value, bool) or value < 0 or value > 1_000_000):
            problems.setdefault(name, Problem("e_count", {"max": 1_000_000}))
    if not (isinstance(offer.boost, int | float) and math.isfinite(offer.boost)) or not (
        0 <= offer.boost <= 1
    ):
        problems.setdefault("boost", Problem("e_boost"))


async def check(
    session: AsyncSession, destination_id: uuid.UUID, offer: OfferFields
) -> dict[str, Problem]:
    """Every problem of ``offer``, by field (empty: it may be written).

    The partner must be one of the destination's and the sites the partner's (a foreign key
    alone would accept another destination's); a trigger at or near a site needs the partner to
    have one.
    """
    problems: dict[str, Problem] = {}
    _check_texts(offer, problems)
    _check_links(offer, problems)
    _check_terms(offer, problems)
    partner = await session.get(Partner, offer.partner_id) if offer.partner_id else None
    if partner is None or partner.destination_id != destination_id:
        problems.setdefault("partner_id", Problem("e_partner"))
        return problems
    sites = set(
        (
            await session.execute(
                select(col(Site.id)).where(
                    col(Site.destination_id) == destination_id,
                    col(Site.partner_id) == partner.id,
                )
            )
        )
        .scalars()
        .all()
    )
    if any(site not in sites for site in offer.site_ids):
        problems.setdefault("site_ids", Problem("e_site"))
    if offer.trigger in ("at_site", "nearby") and not sites:
        problems.setdefault("trigger", Problem("e_no_site"))
    return problems


# --- writing ------------------------------------------------------------------------------------


async def create_offer(
    session: AsyncSession,
    destination_id: uuid.UUID,
    offer: OfferFields,
    *,
    status: str = "draft",
    by: str | None = None,
    at: datetime | None = None,
) -> Offer:
    """A new offer (``draft``, or ``approved`` by ``by`` for the demo); OfferInvalid when a
    field is wrong (nothing written)."""
    problems = await check(session, destination_id, offer)
    if problems:
        raise OfferInvalid(problems)
    if status not in ("draft", "submitted", "approved"):
        raise ValueError(f"a new offer is draft, submitted or approved, not {status!r}")
    at = at or utcnow()
    row = Offer.model_validate(
        {
            **offer.columns(),
            "destination_id": destination_id,
            "status": status,
            "created_at": at,
            "updated_at": at,
            "approved_at": at if status == "approved" else None,
            "approved_by": by if status == "approved" else None,
        }
    )
    session.add(row)
    await session.flush()
    return row


async def update_offer(
    session: AsyncSession, offer: Offer, changes: OfferFields, *, at: datetime | None = None
) -> list[str]:
    """Write ``changes`` into ``offer``; the fields that changed (empty: nothing written).

    OfferInvalid when a field is wrong, or (``status``) when the offer has ended.
    """
    if offer.status == "ended":
        raise OfferInvalid({"status": Problem("e_ended")})
    problems = await check(session, offer.destination_id, changes)
    if problems:
        raise OfferInvalid(problems)
    new = changes.columns()
    changed = [name for name in FIELDS if getattr(offer, name) != new[name]]
    for name in changed:
        setattr(offer, name, new[name])
    if changed:
        offer.updated_at = at or utcnow()
        await session.flush()
    return changed


def transition(offer: Offer, target: str, *, by: str, at: datetime | None = None) -> str:
    """Move ``offer`` to ``target`` (states.TRANSITIONS); the action's name (``approve``,
    ``pause``...). TransitionRefused, the offer unchanged, for a move the table lacks."""
    action = states.allowed(offer.status).get(target)
    states.next_status(offer.status, target)
    assert action is not None
    at = at or utcnow()
    if target == "approved" and offer.status != "paused":
        offer.approved_at, offer.approved_by = at, by
    offer.status = target
    offer.updated_at = at
    return action


# --- reading ------------------------------------------------------------------------------------


def schedule_of(offer: Offer) -> Schedule | None:
    """The offer's weekly hours (``None``: whenever it is valid)."""
    return Schedule.model_validate(offer.schedule) if offer.schedule is not None else None


def runs_at(offer: Offer, at: datetime, zone: tzinfo) -> bool:
    """Whether the offer holds at ``at``: inside its validity and, with a schedule, in its hours
    (read in the destination's ``zone``; a day no rule speaks for is not in its hours)."""
    if not offer.valid_from <= at < offer.valid_until:
        return False
    schedule = schedule_of(offer)
    return schedule is None or is_open(schedule, at, zone).open is True


@dataclass(frozen=True, slots=True)
class LiveOffer:
    """An approved offer valid at the moment asked, with what the roadbook shows beside it."""

    offer: Offer
    partner_name: str
    # Redemptions left (quota minus codes redeemed, never below 0); None: no quota.
    quota_remaining: int | None

    @property
    def item_id(self) -> str:
        """``offer:<uuid>``, the offer's id in the roadbook."""
        return self.offer.item_id

    @property
    def schedule(self) -> Schedule | None:
        """The offer's weekly hours (None: whenever it is valid)."""
        return schedule_of(self.offer)

    @property
    def caps_min_interval(self) -> timedelta | None:
        """The minimum time between two showings to one visitor (None: no such cap)."""
        minutes = self.offer.cap_min_interval_min
        return None if minutes is None else timedelta(minutes=minutes)


def with_redeemed() -> Any:
    """A query of offers with their partner's name and how many of their codes were redeemed
    (``(Offer, name, redeemed)`` rows), to add conditions and an order to."""
    return (
        select(
            Offer,
            col(Partner.name),
            func.count(col(Redemption.id)).filter(col(Redemption.redeemed_at).is_not(None)),
        )
        .join(Partner, col(Partner.id) == col(Offer.partner_id))
        .outerjoin(
            Redemption,
            and_(
                col(Redemption.offer_id) == col(Offer.id),
                col(Redemption.redeemed_at).is_not(None),
            ),
        )
        .group_by(col(Offer.id), col(Partner.name))
    )


async def live_offers(
    session: AsyncSession, destination_id: uuid.UUID, at: datetime
) -> list[LiveOffer]:
    """The destination's approved offers whose validity holds at ``at`` (valid_from <= at <
    valid_until), with their partner's name and quota left, in one query (oldest first).

    The weekly schedule, targeting, caps and quota are the engine's to apply (offers with no
    quota left are included, with ``quota_remaining == 0``).
    """
    if at.tzinfo is None:
        raise ValueError("at is a naive datetime: give it a time zone")
    rows = await session.execute(
        with_redeemed()
        .where(
            col(Offer.destination_id) == destination_id,
            col(Offer.status) == "approved",
            col(Offer.valid_from) <= at,
            col(Offer.valid_until) > at,
        )
        .order_by(col(Offer.created_at), col(Offer.id))
    )
    return [
        LiveOffer(offer, name, None if offer.quota is None else max(0, offer.quota - redeemed))
        for offer, name, redeemed in rows
    ]
