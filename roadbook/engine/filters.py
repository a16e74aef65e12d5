"""Hard filters: what may not be shown at all, and why (docs/roadbook-engine.md § Filters).

Each candidate either becomes :class:`Eligible` with its planned :class:`Slot`, or a
:class:`Filtered` diagnostic naming the first rule it broke, in this order (cheap rules first):
language, an offer targeted on a profile the engine may not read, visited today, offer
targeting, the offer's own caps, its quota, quiet hours, then the planned time (closed, not
happening, outside the stay, offer not valid). The destination-wide cap on offers per day is a
count over the survivors: it is applied with the commercial share (roadbook.engine.commercial).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from crm.core.vocabulary import LANGUAGES
from roadbook.content.text import FALLBACK
from roadbook.engine.geo import distance_m
from roadbook.engine.inputs import Candidate, DestinationPolicy, Exposure, VisitorContext
from roadbook.engine.planning import Slot, Unplanned, plan
from roadbook.engine.profile import Profile
from roadbook.engine.table import Picks, Rows

Reason = (
    Unplanned
    | Literal[
        "no_language",
        "profile_targeting",
        "visited_today",
        "offer_not_targeted",
        "offer_capped",
        "offer_quota",
        "quiet_hours",
        "commercial_cap",
        "commercial_share",
        "not_selected",
    ]
)


# Not frozen: a roadbook makes hundreds, and a frozen dataclass is made ~4x slower. Never
# changed once made.
@dataclass(slots=True)
class Eligible:
    candidate: Candidate
    slot: Slot


@dataclass(frozen=True, slots=True)
class Filtered:
    """Why a candidate is not in the roadbook (the optional diagnostics)."""

    id: str
    reason: Reason


@dataclass(frozen=True, slots=True)
class Seen:
    """How often and when an item was shown to the visitor."""

    today: int = 0
    total: int = 0
    last: datetime | None = None


def seen_counts(
    exposures: Iterable[Exposure], now: datetime, policy: DestinationPolicy
) -> dict[str, Seen]:
    """Per item: exposures on the local day of ``now``, in total, and the latest (up to now)."""
    today = now.astimezone(policy.zone).date()
    counts: dict[str, Seen] = {}
    for exposure in exposures:
        if exposure.at > now:
            continue
        seen = counts.get(exposure.item_id, Seen())
        on_today = exposure.at.astimezone(policy.zone).date() == today
        last = exposure.at if seen.last is None else max(seen.last, exposure.at)
        counts[exposure.item_id] = Seen(seen.today + on_today, seen.total + 1, last)
    return counts


def _targeted(
    candidate: Candidate, context: VisitorContext, profile: Profile, policy: DestinationPolicy
) -> bool:
    assert candidate.offer is not None
    targeting = candidate.offer.targeting
    if targeting.languages and context.language not in targeting.languages:
        return False
    if targeting.wishes and not targeting.wishes & profile.wishes:
        return False
    if targeting.with_children is not None and targeting.with_children != profile.with_children:
        return False
    here = profile.present_site
    if targeting.trigger == "at_site":
        return here is not None and here.site_id == candidate.site_id
    if targeting.trigger == "nearby":
        if here is None:
            return False
        if here.site_id == candidate.site_id:
            return True
        return (
            candidate.position is not None
            and distance_m(here.position, candidate.position) <= policy.nearby_radius_m
        )
    return True


def _offer_rule(
    candidate: Candidate,
    context: VisitorContext,
    profile: Profile,
    policy: DestinationPolicy,
    seen: dict[str, Seen],
) -> Reason | None:
    assert candidate.offer is not None
    terms = candidate.offer
    if not _targeted(candidate, context, profile, policy):
        return "offer_not_targeted"
    shown = seen.get(candidate.id, Seen())
    caps = terms.caps
    if (
        (caps.per_day is not None and shown.today >= caps.per_day)
        or (caps.total is not None and shown.total >= caps.total)
        or (
            caps.min_interval is not None
            and shown.last is not None
            and context.now - shown.last < caps.min_interval
        )
    ):
        return "offer_capped"
    if terms.quota_remaining is not None and terms.quota_remaining <= 0:
        return "offer_quota"
    if context.quiet_hours is not None and context.quiet_hours.contains(context.now, policy.zone):
        return "quiet_hours"
    return None


def _profile_rule(candidate: Candidate, profile: Profile) -> Reason | None:
    if candidate.offer is None:
        return "visited_today" if _visited(candidate, profile) else None
    targeting = candidate.offer.targeting
    if profile.mode != "personal" and targeting.uses_profile:
        return "profile_targeting"
    if profile.mode == "editorial" and targeting.trigger != "anywhere":
        # "At my site" and "nearby" read the visitor's visits: a profile.
        return "profile_targeting"
    return None


def may_target(
    offer: Candidate, context: VisitorContext, profile: Profile, policy: DestinationPolicy
) -> bool:
    """Whether the offer's targeting lets it reach this visitor at all (the rules that read
    neither exposures nor the clock: retrieval applies them before ranking)."""
    return _profile_rule(offer, profile) is None and _targeted(offer, context, profile, policy)


def _visited(candidate: Candidate, profile: Profile) -> bool:
    return candidate.id in profile.visited_today or (
        candidate.site_id is not None and candidate.site_id in profile.visited_today
    )


assert set(FALLBACK) == set(LANGUAGES)


def rule_out(
    candidate: Candidate,
    context: VisitorContext,
    profile: Profile,
    policy: DestinationPolicy,
    seen: dict[str, Seen],
) -> Reason | None:
    """The first rule, other than its planned time, that keeps the candidate out, if any."""
    # text.localize falls back through all four languages: readable iff one has a text.
    title = candidate.title
    for language in LANGUAGES:
        if title.get(language):
            break
    else:
        return "no_language"
    reason = _profile_rule(candidate, profile)
    if reason is None and candidate.offer is not None:
        reason = _offer_rule(candidate, context, profile, policy, seen)
    return reason


def rule_out_rows(
    part: Rows,
    context: VisitorContext,
    profile: Profile,
    policy: DestinationPolicy,
    seen: dict[str, Seen],
) -> tuple[Picks, list[Filtered]]:
    """:func:`rule_out` for some rows of a table: the rows it keeps, and why it drops the
    others. A catalogue item with a title and not visited today passes every rule, so only the
    others (offers among them) are read one by one."""
    table, rows = part.table, part.rows
    suspect = ~table.readable[rows] | table.commercial[rows]
    visited = profile.visited_today
    if visited:
        suspect |= table.at_sites(visited, rows)
        suspect |= np.isin(rows, table.rows_of(visited))
    keep = np.ones(len(rows), dtype=np.bool_)
    dropped: list[Filtered] = []
    for at in np.flatnonzero(suspect).tolist():
        candidate = table.items[rows[at]]
        reason = rule_out(candidate, context, profile, policy, seen)
        if reason is not None:
            keep[at] = False
            dropped.append(Filtered(candidate.id, reason))
    return rows[keep], dropped


def hard_filter(
    candidates: Iterable[Candidate],
    context: VisitorContext,
    profile: Profile,
    policy: DestinationPolicy,
) -> tuple[list[Eligible], list[Filtered]]:
    """The candidates that may be shown (with their slot), and the others with their reason."""
    seen = seen_counts(profile.exposures, context.now, policy)
    kept: list[Eligible] = []
    dropped: list[Filtered] = []
    for candidate in candidates:
        reason = rule_out(candidate, context, profile, policy, seen)
        if reason is None:
            slot = plan(candidate, context, policy)
            if isinstance(slot, Slot):
                kept.append(Eligible(candidate, slot))
                continue
            reason = slot
        dropped.append(Filtered(candidate.id, reason))
    return kept, dropped
