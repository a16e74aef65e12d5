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
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import combinations

import numpy as np

from roadbook.content.hours import minutes, span
from roadbook.engine.filters import may_target
from roadbook.engine.inputs import Candidate, CoVisitation, DestinationPolicy, VisitorContext
from roadbook.engine.planning import closes_key, closings, window
from roadbook.engine.profile import Profile, profile_of
from roadbook.engine.scoring import WEIGHTS, WISH, Scorer
from roadbook.engine.table import (
    Floats,
    Picks,
    Rows,
    Shortlist,
    Table,
    wish_bits,
)

PER_LIST = 60
OFFERS = 60
EVENTS = 150
COVISITED_SITES = 10


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
        self.events = Table((event for event, b in dated if b is not None), self._sites).ready()
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
        # The most co-visited sites from each site, for the last co-visitation table read (the
        # job's table is re-read now and then: a new one starts afresh).
        self._covisited: tuple[CoVisitation | None, dict[str, list[str]]] = (None, {})
        self.places = Table(places, self._sites).ready()
        self.at_site = _by_site(self.places)
        if zone is not None:
            self.prepare(zone, reference)

    def _offer_tables(self, offers: Iterable[Candidate]) -> None:
        offers = list(offers)
        anywhere = (o for o in offers if _trigger(o) == "anywhere")
        self.anywhere = Table(anywhere, self._sites).ready()
        self.located = Table((o for o in offers if _trigger(o) != "anywhere"), self._sites).ready()
        self.offers_at = _by_site(self.located)

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
    ) -> Shortlist:
        """The candidates worth ranking for ``context`` (each once), as rows of the index's
        tables."""
        profile = profile_of(context)
        scorer = Scorer(profile, {}, context.now)  # the promise: no co-visitation term
        radius = policy.nearby_radius_m
        located: list[Picks] = []
        here = profile.present_site
        if here is not None:
            located.append(self.offers_at.get(here.site_id, _NONE))
            located.append(np.flatnonzero(self.located.distances(here.position) <= radius))
        places = self.places
        terms = scorer.terms(places)
        # Everything within the nearby radius is taken whole (an unknown distance is NaN, never
        # near); the lists rank the rest.
        near = terms.distance <= radius
        chosen: list[Picks] = [np.flatnonzero(near)]
        beyond = ~near
        promise = terms.promise
        unwished = promise - terms.values[WISH]
        # Per wish and per pair of wishes: an item matching one of the visitor's wishes is
        # found in that wish's list; one matching two or more, in a pair's list.
        wishes = sorted(profile.wishes)
        for group in [*((wish,) for wish in wishes), *combinations(wishes, 2)]:
            both = wish_bits(group)
            matching = beyond & ((places.wishes & both) == both)
            chosen.append(places.best(promise, matching, PER_LIST))
        # Among all, by the promise without wishes: the wish lists above found the others.
        chosen.append(places.best(unwished, beyond, PER_LIST))
        # Those closed for the rest of today can only be planned on a later day, where they
        # compete with each other, not with today's best.
        start, end = window(context, policy)
        local = start.astimezone(policy.zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), time(), policy.zone)
        if end > midnight:
            resting = beyond & (self._closes(policy.zone, local.date()) <= start.timestamp())
            chosen.append(places.best(promise, resting, PER_LIST))
        anchor = profile.anchor
        if anchor is not None and anchor.site_id is not None:
            chosen.append(self.at_site.get(anchor.site_id, _NONE))
            top = self._most_covisited(covisitation, anchor.site_id) if covisitation else []
            chosen += [self.at_site.get(site, _NONE) for site in top]
        return Shortlist(
            (
                Rows(self.located, _union(located)),
                Rows(self.anywhere, self._offers(context, policy, profile, scorer)),
                Rows(self.events, self._events(context, policy, scorer)),
                Rows(places, _union(chosen)),
            )
        )

    def _most_covisited(self, covisitation: CoVisitation, site_id: str) -> list[str]:
        """The :data:`COVISITED_SITES` sites most co-visited with ``site_id`` (ties to the
        smaller id), sorted once per site and table."""
        table, kept = self._covisited
        if table is not covisitation:
            table, kept = self._covisited = (covisitation, {})
        found = kept.get(site_id)
        if found is None:
            pairs = covisitation.get(site_id, {})
            top = sorted(pairs.items(), key=lambda p: (-p[1], p[0]))[:COVISITED_SITES]
            found = kept[site_id] = [site for site, _ in top]
        return found

    def _offers(
        self, context: VisitorContext, policy: DestinationPolicy, profile: Profile, scorer: Scorer
    ) -> Picks:
        """The :data:`OFFERS` "anywhere" offers with the best promise that may target the
        visitor."""
        offers = self.anywhere
        found: list[int] = []
        if not len(offers):
            return np.array(found, dtype=np.intp)
        # Screened on the targeting columns first: may_target has the last word.
        reaches = offers.reaching(context.language, profile.wishes, profile.with_children)
        promise = scorer.terms(offers).promise

        def best_first() -> Iterator[int]:
            # Most are taken among the first few: the rest is sorted only when they are not.
            first = offers.best(promise, reaches, 2 * OFFERS)
            yield from first.tolist()
            if len(first) == 2 * OFFERS:
                yield from offers.best(promise, reaches, len(offers))[len(first) :].tolist()

        for row in best_first():
            if may_target(offers.items[row], context, profile, policy):
                found.append(row)
                if len(found) == OFFERS:
                    break
        return np.array(found, dtype=np.intp)

    def _events(self, context: VisitorContext, policy: DestinationPolicy, scorer: Scorer) -> Picks:
        """The best :data:`EVENTS` of the window by promise plus "soon" at its most, with
        every event tied with the last one (equal scores are decided by diversity, later)."""
        events = self.events
        start, end = window(context, policy)
        during = (self._last > start.timestamp()) & (self._first < end.timestamp())
        rows = np.flatnonzero(during)
        if len(rows) <= EVENTS:
            return rows
        values = scorer.terms(events, rows).promise
        hours = np.maximum(0.0, (self._begins_at(policy.zone)[rows] - start.timestamp()) / 3600)
        values = values + WEIGHTS.soon * np.exp(-hours / WEIGHTS.soon_scale_h)
        cut = np.partition(values, len(rows) - EVENTS)[len(rows) - EVENTS] - 1e-9
        picked: Picks = rows[values >= cut]
        return picked

    def _closes(self, zone: tzinfo, day: date) -> Floats:
        """When each place last closes on the local ``day`` (planning.closing), read once per
        day; the engine reads it too (planning.closes_key)."""
        return self.places.kept(closes_key(zone, day), lambda table: closings(table, zone, day))

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


_NONE: Picks = np.array([], dtype=np.intp)


def _by_site(table: Table) -> dict[str, Picks]:
    """The rows of ``table`` at each site."""
    found: dict[str, list[int]] = defaultdict(list)
    for row, candidate in enumerate(table.items):
        if candidate.site_id is not None:
            found[candidate.site_id].append(row)
    return {site: np.array(rows, dtype=np.intp) for site, rows in found.items()}


def _union(found: Iterable[Picks]) -> Picks:
    """The rows in any of ``found``, each once, in order."""
    rows = list(found)
    return np.unique(np.concatenate(rows)) if rows else _NONE


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
