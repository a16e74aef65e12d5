"""Retrieval: the candidates worth ranking for one visitor, out of a whole catalogue
(docs/roadbook-engine.md § Retrieval).

Ranking (:func:`roadbook.engine.pipeline.build_roadbook`) reads every candidate it is given, at
some microseconds each: fine for a few hundred, too slow for a department's 20,000 items on
every request. So the roadbook is built in two stages, as recommenders are: an :class:`Index`
made once per catalogue, then, per request, a shortlist from it that the engine ranks.

A candidate's *promise* is its score without the terms that need its planned time or the
co-visitation table: wish match, children, distance from the anchor (0 at the anchor's site),
editorial boost and freshness (roadbook.engine.scoring, same weights). The index holds the
catalogue as columns (numpy), so a request scores every item's promise at once, then keeps:

- the partner offers that can apply here: the "at my site" and "nearby" offers of the site the
  visitor (or the widget's page) is at and of the sites around it, and the :data:`OFFERS`
  "anywhere" offers with the best promise among those whose targeting reaches the visitor
  (``filters.may_target``); the others cannot pass the engine's targeting rule, and no more
  than ``commercial_per_day`` offers a day are shown;
- the :data:`EVENTS` events of the planned window with the best promise (an event's "soon"
  counted at its most for the day it starts), and every event tied with the last;
- every place and tour within the destination's nearby radius of the anchor; beyond it, the
  :data:`PER_LIST` with the best promise among those of each of the visitor's wishes, of each
  pair of them, and among all by the promise without wishes;
- when the stay goes on after today, the :data:`PER_LIST` best among those (beyond the radius)
  closed for the rest of today: they can only land in the "during your stay" section, where
  they compete with each other, not with today's best;
- the items at the anchor's site and at the :data:`COVISITED_SITES` sites most co-visited with
  it.

What is left out would need its planned time or co-visitation to overtake sixty better
promises: a bet, not a proof. ``tests/roadbook/test_engine_retrieval.py`` checks that the
shortlisted roadbook equals the full one for the visitors of seeded synthetic destinations,
and ``bench/README.md`` reports both the speed and that agreement.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import combinations

import numpy as np
import numpy.typing as npt

from crm.core.vocabulary import WISHES
from roadbook.content.hours import minutes, on_day, span
from roadbook.engine.filters import may_target
from roadbook.engine.geo import EARTH_RADIUS_M
from roadbook.engine.inputs import (
    Candidate,
    CoVisitation,
    DestinationPolicy,
    Position,
    VisitorContext,
)
from roadbook.engine.planning import window
from roadbook.engine.profile import Anchor, Profile, profile_of
from roadbook.engine.scoring import WEIGHTS

PER_LIST = 60
OFFERS = 60
EVENTS = 150
COVISITED_SITES = 10

Floats = npt.NDArray[np.float64]
Picks = npt.NDArray[np.intp]
_BIT = {wish: 1 << n for n, wish in enumerate(WISHES)}


def _bits(wishes: Iterable[str]) -> int:
    return sum(_BIT[wish] for wish in set(wishes))


class _Table:
    """Candidates as columns, to score all of them at once (numpy) for one visitor."""

    def __init__(self, items: Iterable[Candidate], sites: dict[str, int]) -> None:
        """``sites``: a number for each site id, shared by the index's tables (grows)."""
        self.items = tuple(items)
        items = self.items
        self.sites = sites
        self.site = np.array(
            [sites.setdefault(c.site_id, len(sites)) if c.site_id else -1 for c in items],
            dtype=np.int64,
        )
        self.boost = np.array([c.boost for c in items], dtype=np.float64)
        self.wishes = np.array([_bits(c.wishes) for c in items], dtype=np.int64)
        self.family = (self.wishes & _BIT["family"]) != 0
        self.updated = np.array(
            [c.updated_at.timestamp() if c.updated_at else math.nan for c in items],
            dtype=np.float64,
        )
        lat = np.array([c.position.lat if c.position else math.nan for c in items])
        self.lon = np.array([c.position.lon if c.position else math.nan for c in items])
        self.lat = np.radians(lat)
        self.cos_lat = np.cos(self.lat)
        # Each item's place in id order: ties between equal promises go to the smaller id, as
        # in the engine (only items of one table are ever compared).
        self.rank = np.empty(len(items), dtype=np.int64)
        self.rank[sorted(range(len(items)), key=lambda row: items[row].id)] = np.arange(len(items))

    def __len__(self) -> int:
        return len(self.items)

    def distances(self, anchor: Position, site_id: str | None = None) -> Floats:
        """Each item's distance from ``anchor`` in metres, as the engine's score reads it: 0 at
        the anchor's site ``site_id``, else haversine (roadbook.engine.geo); NaN: unknown."""
        lat1 = math.radians(anchor.lat)
        h = (
            np.sin((self.lat - lat1) / 2) ** 2
            + math.cos(lat1) * self.cos_lat * np.sin(np.radians(self.lon - anchor.lon) / 2) ** 2
        )
        found: Floats = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        if site_id is not None and site_id in self.sites:
            found[self.site == self.sites[site_id]] = 0.0
        return found

    def promise(self, profile: Profile, distance: Floats | None, now: datetime) -> Floats:
        """Each item's promise for the visitor, without the wish term (see :meth:`wished`)."""
        value = WEIGHTS.boost * self.boost
        if profile.with_children:
            value = value + WEIGHTS.children * self.family
        age = np.maximum(0.0, now.timestamp() - self.updated)
        fresh = WEIGHTS.freshness * np.exp(-age / (WEIGHTS.freshness_scale_days * 86400))
        value = value + np.nan_to_num(fresh, nan=0.0)
        if distance is not None:
            near = WEIGHTS.distance * np.exp(-distance / WEIGHTS.distance_scale_m)
            value = value + np.nan_to_num(near, nan=0.0)
        return value

    def wished(self, profile: Profile) -> Floats:
        """Each item's wish term: the visitor's share of each wish it matches."""
        if not profile.wishes:
            return np.zeros(len(self.items))
        share = WEIGHTS.wish / len(profile.wishes)
        matches = np.bitwise_count(self.wishes & _bits(profile.wishes))
        return np.asarray(share * matches, dtype=np.float64)

    def best(self, values: Floats, among: npt.NDArray[np.bool_] | None, count: int) -> Picks:
        """The rows of the ``count`` best ``values`` (``among`` those rows only), best first,
        ties to the smaller id."""
        rows = np.arange(len(values)) if among is None else np.flatnonzero(among)
        if len(rows) > count:
            cut = np.partition(values[rows], len(rows) - count)[len(rows) - count]
            rows = rows[values[rows] >= cut]
        order = np.lexsort((self.rank[rows], -values[rows]))
        return rows[order[:count]]

    def take(self, rows: Iterable[int]) -> list[Candidate]:
        items = self.items
        return [items[row] for row in rows]


class Index:
    """A catalogue's candidates arranged for :meth:`shortlist` (build once, read many times)."""

    def __init__(
        self, candidates: Iterable[Candidate], reference: datetime, zone: tzinfo | None = None
    ) -> None:
        """``reference``: the time the index is made; with the destination's ``zone``, what
        each request would otherwise read once for the day (a tenth of a second for 20,000
        items) is read here, off the requests' path (:meth:`prepare`)."""
        self.candidates: tuple[Candidate, ...] = tuple(candidates)
        events = [c for c in self.candidates if c.kind == "event"]
        places = [c for c in self.candidates if not c.commercial and c.kind != "event"]
        self._sites: dict[str, int] = {}
        self._offer_tables(c for c in self.candidates if c.commercial)
        dated = [(event, span(event.periods)) for event in events]
        self.events = _Table((event for event, b in dated if b is not None), self._sites)
        bounds = [b for _, b in dated if b is not None]
        # Each event's dates widened by a day each way (as instants, whatever the time zone).
        self._first = np.array([_day(first, 0) for first, _ in bounds], dtype=np.float64)
        self._last = np.array([_day(last, 1) for _, last in bounds], dtype=np.float64)
        # When its earliest period begins: a local date and minutes after midnight.
        self._begins_on = [
            (first, _first_minute(event, first))
            for event, (first, _) in zip(self.events.items, bounds, strict=True)
        ]
        self._begins: dict[tzinfo, Floats] = {}
        self._closing: dict[tuple[tzinfo, date], Floats] = {}
        self.places = _Table(places, self._sites)
        self.at_site: dict[str, list[Candidate]] = defaultdict(list)
        for place in places:
            if place.site_id is not None:
                self.at_site[place.site_id].append(place)
        if zone is not None:
            self.prepare(zone, reference)

    def _offer_tables(self, offers: Iterable[Candidate]) -> None:
        offers = list(offers)
        self.anywhere = _Table((o for o in offers if _trigger(o) == "anywhere"), self._sites)
        self.located = _Table((o for o in offers if _trigger(o) != "anywhere"), self._sites)
        self.offers_at: dict[str, list[Candidate]] = defaultdict(list)
        for offer in self.located.items:
            if offer.site_id is not None:
                self.offers_at[offer.site_id].append(offer)

    def with_offers(
        self, offers: Iterable[Candidate], reference: datetime, zone: tzinfo | None = None
    ) -> Index:
        """This catalogue with other offers (the live ones at ``reference``): the catalogue's
        columns are shared, only the offers' are made."""
        fresh = copy.copy(self)
        offers = tuple(offers)
        fresh.candidates = (*(c for c in self.candidates if not c.commercial), *offers)
        fresh._offer_tables(offers)
        if zone is not None:
            fresh.prepare(zone, reference)
        return fresh

    def prepare(self, zone: tzinfo, at: datetime) -> None:
        """Read now what requests in ``zone`` would read on the local day of ``at`` and the
        next: when each event begins, when each place last closes."""
        self._begins_at(zone)
        today = at.astimezone(zone).date()
        for day in (today, today + timedelta(days=1)):
            self._closes(zone, day)

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

        radius = policy.nearby_radius_m
        here = profile.present_site
        if here is not None:
            take(self.offers_at.get(here.site_id, ()))
            near = self.located.distances(here.position) <= radius
            take(self.located.take(np.flatnonzero(near)))
        anchor = profile.anchor
        now = context.now
        take(self._offers(context, policy, profile, anchor))
        take(self._events(context, policy, profile, anchor))
        places = self.places
        distance = _distances(places, anchor)
        # Everything within the nearby radius is taken whole; the lists rank the rest.
        near = distance <= radius if distance is not None else np.zeros(len(places), bool)
        take(places.take(np.flatnonzero(near)))
        beyond = ~near
        unwished = places.promise(profile, distance, now)
        promise = unwished + places.wished(profile)
        # Per wish and per pair of wishes: an item matching one of the visitor's wishes is
        # found in that wish's list; one matching two or more, in a pair's list.
        wishes = sorted(profile.wishes)
        for wish in wishes:
            matching = beyond & ((places.wishes & _BIT[wish]) != 0)
            take(places.take(places.best(promise, matching, PER_LIST)))
        for pair in combinations(wishes, 2):
            both = _bits(pair)
            matching = beyond & ((places.wishes & both) == both)
            take(places.take(places.best(promise, matching, PER_LIST)))
        # Among all, by the promise without wishes: the wish lists above found the others.
        take(places.take(places.best(unwished, beyond, PER_LIST)))
        # Those closed for the rest of today can only be planned on a later day, where they
        # compete with each other, not with today's best.
        start, end = window(context, policy)
        local = start.astimezone(policy.zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(), policy.zone)
        if end > midnight:
            resting = beyond & (self._closes(policy.zone, local.date()) <= start.timestamp())
            take(places.take(places.best(promise, resting, PER_LIST)))
        if anchor is not None and anchor.site_id is not None:
            take(self.at_site.get(anchor.site_id, ()))
            pairs = (covisitation or {}).get(anchor.site_id, {})
            top = sorted(pairs.items(), key=lambda p: (-p[1], p[0]))[:COVISITED_SITES]
            for site, _ in top:
                take(self.at_site.get(site, ()))
        return list(chosen.values())

    def _offers(
        self,
        context: VisitorContext,
        policy: DestinationPolicy,
        profile: Profile,
        anchor: Anchor | None,
    ) -> list[Candidate]:
        """The :data:`OFFERS` "anywhere" offers with the best promise that may target the
        visitor."""
        offers = self.anywhere
        if not len(offers):
            return []
        values = _promise(offers, profile, anchor, context.now)
        found = []
        for row in offers.best(values, None, len(offers)):
            offer = offers.items[row]
            if may_target(offer, context, profile, policy):
                found.append(offer)
                if len(found) == OFFERS:
                    break
        return found

    def _events(
        self,
        context: VisitorContext,
        policy: DestinationPolicy,
        profile: Profile,
        anchor: Anchor | None,
    ) -> list[Candidate]:
        """The best :data:`EVENTS` of the window by promise plus "soon" at its most, with
        every event tied with the last one (equal scores are decided by diversity, later)."""
        events = self.events
        if not len(events):
            return []
        start, end = window(context, policy)
        during = (self._last > start.timestamp()) & (self._first < end.timestamp())
        if not during.any():
            return []
        values = _promise(events, profile, anchor, context.now)
        hours = np.maximum(0.0, (self._begins_at(policy.zone) - start.timestamp()) / 3600)
        values = values + WEIGHTS.soon * np.exp(-hours / WEIGHTS.soon_scale_h)
        rows = np.flatnonzero(during)
        if len(rows) > EVENTS:
            cut = np.partition(values[rows], len(rows) - EVENTS)[len(rows) - EVENTS] - 1e-9
            rows = rows[values[rows] >= cut]
        return events.take(rows)

    def _closes(self, zone: tzinfo, day: date) -> Floats:
        """When each place last closes on the local ``day`` (-inf: it does not open that day;
        inf: it may, its hours say nothing of that day or it has none). Read once per day."""
        found = self._closing.get((zone, day))
        if found is None:
            found = np.full(len(self.places), math.inf)
            for row, place in enumerate(self.places.items):
                if place.hours is not None and place.hours.rules:
                    answer = on_day(place.hours, day, zone)
                    if answer.open is False:
                        found[row] = -math.inf
                    elif answer.until is not None:
                        found[row] = answer.until.timestamp()
            self._closing[zone, day] = found
        return found

    def _begins_at(self, zone: tzinfo) -> Floats:
        """When each event's earliest period begins, as a timestamp (read once per zone)."""
        found = self._begins.get(zone)
        if found is None:
            found = np.array(
                [
                    (datetime.combine(day, time(), zone) + timedelta(minutes=minute)).timestamp()
                    for day, minute in self._begins_on
                ],
                dtype=np.float64,
            )
            self._begins[zone] = found
        return found


def _distances(table: _Table, anchor: Anchor | None) -> Floats | None:
    return table.distances(anchor.position, anchor.site_id) if anchor is not None else None


def _promise(table: _Table, profile: Profile, anchor: Anchor | None, now: datetime) -> Floats:
    """Each item's whole promise for the visitor, its wish term included."""
    return table.promise(profile, _distances(table, anchor), now) + table.wished(profile)


def _first_minute(event: Candidate, first: date) -> int:
    """The earliest start time of the periods that begin on ``first`` (0 when one has none)."""
    starts = [
        minutes(period.start_time) if period.start_time is not None else 0
        for period in event.periods
        if period.start == first
    ]
    return min(starts, default=0)


def _day(day: date, plus: int) -> float:
    """Midnight UTC of ``day`` + ``plus`` days, widened by a day each way for time zones."""
    widened = day + timedelta(days=plus + (1 if plus else -1))
    return datetime.combine(widened, time(), UTC).timestamp()


def _trigger(offer: Candidate) -> str:
    assert offer.offer is not None
    return offer.offer.targeting.trigger
