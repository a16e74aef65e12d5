"""The engine's one entry point: candidates + visitor + policy → :class:`Roadbook`.

hard filters → score → diversity (MMR per section for editorial items; for offers MMR with the
partners' exposure as tie-break) → the commercial room (cap per day, share ceiling) → sections
→ reasons (docs/roadbook-engine.md § Pipeline). Pure: the same inputs give the same roadbook,
whatever the order of the candidates.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta

import numpy as np

from roadbook.content.text import localize
from roadbook.engine.commercial import offers_left_today, room_for_offers
from roadbook.engine.diversity import mmr, pool_size
from roadbook.engine.filters import Eligible, Filtered, Reason, rule_out_rows, seen_counts
from roadbook.engine.inputs import (
    Candidate,
    CoVisitation,
    DestinationPolicy,
    SiteAt,
    VisitorContext,
)
from roadbook.engine.output import Item, Roadbook, Section
from roadbook.engine.planning import Planner, Slot, closes_key, closing, window
from roadbook.engine.profile import Profile, profile_of
from roadbook.engine.reasons import label, notice, reason, section_title
from roadbook.engine.scoring import TERMS, Scored, Scorer
from roadbook.engine.sections import SECTIONS, SectionKey, section_of
from roadbook.engine.table import Floats, Picks, Shortlist, Table

DEFAULT_POLICY = DestinationPolicy()


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    seen: set[str] = set()
    out = []
    for candidate in candidates:
        if candidate.id in seen:
            raise ValueError(f"candidate {candidate.id} appears twice")
        seen.add(candidate.id)
        out.append(candidate)
    return out


def _item(
    scored: Scored,
    key: SectionKey,
    profile: Profile,
    context: VisitorContext,
    policy: DestinationPolicy,
) -> Item:
    candidate, slot = scored.eligible.candidate, scored.eligible.slot
    title = localize(candidate.title, context.language)
    language = context.language
    return Item(
        id=candidate.id,
        kind=candidate.kind,
        section=key,
        title=title.text,
        title_language=title.language,
        reason=reason(scored, profile.anchor, context.now, policy.zone, language),
        reason_language=language,
        label=label(candidate.commercial, language),
        commercial=candidate.commercial,
        partner_id=candidate.partner_id,
        score=scored.score,
        terms=scored.terms,
        planned_at=slot.at,
        until=slot.until,
    )


def _place_offers(editorial: list[Scored], offers: Sequence[Scored]) -> list[Scored]:
    """Each offer before the first editorial item it outscores (editorial order kept)."""
    merged = list(editorial)
    for offer in sorted(offers, key=lambda s: -s.score):
        at = next((i for i, s in enumerate(merged) if s.score < offer.score), len(merged))
        merged.insert(at, offer)
    return merged


class _Pools:
    """The best scores seen so far in each pool (a section's, or the offers'), as many as the
    pool holds (min-heaps), and for a set of pools the score a candidate must beat to enter
    one of them (its *floor*)."""

    def __init__(self, sizes: Mapping[str, int]) -> None:
        self.sizes = sizes
        self.heaps: dict[str, list[float]] = {key: [] for key in sizes}
        self.floors: dict[frozenset[str], float] = {}

    def add(self, key: str, score: float) -> None:
        heap, size = self.heaps[key], self.sizes[key]
        if len(heap) < size:
            heapq.heappush(heap, score)
            if len(heap) == size:
                self.floors.clear()
        elif size and heapq.heappushpop(heap, score) != score:
            self.floors.clear()  # the pool's lowest score went up

    def hopeless(self, keys: frozenset[str], bound: float) -> bool:
        """Whether a score of at most ``bound`` can enter none of the pools ``keys``: each
        holds as many scores as it may, all above ``bound``."""
        floor = self.floors.get(keys)
        if floor is None:
            floor = self.floors[keys] = min(self._floor(key) for key in keys)
        return floor > bound

    def _floor(self, key: str) -> float:
        heap, size = self.heaps[key], self.sizes[key]
        if size == 0:
            return math.inf
        return heap[0] if len(heap) >= size else -math.inf


class _Sections:
    """The sections a candidate may land in, whatever its planned time (sections.section_of),
    read before planning it: none today before the stay, no later day at its end (the widget's
    site mode plans today only). For a place that may land either today or during the stay,
    when it last closes today says which (planning.closing, from its table's kept column or
    the planner): today when it is open at some time of today from the window's start on, or
    its hours are silent today; else a later day."""

    def __init__(
        self, context: VisitorContext, policy: DestinationPolicy, planner: Planner
    ) -> None:
        self.policy, self.planner = policy, planner
        # The planning window, read once for every candidate (planning.window).
        self.span = window(context, policy)
        self.start, end = self.span
        zone = policy.zone
        now = context.now.astimezone(zone)
        midnight = datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=zone)
        reachable: set[SectionKey] = {"events"}
        if self.start < midnight:
            reachable |= {"now_nearby", "today"} if self.start <= context.now else {"today"}
        if end > midnight:
            reachable.add("stay")
        self.reachable = frozenset(reachable)
        self.today = now.date()
        near, far = self.reachable - _EVENTS, self.reachable - _EVENTS_OR_NEAR
        # By kind: an event, an offer, a place or tour near the anchor, one further; then,
        # read with their closing time today, a place planned on a later day, near or far
        # ones planned today.
        self.pools: tuple[frozenset[str], ...] = (
            _EVENTS,
            _OFFER_POOL,
            near,
            far,
            near & _STAY,
            near - _STAY,
            far - _STAY,
        )
        # Whether a place's closing time today can tell "today" from "during the stay".
        self.splits = bool(near & _STAY and near - _STAY)

    def of(
        self, table: Table, rows: Picks, distance: Floats, closes: Floats | None
    ) -> tuple[list[frozenset[str]], list[bool]]:
        """The pools each of ``rows`` may enter, by kind, ``distance`` from the anchor and,
        for a place, when it last closes today (``closes``: its table's column, if read; the
        offers' pool for an offer, else sections); and whether :meth:`narrowed` may still
        narrow a row's pools (its closing time not read yet)."""
        near = distance <= self.policy.nearby_radius_m  # NaN: unknown, not near
        kinds = np.where(table.event[rows], 0, np.where(near, 2, 3))
        kinds[table.commercial[rows]] = 1
        places = kinds >= 2
        lazy = np.zeros(len(rows), dtype=np.bool_)
        if self.splits:
            if closes is None:
                lazy = places
            else:
                later = places & (closes[rows] <= self.start.timestamp())
                kinds = np.where(later, 4, np.where(places, kinds + 3, kinds))
        return [self.pools[kind] for kind in kinds.tolist()], lazy.tolist()

    def narrowed(self, candidate: Candidate, possible: frozenset[str]) -> frozenset[str]:
        """``possible`` (:meth:`of`, for a place) narrowed by when it last closes today, read
        by the planner (planning.closing)."""
        hours = candidate.hours
        closes = math.inf
        if hours is not None and hours.rules:
            closes = closing(self.planner.on_day(hours, self.today, self.policy.zone))
        return possible & _STAY if closes <= self.start.timestamp() else possible - _STAY


_EVENTS: frozenset[str] = frozenset({"events"})
_EVENTS_OR_NEAR: frozenset[str] = frozenset({"events", "now_nearby"})
_STAY: frozenset[str] = frozenset({"stay"})
# The offers' pool, beside the sections'.
_OFFERS = "offers"
_OFFER_POOL = frozenset({_OFFERS})


def build_roadbook(
    candidates: Iterable[Candidate],
    context: VisitorContext,
    policy: DestinationPolicy = DEFAULT_POLICY,
    covisitation: CoVisitation | None = None,
    partner_exposure: Mapping[str, int] | None = None,
    diagnostics: bool = False,
    planner: Planner | None = None,
) -> Roadbook:
    """The visitor's roadbook at ``context.now``.

    ``covisitation`` is the job's table (site → site → score, pairs of >= 5 visitors);
    ``partner_exposure`` how often each partner's offers were shown destination-wide lately
    (the fairness tie-break). ``diagnostics`` keeps why each other candidate is not shown.

    Planning (opening hours) costs most, so candidates are planned best bound first, and one
    whose bound is below the diversity pool of every section it could land in (an offer: the
    offers' pool) is not planned at all: it could not be shown (docs/roadbook-engine.md
    § Speed). With ``diagnostics`` every candidate is planned; the roadbook is the same.
    ``planner`` may keep the hours it reads for the next roadbooks (planning.Planner).
    """
    planner = planner or Planner()
    profile = profile_of(context)
    seen = seen_counts(profile.exposures, context.now, policy)
    scorer = Scorer(profile, covisitation or {}, context.now)
    if not isinstance(candidates, Shortlist):
        candidates = Shortlist.of(_unique(candidates))
    dropped: list[Filtered] = []
    # The rows that pass the filters, part by part: their tables' items, their row numbers,
    # their terms (a row per candidate), distances and bounds. A candidate and its terms are
    # read out of them only when it is planned (a few hundred of them).
    parts: list[tuple[Candidate, ...]] = []
    numbers: list[Picks] = []
    values: list[Floats] = []
    distances: list[Floats] = []
    bounds: list[Floats] = []
    sections_of = _Sections(context, policy, planner)
    # When each place last closes today, where its table has read it (retrieval.Index).
    closes_today = closes_key(policy.zone, sections_of.today)
    possible: list[frozenset[str]] = []
    lazy: list[bool] = []
    for part in candidates.parts:
        rows, ruled_out = rule_out_rows(part, context, profile, policy, seen)
        dropped += ruled_out
        terms = scorer.terms(part.table, rows)
        parts.append(part.table.items)
        numbers.append(rows)
        values.append(terms.values.T)
        distances.append(terms.distance)
        bounds.append(terms.bound)
        pools_of, narrowable = sections_of.of(
            part.table, rows, terms.distance, part.table.peek(closes_today)
        )
        possible += pools_of
        lazy += narrowable
    part_of = np.repeat(np.arange(len(parts)), [len(rows) for rows in numbers]).tolist()
    row_of = np.concatenate(numbers).tolist() if numbers else []
    value_of = np.concatenate(values) if values else np.zeros((0, len(TERMS)))
    distance_of = np.concatenate(distances).tolist() if distances else []
    span = sections_of.span
    left_today = offers_left_today(profile.exposures, context.now, policy)
    # The room for offers is at most what is left today: their MMR pool is at most this big.
    pools = _Pools(
        {
            **dict.fromkeys(SECTIONS, pool_size(policy.items_per_section)),
            _OFFERS: pool_size(left_today),
        }
    )
    by_section: dict[SectionKey, list[Scored]] = defaultdict(list)
    offers: list[Scored] = []
    # Best bound first (the roadbook does not depend on this order, only the work saved).
    bound_of = np.concatenate(bounds) if bounds else np.zeros(0)
    order = np.argsort(-bound_of, kind="stable")
    for at, bound in zip(order.tolist(), bound_of[order].tolist(), strict=True):
        candidate = parts[part_of[at]][row_of[at]]
        if not diagnostics and (
            pools.hopeless(possible[at], bound)
            or (lazy[at] and pools.hopeless(sections_of.narrowed(candidate, possible[at]), bound))
        ):
            continue
        distance = None if math.isnan(distance_of[at]) else distance_of[at]
        slot = planner.plan(candidate, context, policy, span)
        if not isinstance(slot, Slot):
            dropped.append(Filtered(candidate.id, slot))
            continue
        row_values = value_of[at].tolist()
        scored = scorer.complete(candidate, row_values, distance, Eligible(candidate, slot))
        if candidate.commercial:
            offers.append(scored)
            pools.add(_OFFERS, scored.score)
            continue
        key = section_of(scored, context.now, policy, sections_of.today)
        by_section[key].append(scored)
        pools.add(key, scored.score)
    chosen: dict[SectionKey, list[Scored]] = {
        key: mmr(by_section[key], policy.items_per_section, policy.mmr_lambda) for key in SECTIONS
    }
    editorial = sum(len(items) for items in chosen.values())
    room = room_for_offers(editorial, len(offers), left_today, policy.commercial_share)
    picked = mmr(offers, room, policy.mmr_lambda, exposure=partner_exposure or {})
    placed: dict[SectionKey, list[Scored]] = defaultdict(list)
    for offer in picked:
        placed[section_of(offer, context.now, policy)].append(offer)
    sections = tuple(
        Section(
            key,
            section_title(key, context.language),
            tuple(
                _item(s, key, profile, context, policy)
                for s in _place_offers(chosen[key], placed[key])
            ),
        )
        for key in SECTIONS
    )
    filtered: tuple[Filtered, ...] = ()
    if diagnostics:
        shown = {s.eligible.candidate.id for items in chosen.values() for s in items}
        shown |= {s.eligible.candidate.id for s in picked}
        capped: Reason = "commercial_cap" if room == left_today else "commercial_share"
        unshown = [
            Filtered(s.eligible.candidate.id, capped if s in offers else "not_selected")
            for items in (*by_section.values(), offers)
            for s in items
            if s.eligible.candidate.id not in shown
        ]
        filtered = tuple(sorted([*dropped, *unshown], key=lambda f: f.id))
    return Roadbook(
        mode=profile.mode,
        personalised=profile.mode == "personal",
        language=context.language,
        notice=notice(profile.mode, context.language),
        sections=sections,
        filtered=filtered,
    )


def site_context(
    site: SiteAt | None, now: datetime, language: str, policy: DestinationPolicy = DEFAULT_POLICY
) -> VisitorContext:
    """The widget's anonymous context for a page about ``site``: nobody, there, until midnight
    (``None``: a site without coordinates, so nothing is "near")."""
    local = now.astimezone(policy.zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=policy.zone)
    return VisitorContext(
        language=language,
        now=now,
        stay_start=now,
        stay_end=midnight,
        site=replace(site, present=True) if site is not None else None,
        anonymous=True,
    )


def site_roadbook(
    candidates: Iterable[Candidate],
    site: SiteAt,
    now: datetime,
    language: str,
    policy: DestinationPolicy = DEFAULT_POLICY,
    covisitation: CoVisitation | None = None,
    partner_exposure: Mapping[str, int] | None = None,
) -> Roadbook:
    """The widget's anonymous roadbook for a page about ``site``: what to do near it, today.

    Nobody's profile: no wishes, no visits, no exposures; co-visitation from the site is an
    aggregate of at least 5 visitors. Offers targeted on a profile are left out; "at my site"
    and "nearby" offers are read against the page's site.
    """
    context = site_context(site, now, language, policy)
    return build_roadbook(candidates, context, policy, covisitation, partner_exposure)
