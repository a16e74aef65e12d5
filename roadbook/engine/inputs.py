"""What the engine ranks and for whom: plain frozen dataclasses (docs/roadbook-engine.md).

The engine reads nothing else: no database, no clock, no settings. A thin service loads these
from the catalogue, the offers, the visitor's profile, visits and exposures, and the
co-visitation job's table. Each class checks its own values on construction and raises a
``ValueError`` naming the field, so a bad input never reaches the ranking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

from crm.core.vocabulary import LANGUAGES, WISHES
from roadbook.content.hours import Clock, Period, Schedule, minutes

Kind = Literal["place", "event", "tour", "offer"]
KINDS: tuple[Kind, ...] = ("place", "event", "tour", "offer")
# Where the visitor must be for an offer to show: at the offer's site, at a site within the
# destination's nearby radius of it, or anywhere in the destination.
Trigger = Literal["at_site", "nearby", "anywhere"]
TRIGGERS: tuple[Trigger, ...] = ("at_site", "nearby", "anywhere")
PARIS = ZoneInfo("Europe/Paris")
_CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} is a naive datetime: give it a time zone")


def _wishes(values: frozenset[str], name: str) -> None:
    unknown = sorted(values - set(WISHES))
    if unknown:
        raise ValueError(f"{name}: unknown wish {unknown[0]!r} (known: {', '.join(WISHES)})")


@dataclass(frozen=True, slots=True)
class Position:
    """A WGS 84 point."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise ValueError(f"lat {self.lat!r} is not a latitude in [-90, 90]")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"lon {self.lon!r} is not a longitude in [-180, 180]")


@dataclass(frozen=True, slots=True)
class Targeting:
    """Whom an offer is for; an empty set or ``None`` means "everyone"."""

    wishes: frozenset[str] = frozenset()
    with_children: bool | None = None
    languages: frozenset[str] = frozenset()
    trigger: Trigger = "anywhere"

    def __post_init__(self) -> None:
        _wishes(self.wishes, "targeting.wishes")
        unknown = sorted(self.languages - set(LANGUAGES))
        if unknown:
            raise ValueError(f"targeting.languages: unknown language {unknown[0]!r}")
        if self.trigger not in TRIGGERS:
            raise ValueError(f"targeting.trigger {self.trigger!r} is not one of {TRIGGERS}")

    @property
    def uses_profile(self) -> bool:
        """Whether the targeting reads the visitor's profile (wishes, party)."""
        return bool(self.wishes) or self.with_children is not None


@dataclass(frozen=True, slots=True)
class Caps:
    """How often one visitor may see an offer; ``None`` means no such cap."""

    per_day: int | None = None
    total: int | None = None
    min_interval: timedelta | None = None

    def __post_init__(self) -> None:
        for name, value in (("caps.per_day", self.per_day), ("caps.total", self.total)):
            if value is not None and value < 0:
                raise ValueError(f"{name} is negative")
        if self.min_interval is not None and self.min_interval < timedelta(0):
            raise ValueError("caps.min_interval is negative")


@dataclass(frozen=True, slots=True)
class OfferTerms:
    """A partner offer's terms: validity, weekly schedule, targeting, caps and quota."""

    valid_from: datetime
    valid_until: datetime
    # Weekly hours when the offer runs (hours.Schedule); ``None``: whenever it is valid.
    schedule: Schedule | None = None
    targeting: Targeting = field(default_factory=Targeting)
    caps: Caps = field(default_factory=Caps)
    # Redemptions left; ``None``: no quota.
    quota_remaining: int | None = None

    def __post_init__(self) -> None:
        _aware(self.valid_from, "offer.valid_from")
        _aware(self.valid_until, "offer.valid_until")
        if self.valid_until <= self.valid_from:
            raise ValueError("offer.valid_until is not after offer.valid_from")
        if self.quota_remaining is not None and self.quota_remaining < 0:
            raise ValueError("offer.quota_remaining is negative")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One thing the roadbook may show: a catalogue item (place, event, tour) or an offer.

    ``title`` is a language map (roadbook.content.text); ``hours`` are a place's opening hours
    and ``periods`` an event's dates, in the shapes of roadbook.content.hours. ``boost`` is the
    office's editorial boost in [0, 1]. ``partner_id`` is ``None`` for the office's own items.
    """

    id: str
    kind: Kind
    title: Mapping[str, str]
    site_id: str | None = None
    partner_id: str | None = None
    wishes: frozenset[str] = frozenset()
    position: Position | None = None
    hours: Schedule | None = None
    periods: tuple[Period, ...] = ()
    boost: float = 0.0
    updated_at: datetime | None = None
    offer: OfferTerms | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("candidate id is empty")
        if self.kind not in KINDS:
            raise ValueError(f"candidate {self.id}: kind {self.kind!r} is not one of {KINDS}")
        if (self.kind == "offer") != (self.offer is not None):
            raise ValueError(f"candidate {self.id}: an offer, and only an offer, has terms")
        if self.kind == "offer" and self.partner_id is None:
            raise ValueError(f"candidate {self.id}: an offer belongs to a partner")
        if self.kind == "event" and not self.periods:
            raise ValueError(f"candidate {self.id}: an event has periods")
        if not (math.isfinite(self.boost) and 0.0 <= self.boost <= 1.0):
            raise ValueError(f"candidate {self.id}: boost {self.boost!r} is not in [0, 1]")
        _wishes(self.wishes, f"candidate {self.id}: wishes")
        if self.updated_at is not None:
            _aware(self.updated_at, f"candidate {self.id}: updated_at")

    @property
    def commercial(self) -> bool:
        """Whether the item is a partner offer (labelled, capped and under the ceiling)."""
        return self.kind == "offer"


@dataclass(frozen=True, slots=True)
class SiteAt:
    """A site the visitor is at (``present``) or was at last, by its gateway's visits."""

    site_id: str
    position: Position
    name: Mapping[str, str]
    present: bool = True


@dataclass(frozen=True, slots=True)
class Exposure:
    """One time an item was shown to this visitor (the service records them)."""

    item_id: str
    at: datetime
    partner_id: str | None = None
    commercial: bool = False

    def __post_init__(self) -> None:
        _aware(self.at, f"exposure of {self.item_id}: at")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local times between which no partner offer is shown (may run past midnight)."""

    start: Clock
    end: Clock

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if not _CLOCK.fullmatch(value):
                raise ValueError(f"quiet_hours.{name} {value!r} is not HH:MM")

    def contains(self, at: datetime, zone: tzinfo) -> bool:
        """Whether ``at`` falls in the quiet hours, read in ``zone``."""
        local = at.astimezone(zone)
        now, start, end = local.hour * 60 + local.minute, minutes(self.start), minutes(self.end)
        if start == end:
            return False
        return start <= now < end if start < end else now >= start or now < end


@dataclass(frozen=True, slots=True)
class VisitorContext:
    """Who the roadbook is for, at ``now`` (an input: the engine reads no clock).

    Without ``personalisation`` consent the engine reads only ``language``, ``now``, the stay
    and ``exposures`` (for caps, which protect the visitor): docs/roadbook-engine.md § Consent.
    """

    language: str
    now: datetime
    stay_start: datetime
    stay_end: datetime
    personalisation: bool = False
    wishes: frozenset[str] = frozenset()
    with_children: bool = False
    site: SiteAt | None = None
    lodging: Position | None = None
    # Item ids and site ids the visitor has been to today (from visits).
    visited_today: frozenset[str] = frozenset()
    exposures: tuple[Exposure, ...] = ()
    quiet_hours: QuietHours | None = None
    # The widget's anonymous mode (``site=``): ``site`` is the page's, not the visitor's.
    anonymous: bool = False

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language {self.language!r} is not one of {LANGUAGES}")
        for name in ("now", "stay_start", "stay_end"):
            _aware(getattr(self, name), name)
        if self.stay_end <= self.stay_start:
            raise ValueError("stay_end is not after stay_start")
        _wishes(self.wishes, "wishes")


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    """The office's rules for every roadbook of the destination."""

    # Partner offers one visitor may be shown per local day, all partners together.
    commercial_per_day: int = 3
    # The largest share of a roadbook's items that may be partner offers.
    commercial_share: Fraction = Fraction(1, 3)
    nearby_radius_m: float = 1000.0
    # Maximal Marginal Relevance: 1 is relevance only, 0 is diversity only.
    mmr_lambda: float = 0.7
    items_per_section: int = 8
    # How far ahead "during your stay" looks for opening hours.
    horizon_days: int = 14
    zone: tzinfo = PARIS

    def __post_init__(self) -> None:
        if self.commercial_per_day < 0:
            raise ValueError("commercial_per_day is negative")
        if not 0 <= self.commercial_share <= 1:
            raise ValueError("commercial_share is not in [0, 1]")
        if not (math.isfinite(self.nearby_radius_m) and self.nearby_radius_m >= 0):
            raise ValueError("nearby_radius_m is not a distance")
        if not 0.0 <= self.mmr_lambda <= 1.0:
            raise ValueError("mmr_lambda is not in [0, 1]")
        if self.items_per_section < 1:
            raise ValueError("items_per_section is below 1")
        if self.horizon_days < 1:
            raise ValueError("horizon_days is below 1")


# Co-visitation: site → site → score in (0, 1], pairs of at least 5 distinct visitors only.
CoVisitation = Mapping[str, Mapping[str, float]]
