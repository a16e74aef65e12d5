"""Retrieval: the candidates worth ranking for one visitor, out of a whole catalogue
(docs/roadbook-engine.md § Retrieval).

Ranking (:func:`roadbook.engine.pipeline.build_roadbook`) reads every candidate it is given, at
some microseconds each: fine for a few thousand, too slow for a department's 20,000 items on
every request. So the roadbook is built in two stages, as recommenders are: an :class:`Index`
made once per catalogue, then, per request, a shortlist from it that the engine ranks.

A candidate's *promise* is its score without the terms that need its planned time or the
co-visitation table: wish match, children, distance from the anchor, editorial boost and
freshness (roadbook.engine.scoring, same weights). The shortlist holds:

- the partner offers that can apply here: the "at my site" and "nearby" offers of the site the
  visitor (or the widget's page) is at and of the sites around it, and the :data:`OFFERS`
  "anywhere" offers with the best promise among those whose targeting reaches the visitor
  (``filters.may_target``); the others cannot pass the engine's targeting rule, and no more
  than ``commercial_per_day`` offers a day are shown;
- the :data:`EVENTS` events of the planned window with the best promise (an event's "soon"
  counted at its most for the day it starts);
- the :data:`PER_LIST` places and tours with the best promise among those of each of the
  visitor's wishes, and among all, found ring by ring around the anchor on a grid: a ring is
  read only while the distance term still left at that ring could lift an item into the best
  :data:`PER_LIST` (without an anchor, from lists sorted by boost and freshness);
- every item within the destination's nearby radius, and the items at the anchor's site and at
  the :data:`COVISITED_SITES` sites most co-visited with it.

What is left out would need its planned time or co-visitation to overtake a hundred better
promises: a bet, not a proof. ``tests/roadbook/test_engine_retrieval.py`` checks that the
shortlisted roadbook equals the full one for most visitors of seeded synthetic destinations,
and ``bench/README.md`` reports both the speed and that agreement.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations

from crm.core.vocabulary import WISHES
from roadbook.content.hours import minutes, span
from roadbook.engine.filters import may_target
from roadbook.engine.geo import distance_from
from roadbook.engine.inputs import (
    Candidate,
    CoVisitation,
    DestinationPolicy,
    Position,
    VisitorContext,
)
from roadbook.engine.planning import window
from roadbook.engine.profile import Profile, profile_of
from roadbook.engine.scoring import WEIGHTS

PER_LIST = 100
OFFERS = 60
# How many items of the static order are read between two rings.
_STEP = 16
# A list of at most this many times the items wanted is read whole.
_SMALL = 4
EVENTS = 200
COVISITED_SITES = 10
# Grid cells of about 280 m: 0.0025 degree of latitude, 0.004 of longitude (at 49 degrees N).
CELL_LAT = 0.0025
CELL_LON = 0.004
_DEGREE_M = 111_000.0  # a degree of latitude, rounded down (so "read" is never overstated)

Cell = tuple[int, int]
Promise = Callable[[Candidate], float]


def _cell(position: Position) -> Cell:
    return math.floor(position.lat / CELL_LAT), math.floor(position.lon / CELL_LON)


@dataclass(frozen=True, slots=True)
class _Event:
    # The event's dates widened by a day each way (as instants, whatever the time zone).
    last: datetime
    first: datetime
    # When its earliest period begins, as a local date and minutes after midnight.
    day: date
    minute: int
    candidate: Candidate


class _Places:
    """Places and tours, read two ways: by static promise (boost, children, freshness at the
    index's time: an upper bound later) and ring by ring around the anchor on a grid."""

    def __init__(
        self, items: Iterable[Candidate], reference: datetime, rank: Mapping[str, int]
    ) -> None:
        self.reference = reference
        self.rank = rank
        self.grid: dict[Cell, list[Candidate]] = defaultdict(list)
        ranked = []
        self.placed = 0
        for item in items:
            if item.position is not None:
                self.grid[_cell(item.position)].append(item)
                self.placed += 1
            ranked.append(item)
        # Static promise with and without the children term (a party with or without them).
        self.by_static = {
            children: sorted(
                ((_static(item, reference, children), item.id, item) for item in ranked),
                key=lambda entry: (-entry[0], entry[1]),
            )
            for children in (False, True)
        }

    def best(
        self,
        promise: Promise,
        anchor: Position | None,
        now: datetime,
        count: int,
        wish_max: float,
        children: bool,
    ) -> list[Candidate]:
        """The ``count`` best by ``promise``, read from both orders until nothing unread can
        beat them (Fagin's threshold algorithm): an unread item is no nearer than the rings
        read and no better, statically, than the static order's next item."""
        best: list[tuple[float, int, Candidate]] = []
        seen: set[str] = set()

        def consider(candidate: Candidate) -> None:
            if candidate.id in seen:
                return
            seen.add(candidate.id)
            # Ties go to the smaller id, as in the engine.
            entry = (promise(candidate), -self.rank[candidate.id], candidate)
            if len(best) < count:
                heapq.heappush(best, entry)
            elif entry > best[0]:
                heapq.heapreplace(best, entry)

        by_static = self.by_static[children]
        if len(by_static) <= _SMALL * count:
            # A short list: reading it all costs less than the rings' bookkeeping.
            for _, _, candidate in by_static:
                consider(candidate)
            return [entry[2] for entry in sorted(best, reverse=True)]
        # Fresher than at the index's time is impossible later; earlier, allow it all.
        slack = wish_max + (WEIGHTS.freshness if now < self.reference else 0.0)
        rings = _rings(_cell(anchor)) if anchor is not None else None
        width = (
            min(CELL_LAT, CELL_LON * math.cos(math.radians(anchor.lat))) * _DEGREE_M
            if anchor is not None
            else 0.0
        )
        near_left = WEIGHTS.distance if anchor is not None else 0.0
        at, ring, in_rings = 0, 0, 0
        while True:
            for _, _, candidate in by_static[at : at + _STEP]:
                consider(candidate)
            at += _STEP
            if rings is not None and in_rings < self.placed:
                for cell in next(rings):
                    found = self.grid.get(cell, ())
                    in_rings += len(found)
                    for candidate in found:
                        consider(candidate)
                near_left = WEIGHTS.distance * math.exp(-ring * width / WEIGHTS.distance_scale_m)
                ring += 1
            if at >= len(by_static):
                break
            bound = by_static[at][0] + near_left + slack
            if len(best) >= count and best[0][0] > bound:
                break
        return [entry[2] for entry in sorted(best, reverse=True)]

    def within(self, anchor: Position, radius_m: float) -> list[Candidate]:
        """Every item within ``radius_m`` of ``anchor``."""
        distance = distance_from(anchor)
        width = min(CELL_LAT, CELL_LON * math.cos(math.radians(anchor.lat))) * _DEGREE_M
        found = []
        for cells in _rings(_cell(anchor), last=int(radius_m // width) + 1):
            for cell in cells:
                for item in self.grid.get(cell, ()):
                    assert item.position is not None
                    if distance(item.position) <= radius_m:
                        found.append(item)
        return found


def _static(item: Candidate, at: datetime, children: bool) -> float:
    """The promise's terms but wish and distance, for a party with or without children."""
    value = WEIGHTS.boost * item.boost
    if children and "family" in item.wishes:
        value += WEIGHTS.children
    if item.updated_at is not None:
        age = max(0.0, (at - item.updated_at).total_seconds())
        value += WEIGHTS.freshness * math.exp(-age / (WEIGHTS.freshness_scale_days * 86400))
    return value


class Index:
    """A catalogue's candidates arranged for :meth:`shortlist` (build once, read many times)."""

    def __init__(self, candidates: Iterable[Candidate], reference: datetime) -> None:
        """``reference``: the time the index is made (freshness is read then)."""
        self.candidates: tuple[Candidate, ...] = tuple(candidates)
        # Each id's place in id order: ties between equal promises go to the smaller id.
        self.rank = {c.id: n for n, c in enumerate(sorted(self.candidates, key=lambda c: c.id))}
        offers = [c for c in self.candidates if c.commercial]
        events = [c for c in self.candidates if c.kind == "event"]
        places = [c for c in self.candidates if not c.commercial and c.kind != "event"]
        self.anywhere = tuple(o for o in offers if _trigger(o) == "anywhere")
        self.offers_at: dict[str, list[Candidate]] = defaultdict(list)
        located = []
        for offer in offers:
            if _trigger(offer) != "anywhere":
                if offer.site_id is not None:
                    self.offers_at[offer.site_id].append(offer)
                located.append(offer)
        self.located_offers = _Places(located, reference, self.rank)
        dated = []
        for event in events:
            bounds = span(event.periods)
            if bounds is not None:
                first, last = bounds
                dated.append(
                    _Event(_day(last, 1), _day(first, 0), first, _first_minute(event, first), event)
                )
        dated.sort(key=lambda e: (e.last, e.candidate.id))
        self.events = tuple(dated)
        self._event_ends = [e.last for e in dated]
        self.places = _Places(places, reference, self.rank)
        self.by_wish = {
            wish: _Places((p for p in places if wish in p.wishes), reference, self.rank)
            for wish in WISHES
        }
        self.by_pair = {
            frozenset(pair): _Places(
                (p for p in places if set(pair) <= p.wishes), reference, self.rank
            )
            for pair in combinations(WISHES, 2)
        }
        self.at_site: dict[str, list[Candidate]] = defaultdict(list)
        for place in places:
            if place.site_id is not None:
                self.at_site[place.site_id].append(place)

    def __len__(self) -> int:
        return len(self.candidates)

    def shortlist(
        self,
        context: VisitorContext,
        policy: DestinationPolicy,
        covisitation: CoVisitation | None = None,
    ) -> list[Candidate]:
        """The candidates worth ranking for ``context`` (each once, in a stable order)."""
        profile = profile_of(context)
        chosen: dict[str, Candidate] = {}

        def take(found: Iterable[Candidate]) -> None:
            for candidate in found:
                chosen.setdefault(candidate.id, candidate)

        here = profile.present_site
        if here is not None:
            take(self.offers_at.get(here.site_id, ()))
            take(self.located_offers.within(here.position, policy.nearby_radius_m))
        anchor = profile.anchor
        position = anchor.position if anchor is not None else None
        now, kids = context.now, profile.with_children
        promise = _promise(profile, position, now)
        reaches = (o for o in self.anywhere if may_target(o, context, profile, policy))
        rank = self.rank
        take(heapq.nlargest(OFFERS, reaches, key=lambda o: (promise(o), -rank[o.id])))
        take(self._events(context, policy, promise))
        # An item matching one of the visitor's wishes is found in that wish's list (where the
        # wish term is at most one share); one matching two or more, in a pair's list.
        wishes = sorted(profile.wishes)
        share = WEIGHTS.wish / len(wishes) if wishes else 0.0
        for wish in wishes:
            take(self.by_wish[wish].best(promise, position, now, PER_LIST, share, kids))
        for pair in combinations(wishes, 2):
            places = self.by_pair[frozenset(pair)]
            take(places.best(promise, position, now, PER_LIST, WEIGHTS.wish, kids))
        # Among all, by the promise without wishes: the wish lists above found the others.
        unwished = _promise(replace(profile, wishes=frozenset()), position, now)
        take(self.places.best(unwished, position, now, PER_LIST, 0.0, kids))
        if anchor is not None:
            take(self.places.within(anchor.position, policy.nearby_radius_m))
            if anchor.site_id is not None:
                take(self.at_site.get(anchor.site_id, ()))
                pairs = (covisitation or {}).get(anchor.site_id, {})
                top = sorted(pairs.items(), key=lambda p: (-p[1], p[0]))[:COVISITED_SITES]
                for site, _ in top:
                    take(self.at_site.get(site, ()))
        return list(chosen.values())

    def _events(
        self, context: VisitorContext, policy: DestinationPolicy, promise: Promise
    ) -> list[Candidate]:
        """The best :data:`EVENTS` of the window by promise plus "soon" at its most."""
        start, end = window(context, policy)
        at = bisect.bisect_right(self._event_ends, start)
        during = [e for e in self.events[at:] if e.first < end]

        def upper(event: _Event) -> float:
            begins = datetime.combine(event.day, time(), policy.zone) + timedelta(
                minutes=event.minute
            )
            hours = max(0.0, (begins - start).total_seconds() / 3600)
            soon = WEIGHTS.soon * math.exp(-hours / WEIGHTS.soon_scale_h)
            return promise(event.candidate) + soon

        scored = [(upper(e), e) for e in during]
        if len(scored) > EVENTS:
            # The cut's value, and every event tied with it: equal scores are decided by
            # diversity in the engine, not by any order retrieval could know.
            cut = heapq.nlargest(EVENTS, (value for value, _ in scored))[-1] - 1e-9
            scored = [(value, e) for value, e in scored if value >= cut]
        best = [e for _, e in scored]
        return [e.candidate for e in best]


def _first_minute(event: Candidate, first: date) -> int:
    """The earliest start time of the periods that begin on ``first`` (0 when one has none)."""
    starts = [
        minutes(period.start_time) if period.start_time is not None else 0
        for period in event.periods
        if period.start == first
    ]
    return min(starts, default=0)


def _day(day: date, plus: int) -> datetime:
    """Midnight UTC of ``day`` + ``plus`` days, widened by a day each way for time zones."""
    widened = day + timedelta(days=plus + (1 if plus else -1))
    return datetime.combine(widened, time(), UTC)


def _promise(profile: Profile, anchor: Position | None, now: datetime) -> Promise:
    """The promise function for this visitor."""
    wishes = profile.wishes
    share = WEIGHTS.wish / len(wishes) if wishes else 0.0
    children = WEIGHTS.children if profile.with_children else 0.0
    distance = distance_from(anchor) if anchor is not None else None
    stamp = now.timestamp()
    fresh_scale = WEIGHTS.freshness_scale_days * 86400

    def promise(candidate: Candidate) -> float:
        value = WEIGHTS.boost * candidate.boost
        if wishes:
            value += share * len(candidate.wishes & wishes)
        if children and "family" in candidate.wishes:
            value += children
        if candidate.updated_at is not None:
            age = max(0.0, stamp - candidate.updated_at.timestamp())
            value += WEIGHTS.freshness * math.exp(-age / fresh_scale)
        if distance is not None and candidate.position is not None:
            value += WEIGHTS.distance * math.exp(
                -distance(candidate.position) / WEIGHTS.distance_scale_m
            )
        return value

    return promise


def _trigger(offer: Candidate) -> str:
    assert offer.offer is not None
    return offer.offer.targeting.trigger


def _rings(center: Cell, last: int | None = None) -> Iterator[Sequence[Cell]]:
    """The cells around ``center`` ring by ring (ring 0 is the centre), up to ``last``: ring r
    is the border of the (2r+1)-cell square, its 8r cells listed directly."""
    row, column = center
    yield [center]
    radius = 1
    while last is None or radius <= last:
        span = range(column - radius, column + radius + 1)
        sides = range(row - radius + 1, row + radius)
        yield [
            *((row - radius, c) for c in span),
            *((row + radius, c) for c in span),
            *((r, column - radius) for r in sides),
            *((r, column + radius) for r in sides),
        ]
        radius += 1
