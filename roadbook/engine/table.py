"""Candidates as columns: what scoring, the hard filters and retrieval read of each candidate,
held as numpy arrays so that one request reads all of them at once (docs/roadbook-engine.md
§ Speed).

A :class:`Table` is made once per catalogue (roadbook.engine.retrieval.Index keeps one per
kind of candidate) or, for a plain list of candidates, once per roadbook. A request names the
rows it ranks (:class:`Rows`): the engine scores them with a few array operations instead of
a few microseconds of Python each.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from crm.core.vocabulary import LANGUAGES, WISHES
from roadbook.engine.geo import EARTH_RADIUS_M
from roadbook.engine.inputs import Candidate, Position

Floats = npt.NDArray[np.float64]
Picks = npt.NDArray[np.intp]
Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
_BIT = {wish: 1 << n for n, wish in enumerate(WISHES)}
# Derived columns a table keeps (Table.kept), the most recently read: a 20,000-item table's
# distances from 128 anchors take ~40 MB.
KEPT_COLUMNS = 128
T = TypeVar("T")
_UNREAD = object()


@functools.cache
def wish_bits(wishes: frozenset[str] | tuple[str, ...]) -> int:
    """The wishes as one integer, a bit each (WISHES order); kept per set (there are few)."""
    return sum(_BIT[wish] for wish in set(wishes))


def _language_bits(languages: Iterable[str]) -> int:
    return sum(1 << LANGUAGES.index(language) for language in set(languages))


def language_bit(language: str) -> int:
    return 1 << LANGUAGES.index(language)


def _readable(candidate: Candidate) -> bool:
    """Whether the title has a text in one of the languages (text.localize falls back through
    all four, so one is enough)."""
    title = candidate.title
    return any(title.get(language) for language in LANGUAGES)


def _begins(candidate: Candidate) -> float:
    if candidate.kind != "event" or not candidate.periods:
        return math.nan
    first = min(period.start for period in candidate.periods) - timedelta(days=1)
    return datetime.combine(first, time(), UTC).timestamp()


class Table:
    """Candidates as columns, to score and filter all of them at once for one visitor."""

    def __init__(self, items: Iterable[Candidate], sites: dict[str, int] | None = None) -> None:
        """``sites``: a number for each site id, shared by the tables of one index (grows)."""
        self.items = tuple(items)
        items = self.items
        self.sites = {} if sites is None else sites
        sites = self.sites
        self.site = np.array(
            [sites.setdefault(c.site_id, len(sites)) if c.site_id else -1 for c in items],
            dtype=np.int64,
        )
        self.boost = np.array([c.boost for c in items], dtype=np.float64)
        self.wishes = np.array([wish_bits(c.wishes) for c in items], dtype=np.int64)
        self.family = (self.wishes & _BIT["family"]) != 0
        self.updated = np.array(
            [c.updated_at.timestamp() if c.updated_at else math.nan for c in items],
            dtype=np.float64,
        )
        lat = np.array([c.position.lat if c.position else math.nan for c in items])
        self.lon = np.array([c.position.lon if c.position else math.nan for c in items])
        self.lat = np.radians(lat)
        self.cos_lat = np.cos(self.lat)
        self.event = np.array([c.kind == "event" for c in items], dtype=np.bool_)
        # No occurrence of an event starts before this instant: the day before its first
        # date, at midnight UTC (earlier than that date's midnight in any time zone); NaN for
        # the others.
        self.begins = np.array(
            [_begins(c) if c.kind == "event" else math.nan for c in items], dtype=np.float64
        )
        self.has_events = bool(self.event.any())
        self.commercial = np.array([c.commercial for c in items], dtype=np.bool_)
        self.readable = np.array([_readable(c) for c in items], dtype=np.bool_)
        self._kept: dict[Hashable, Any] = {}
        self._lock = threading.Lock()
        self._row_of: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.items)

    def ready(self) -> Table:
        """This table with the columns made when first read made now (an index's tables are
        made off the requests' path)."""
        _ = self.rank, self._targeting
        return self

    @functools.cached_property
    def rank(self) -> Ints:
        """Each item's place in id order: ties between equal promises go to the smaller id, as
        in the engine (only items of one table are ever compared)."""
        ids = [candidate.id for candidate in self.items]
        rank = np.empty(len(ids), dtype=np.int64)
        rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
        return rank

    @functools.cached_property
    def _targeting(self) -> tuple[Ints, Ints, Ints]:
        """An offer's targeting on the profile (filters.may_target reads the same): languages
        and wishes as bits (0: everyone), the party (-1: everyone, 0: without, 1: with
        children); 0, 0 and -1 for the others."""
        targets = [c.offer.targeting if c.offer is not None else None for c in self.items]
        return (
            np.array([_language_bits(t.languages) if t else 0 for t in targets], np.int64),
            np.array([wish_bits(t.wishes) if t else 0 for t in targets], np.int64),
            np.array(
                [
                    -1 if t is None or t.with_children is None else int(t.with_children)
                    for t in targets
                ],
                np.int64,
            ),
        )

    def distances(
        self, anchor: Position, site_id: str | None = None, rows: Picks | None = None
    ) -> Floats:
        """The distance of each item (of ``rows``) from ``anchor`` in metres: 0 at the anchor's
        site ``site_id``, else haversine, the same arithmetic as roadbook.engine.geo; NaN:
        unknown."""
        pick: Picks | slice = slice(None) if rows is None else rows
        lat1 = math.radians(anchor.lat)
        lat, lon = self.lat[pick], self.lon[pick]
        h = (
            np.sin((lat - lat1) / 2) ** 2
            + math.cos(lat1) * self.cos_lat[pick] * np.sin(np.radians(lon - anchor.lon) / 2) ** 2
        )
        found: Floats = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        if site_id is not None and site_id in self.sites:
            found[self.site[pick] == self.sites[site_id]] = 0.0
        return found

    def kept(self, key: Hashable, compute: Callable[[Table], T]) -> T:
        """``compute(self)``, kept under ``key`` for the next requests (columns derived for a
        request that others read again: a site's distances to every item, when each place
        last closes today). The :data:`KEPT_COLUMNS` read most recently are kept. Safe from
        several threads (the shelf prepares a new day's columns in a worker thread): the
        computing is done outside the lock, at worst twice."""
        with self._lock:
            found = self._kept.pop(key, _UNREAD)
            if found is not _UNREAD:
                self._kept[key] = found  # the most recently read, last
                return found  # type: ignore[no-any-return]
        found = compute(self)
        with self._lock:
            while len(self._kept) >= KEPT_COLUMNS:
                del self._kept[next(iter(self._kept))]  # the least recently read
            self._kept[key] = found
        return found

    def peek(self, key: Hashable) -> Any:
        """What :meth:`kept` keeps under ``key``, or ``None``."""
        with self._lock:
            return self._kept.get(key)

    def reaching(self, language: str, wishes: frozenset[str], with_children: bool) -> Mask:
        """Which offers' targeting on the profile lets them reach a visitor reading
        ``language`` with these ``wishes`` and party (filters.may_target reads the same, and
        has the last word: it also reads the consent)."""
        languages, for_wishes, party = self._targeting
        reaches: Mask = (languages == 0) | (languages & language_bit(language) != 0)
        reaches &= (for_wishes == 0) | (for_wishes & wish_bits(wishes) != 0)
        reaches &= (party < 0) | (party == int(with_children))
        return reaches

    def rows_of(self, ids: Iterable[str]) -> Picks:
        """The rows of the items with these ids."""
        if self._row_of is None:
            self._row_of = {candidate.id: row for row, candidate in enumerate(self.items)}
        row_of = self._row_of
        return np.array([row_of[id_] for id_ in ids if id_ in row_of], dtype=np.intp)

    def at_sites(self, site_ids: Iterable[str], rows: Picks) -> Mask:
        """Which items of ``rows`` are at one of ``site_ids``."""
        numbers = [self.sites[site] for site in site_ids if site in self.sites]
        return np.isin(self.site[rows], numbers)

    def best(self, values: Floats, among: Mask | None, count: int) -> Picks:
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


@dataclass(frozen=True, slots=True)
class Rows:
    """Some rows of a table."""

    table: Table
    rows: Picks

    def __len__(self) -> int:
        return len(self.rows)

    def candidates(self) -> Iterator[Candidate]:
        items = self.table.items
        return (items[row] for row in self.rows.tolist())


@dataclass(frozen=True, slots=True)
class Shortlist:
    """What one roadbook ranks: rows of some tables, each candidate once (retrieval's answer;
    iterating it gives the candidates)."""

    parts: tuple[Rows, ...]

    @classmethod
    def of(cls, candidates: Iterable[Candidate]) -> Shortlist:
        """Every one of ``candidates``, as the rows of a table made of them."""
        table = Table(candidates)
        return cls((Rows(table, np.arange(len(table))),))

    def __iter__(self) -> Iterator[Candidate]:
        for part in self.parts:
            yield from part.candidates()

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def without(self, rows_of: Callable[[Table], Picks]) -> Shortlist:
        """The candidates but the rows ``rows_of(table)`` of each table."""
        parts = []
        for part in self.parts:
            gone = rows_of(part.table)
            parts.append(
                Rows(part.table, part.rows[~np.isin(part.rows, gone)]) if len(gone) else part
            )
        return Shortlist(tuple(parts))
