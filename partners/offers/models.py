"""Partner offers and their redemptions (docs/offers.md).

``offer``: what a partner proposes to the destination's visitors (a family ticket at -15 %, an
evening entry...), with its texts in the four languages, validity, weekly schedule, targeting,
caps per visitor, quota of redemptions, how it is redeemed and its status in the office's review
(:mod:`partners.offers.states`). ``redemption``: the single-use code one visitor holds for one
offer; personal data, in the visitor's export and erased with them
(:mod:`partners.offers.redemption`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from crm.core.models import TenantLeafRow, TenantRow, sql_list, utcnow

# Where the visitor must be for the offer to show: at one of its sites, at a site near one of
# them, or anywhere in the destination (roadbook/engine/inputs.py names the same three).
TRIGGERS: tuple[str, ...] = ("at_site", "nearby", "anywhere")
# How the visitor redeems it: a code typed at the till, a QR code scanned, or the screen shown.
REDEMPTION_KINDS: tuple[str, ...] = ("code", "qr", "screen")
# The office's review (partners.offers.states.TRANSITIONS says which moves are allowed).
STATUSES: tuple[str, ...] = ("draft", "submitted", "approved", "paused", "ended")
TITLE_MAX = 200
SUMMARY_MAX = 1_000
URL_MAX = 500
CODE_LENGTH = 8


def _jsonb(default: Any = dict, *, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(JSONB, nullable=True))
    return Field(default_factory=default, sa_column=Column(JSONB, nullable=False))


class Offer(TenantRow, table=True):
    """A partner's offer to the destination's visitors (docs/offers.md § Fields)."""

    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint(f"trigger IN ({sql_list(TRIGGERS)})", name="trigger"),
        CheckConstraint(f"redemption_kind IN ({sql_list(REDEMPTION_KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({sql_list(STATUSES)})", name="status"),
        CheckConstraint("valid_until > valid_from", name="validity"),
        CheckConstraint("boost >= 0 AND boost <= 1", name="boost"),
        CheckConstraint(
            "(cap_per_day IS NULL OR cap_per_day >= 0)"
            " AND (cap_total IS NULL OR cap_total >= 0)"
            " AND (cap_min_interval_min IS NULL OR cap_min_interval_min >= 0)"
            " AND (quota IS NULL OR quota >= 0)",
            name="caps",
        ),
        Index("ix_offer_destination_id_status", "destination_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    partner_id: uuid.UUID = Field(foreign_key="partner.id", index=True, ondelete="CASCADE")
    # The partner's sites it holds at, as text uuids; empty: every site of the partner.
    site_ids: list[str] = _jsonb(list)
    # Language maps {"fr": ..., "en": ..., "de": ..., "nl": ...} (roadbook.content.text.localize)
    title: dict[str, str] = _jsonb()
    summary: dict[str, str] = _jsonb()
    # {"url": "https://...", "credit": "..."} or None
    image: dict[str, str] | None = _jsonb(nullable=True)
    # The partner's own page about the offer.
    url: str | None = Field(default=None, max_length=URL_MAX)
    valid_from: datetime
    valid_until: datetime
    # Weekly hours when it runs, roadbook.content.hours.Schedule as JSON (the shape of
    # content_item.opening_hours); None: whenever it is valid.
    schedule: dict[str, Any] | None = _jsonb(nullable=True)
    # Targeting: wish slugs (crm.core.vocabulary.WISHES; empty: anyone), a party with children
    # or not (None: anyone), the visitor's languages (empty: all), the trigger.
    wishes: list[str] = _jsonb(list)
    with_children: bool | None = None
    languages: list[str] = _jsonb(list)
    trigger: str = Field(default="anywhere", max_length=16)
    # Caps per visitor (None: no cap): showings a day, showings in all, minutes between two.
    cap_per_day: int | None = None
    cap_total: int | None = None
    cap_min_interval_min: int | None = None
    # Redemptions in all (None: no quota).
    quota: int | None = None
    redemption_kind: str = Field(default="code", max_length=8)
    status: str = Field(default="draft", max_length=12)
    # The office's editorial weight in the ranking, in [0, 1].
    boost: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    approved_at: datetime | None = None
    approved_by: str | None = Field(default=None, max_length=128)

    @property
    def item_id(self) -> str:
        """The offer's id in the roadbook (``offer:<uuid>``)."""
        return f"offer:{self.id}"


class Redemption(TenantLeafRow, table=True):
    """The single-use code of one visitor for one offer (docs/offers.md § Redemption).

    ``visitor_id`` is cleared (the row kept, anonymous) when a visitor who already redeemed is
    erased, so that the quota still counts the redemption; an unused code is deleted.
    """

    __table_args__ = (
        UniqueConstraint("destination_id", "code"),
        UniqueConstraint("offer_id", "visitor_id"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=True), primary_key=True)
    )
    offer_id: uuid.UUID = Field(foreign_key="offer.id", ondelete="CASCADE")
    visitor_id: uuid.UUID | None = Field(
        default=None, foreign_key="visitor.id", index=True, ondelete="CASCADE"
    )
    code: str = Field(max_length=CODE_LENGTH)
    issued_at: datetime = Field(default_factory=utcnow)
    redeemed_at: datetime | None = None
    # Who validated it (a partner's staff, the office, a till): free text, no visitor data.
    redeemed_by: str | None = Field(default=None, max_length=128)
