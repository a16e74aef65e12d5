"""The relevance score: a weighted sum of terms, each in [0, 1] (docs/roadbook-engine.md § Score).

The weights live in :data:`WEIGHTS` and nowhere else. Every term is kept in
:class:`Scored.terms`, so the reason line and the diagnostics say what made an item rank.

- ``wish``: the share of the visitor's wishes the item matches (adding a wish the item
  matches never lowers it: (m + 1) / (n + 1) >= m / n);
- ``children``: a party with children and an item for families;
- ``distance``: ``exp(-d / scale)`` from the anchor (current or last site, else the lodging;
  an item at the anchor's site is at 0 m);
- ``covisitation``: the co-visitation score from the anchor's site to the item's site;
- ``soon``: an event's ``exp(-hours until it starts / scale)`` (1 when under way);
- ``boost``: the office's editorial boost;
- ``freshness``: ``exp(-days since the last update / scale)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from roadbook.engine.filters import Eligible
from roadbook.engine.inputs import Candidate, CoVisitation
from roadbook.engine.profile import Profile
from roadbook.engine.table import Floats, Picks, Table, wish_bits

TERMS: tuple[str, ...] = (
    "wish",
    "children",
    "distance",
    "covisitation",
    "soon",
    "boost",
    "freshness",
)


@dataclass(frozen=True, slots=True)
class Weights:
    wish: float = 3.0
    children: float = 0.75
    distance: float = 2.0
    distance_scale_m: float = 1500.0
    covisitation: float = 1.5
    soon: float = 1.5
    soon_scale_h: float = 24.0
    boost: float = 1.0
    freshness: float = 0.5
    freshness_scale_days: float = 30.0


WEIGHTS = Weights()


# Not frozen: a roadbook makes hundreds, and a frozen dataclass is made ~4x slower. Never
# changed once made.
@dataclass(slots=True)
class Scored:
    eligible: Eligible
    score: float
    # Each term's weighted contribution, in TERMS order.
    values: Sequence[float]
    # The anchor distance in metres, when both positions are known.
    distance: float | None
    # The visitor's wishes (those the item matches: matched_wishes).
    wishes: frozenset[str]

    @property
    def matched_wishes(self) -> frozenset[str]:
        return self.eligible.candidate.wishes & self.wishes

    @property
    def terms(self) -> dict[str, float]:
        """Each term's weighted contribution, by name."""
        return dict(zip(TERMS, self.values, strict=True))


@dataclass(frozen=True, slots=True)
class Terms:
    """The terms that do not depend on the planned time (all but ``soon``), for some rows of a
    table, as arrays."""

    # (TERMS, rows): each term's weighted values (a row per term, TERMS order), ``soon`` at 0.
    values: Floats
    # The anchor distance in metres; NaN when either position is unknown.
    distance: Floats
    # The sum of the terms.
    promise: Floats
    # No planned time can make a row's score higher than this (``soon`` at its most for
    # events; a hair above the sum, so that float rounding never puts a score above it).
    bound: Floats


# Each term's column in Terms.values.
WISH, _CHILDREN, _DISTANCE, _COVISITATION, _SOON, _BOOST, _FRESHNESS = range(len(TERMS))


class Scorer:
    """Scores for one profile at one moment; what is the same for every item is computed once."""

    def __init__(
        self,
        profile: Profile,
        covisitation: CoVisitation,
        now: datetime,
        weights: Weights = WEIGHTS,
    ) -> None:
        self.wishes = profile.wishes
        self.children = profile.with_children
        self.anchor = profile.anchor
        site = self.anchor.site_id if self.anchor is not None else None
        self.pairs: Mapping[str, float] = covisitation.get(site, {}) if site else {}
        self.now = now
        self.weights = weights
        self._by_site: dict[tuple[int, int], Floats] = {}

    def terms(self, table: Table, rows: Picks | None = None) -> Terms:
        """The time-free terms of ``rows`` of ``table`` (all rows without ``rows``)."""
        weights = self.weights
        pick: Picks | slice = slice(None) if rows is None else rows
        site = table.site[pick]
        values = np.zeros((len(TERMS), len(site)), dtype=np.float64)
        if self.wishes:
            matches = np.bitwise_count(table.wishes[pick] & wish_bits(self.wishes))
            values[WISH] = weights.wish * matches / len(self.wishes)
        if self.children:
            values[_CHILDREN] = np.where(table.family[pick], weights.children, 0.0)
        distance = np.full(len(site), math.nan)
        if self.anchor is not None:
            distances, near = table.kept(
                ("near", self.anchor.position, self.anchor.site_id, weights), self._near
            )
            distance, values[_DISTANCE] = distances[pick], near[pick]
        if self.pairs:
            values[_COVISITATION] = self._covisited(table.sites)[site]
        values[_BOOST] = weights.boost * table.boost[pick]
        days = np.maximum(0.0, (self.now.timestamp() - table.updated[pick]) / 86400)
        fresh = weights.freshness * np.exp(-days / weights.freshness_scale_days)
        values[_FRESHNESS] = np.nan_to_num(fresh, nan=0.0)
        promise = values.sum(axis=0)
        bound = promise + 1e-9
        if table.has_events:
            # "soon" at its most: at the earliest instant an event's occurrence may start.
            hours = np.maximum(0.0, (table.begins[pick] - self.now.timestamp()) / 3600)
            soon = weights.soon * np.exp(-hours / weights.soon_scale_h)
            bound += np.where(table.event[pick], soon, 0.0)
        return Terms(values, distance, promise, bound)

    def _covisited(self, sites: dict[str, int]) -> Floats:
        """The co-visitation term by site number (the last: no site), for this scorer's
        tables (which share their site numbers)."""
        key = (id(sites), len(sites))
        found = self._by_site.get(key)
        if found is None:
            found = np.zeros(len(sites) + 1, dtype=np.float64)
            for site_id, pair in self.pairs.items():
                number = sites.get(site_id)
                if number is not None:
                    found[number] = self.weights.covisitation * min(1.0, max(0.0, pair))
            self._by_site[key] = found
        return found

    def _near(self, table: Table) -> tuple[Floats, Floats]:
        """Every item's distance from the anchor, and its distance term (0 when unknown)."""
        assert self.anchor is not None
        weights = self.weights
        distance = table.distances(self.anchor.position, self.anchor.site_id)
        near = np.nan_to_num(weights.distance * np.exp(-distance / weights.distance_scale_m))
        distance.flags.writeable = near.flags.writeable = False  # shared by requests
        return distance, near

    def complete(
        self, candidate: Candidate, values: list[float], distance: float | None, eligible: Eligible
    ) -> Scored:
        """The score once the planned time is known (``values``: a row of :meth:`terms`)."""
        starts = eligible.slot.starts
        if starts is not None:
            hours = max(0.0, (starts - self.now).total_seconds() / 3600)
            values = list(values)
            values[_SOON] = self.weights.soon * math.exp(-hours / self.weights.soon_scale_h)
        return Scored(eligible, sum(values), values, distance, self.wishes)


def score(
    eligible: Eligible,
    profile: Profile,
    covisitation: CoVisitation,
    now: datetime,
    weights: Weights = WEIGHTS,
) -> Scored:
    """The item's score for this profile at ``now``."""
    scorer = Scorer(profile, covisitation, now, weights)
    terms = scorer.terms(Table([eligible.candidate]))
    distance = float(terms.distance[0])
    known = None if math.isnan(distance) else distance
    return scorer.complete(eligible.candidate, terms.values[:, 0].tolist(), known, eligible)
