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
from roadbook.engine.geo import distance_m
from roadbook.engine.inputs import CoVisitation
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


def score(
    eligible: Eligible,
    profile: Profile,
    covisitation: CoVisitation,
    now: datetime,
    weights: Weights = WEIGHTS,
) -> Scored:
    """The item's score for this profile at ``now``."""
    item = eligible.candidate
    matched = item.wishes & profile.wishes
    terms = dict.fromkeys(TERMS, 0.0)
    if profile.wishes:
        terms["wish"] = weights.wish * len(matched) / len(profile.wishes)
    if profile.with_children and "family" in item.wishes:
        terms["children"] = weights.children
    anchor = profile.anchor
    distance: float | None = None
    if anchor is not None and anchor.site_id is not None and anchor.site_id == item.site_id:
        distance = 0.0
    elif anchor is not None and item.position is not None:
        distance = distance_m(anchor.position, item.position)
    if distance is not None:
        terms["distance"] = weights.distance * math.exp(-distance / weights.distance_scale_m)
    if anchor is not None and anchor.site_id is not None and item.site_id is not None:
        pair = covisitation.get(anchor.site_id, {}).get(item.site_id, 0.0)
        terms["covisitation"] = weights.covisitation * min(1.0, max(0.0, pair))
    starts = eligible.slot.starts
    if starts is not None:
        hours = max(0.0, (starts - now).total_seconds() / 3600)
        terms["soon"] = weights.soon * math.exp(-hours / weights.soon_scale_h)
    terms["boost"] = weights.boost * item.boost
    if item.updated_at is not None:
        days = max(0.0, (now - item.updated_at).total_seconds() / 86400)
        terms["freshness"] = weights.freshness * math.exp(-days / weights.freshness_scale_days)
    return Scored(eligible, sum(terms.values()), terms, distance, frozenset(matched))
