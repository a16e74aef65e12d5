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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from roadbook.engine.filters import Eligible
from roadbook.engine.geo import distance_from
from roadbook.engine.inputs import Candidate, CoVisitation
from roadbook.engine.profile import Profile

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


@dataclass(frozen=True, slots=True)
class Scored:
    eligible: Eligible
    score: float
    # Each term's weighted contribution, by name (TERMS).
    terms: Mapping[str, float]
    # The anchor distance in metres, when both positions are known.
    distance: float | None
    matched_wishes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Partial:
    """The terms that do not depend on the planned time (all but ``soon``)."""

    candidate: Candidate
    # The terms' values in TERMS order, ``soon`` at 0.
    values: tuple[float, ...]
    distance: float | None
    matched_wishes: frozenset[str]
    # No planned time can make the score higher than this (``soon`` at its most for events).
    bound: float


_SOON = TERMS.index("soon")


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
        self.distance = distance_from(self.anchor.position) if self.anchor is not None else None
        self.now = now
        self.weights = weights

    def partial(self, item: Candidate) -> Partial:
        weights, anchor = self.weights, self.anchor
        matched = item.wishes & self.wishes if self.wishes else frozenset()
        wish = weights.wish * len(matched) / len(self.wishes) if self.wishes else 0.0
        children = weights.children if self.children and "family" in item.wishes else 0.0
        distance: float | None = None
        if anchor is not None and anchor.site_id is not None and anchor.site_id == item.site_id:
            distance = 0.0
        elif self.distance is not None and item.position is not None:
            distance = self.distance(item.position)
        near = 0.0
        if distance is not None:
            near = weights.distance * math.exp(-distance / weights.distance_scale_m)
        covisited = 0.0
        if item.site_id is not None and self.pairs:
            pair = self.pairs.get(item.site_id, 0.0)
            covisited = weights.covisitation * min(1.0, max(0.0, pair))
        fresh = 0.0
        if item.updated_at is not None:
            days = max(0.0, (self.now - item.updated_at).total_seconds() / 86400)
            fresh = weights.freshness * math.exp(-days / weights.freshness_scale_days)
        values = (wish, children, near, covisited, 0.0, weights.boost * item.boost, fresh)
        # A hair above the sum, so that float rounding never puts a score above its bound.
        bound = sum(values) + (weights.soon if item.kind == "event" else 0.0) + 1e-9
        return Partial(item, values, distance, matched, bound)

    def complete(self, partial: Partial, eligible: Eligible) -> Scored:
        """The score once the planned time is known."""
        values = list(partial.values)
        starts = eligible.slot.starts
        if starts is not None:
            hours = max(0.0, (starts - self.now).total_seconds() / 3600)
            values[_SOON] = self.weights.soon * math.exp(-hours / self.weights.soon_scale_h)
        terms = dict(zip(TERMS, values, strict=True))
        return Scored(eligible, sum(values), terms, partial.distance, partial.matched_wishes)


def score(
    eligible: Eligible,
    profile: Profile,
    covisitation: CoVisitation,
    now: datetime,
    weights: Weights = WEIGHTS,
) -> Scored:
    """The item's score for this profile at ``now``."""
    scorer = Scorer(profile, covisitation, now, weights)
    return scorer.complete(scorer.partial(eligible.candidate), eligible)
