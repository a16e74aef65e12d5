"""When each candidate can be done during the stay: its planned time (docs/roadbook-engine.md).

A place or a tour is planned at the first moment, from now (or the start of the stay) to the end
of the stay (at most ``horizon_days`` ahead), when its hours do not say "closed":
``hours.is_open`` has the last word on every planned time, so nothing is ever planned when it is
closed. Hours that are silent on a day (``open is None``: no rule covers it) are "unknown", not
closed, as hours.py defines them; an item without hours is always "unknown". An event is
planned at its first occurrence that overlaps the same window (at now if it is under way). An
offer is planned now, or not at all: it must run now (validity, weekly schedule, its venue's
hours).

Opening hours are read to the wall-clock minute (roadbook.content.hours), so an answer holds
for every instant of its minute and for every visitor: a :class:`Planner` keeps the answers it
has read, and the roadbook service keeps one per catalogue (docs/roadbook-engine.md § Speed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal, TypeVar, TypeVarTuple, Unpack

import numpy as np

from roadbook.content.hours import (
    Answer,
    Occurrence,
    Period,
    Schedule,
    first_slot,
    is_open,
    minutes,
    occurrence,
    on_day,
    wall,
)
from roadbook.engine.inputs import Candidate, DestinationPolicy, VisitorContext
from roadbook.engine.table import Floats, Table

# How many answers a Planner keeps before it starts afresh (a few MB).
KEPT_ANSWERS = 200_000

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
_UNREAD = object()

Unplanned = Literal["closed", "not_happening", "outside_stay", "offer_not_valid"]


# Not frozen: a roadbook makes hundreds, and a frozen dataclass is made ~4x slower. Never
# changed once made.
@dataclass(slots=True)
class Slot:
    """A candidate's planned time, and what the reason line may say about it."""

    at: datetime
    # When the open slot, the event's occurrence or the offer ends (None: unknown).
    until: datetime | None = None
    # Whether the hours said "open" (False: unknown) and gave times (False: all day).
    open_known: bool = False
    hours_known: bool = False
    # An event's occurrence start (may be before ``at`` when it is under way).
    starts: datetime | None = None


def _local(day: date, clock_minutes: int, zone: tzinfo) -> datetime:
    wall = datetime.combine(day, time(), tzinfo=zone) + timedelta(minutes=clock_minutes)
    # Through UTC: a wall time in the spring-forward gap becomes the real instant.
    return wall.astimezone(UTC).astimezone(zone)


def _first(periods: tuple[Period, ...], after: int, zone: tzinfo) -> tuple[int, Occurrence] | None:
    slot = first_slot(periods, after)
    return None if slot is None else (slot[0], occurrence(slot, zone))


def _slot(at: datetime, answer: Answer) -> Slot | None:
    """The slot at ``at`` unless the hours say closed then."""
    if answer.open is True:
        return Slot(at, answer.until, open_known=True, hours_known=answer.hours_known)
    return Slot(at) if answer.open is None else None


@dataclass(frozen=True, slots=True)
class _Window:
    """A planning window, read once: its ends as hours.wall minutes, and the key of
    first_open's answers over it (the start's whole UTC minute, the end rounded up to one)."""

    start: datetime
    end: datetime
    zone: tzinfo
    first: int
    last: int
    key: tuple[str, tzinfo, int, int]
    # Whether the window holds no instant.
    empty: bool

    @classmethod
    def of(cls, span: tuple[datetime, datetime], zone: tzinfo) -> _Window:
        start, end = span
        minute = math.floor(start.timestamp() / 60)
        until = math.ceil(end.timestamp() / 60)
        key = ("first_open", zone, minute, until)
        return cls(start, end, zone, wall(start, zone), wall(end, zone), key, end <= start)


_NO_SPAN = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC))


class Planner:
    """Plans candidates (:meth:`plan`), keeping what it reads of their hours: whether a
    schedule is open at a wall-clock minute, when its slots start on a day, an event's first
    slot from a minute on. Keyed by the schedule or periods object, held while kept."""

    def __init__(self, kept: int = KEPT_ANSWERS) -> None:
        self.kept = kept
        self._answers: dict[Hashable, object] = {}
        # The objects whose id() is in a key: alive while their answers are, so no id is reused.
        self._held: dict[int, object] = {}
        self._last: tuple[object, object, _Window] = (None, None, _Window.of(_NO_SPAN, UTC))

    def _kept(self, owner: object, key: Hashable, read: Callable[[Unpack[Ts]], T], *args: *Ts) -> T:
        """``read(*args)``, kept under ``owner`` and ``key``."""
        full = (id(owner), key)
        found = self._answers.get(full, _UNREAD)
        if found is not _UNREAD:
            return found  # type: ignore[return-value]
        if len(self._answers) >= self.kept:
            self._answers.clear()
            self._held.clear()
        value = read(*args)
        self._answers[full] = value
        self._held[id(owner)] = owner
        return value

    def _window(self, span: tuple[datetime, datetime], zone: tzinfo) -> _Window:
        """``span`` read once (kept for the last span: a roadbook plans all its candidates
        over one)."""
        if self._last[0] is not span or self._last[1] is not zone:
            self._last = (span, zone, _Window.of(span, zone))
        return self._last[2]

    def is_open(
        self, schedule: Schedule, at: datetime, zone: tzinfo, minute: int | None = None
    ) -> Answer:
        """hours.is_open (``minute``: ``at``'s hours.wall, when the caller has it)."""
        if minute is None:
            minute = wall(at, zone)
        return self._kept(schedule, ("at", zone, minute), is_open, schedule, at, zone)

    def on_day(self, schedule: Schedule, day: date, zone: tzinfo) -> Answer:
        """Whether the schedule opens at all on the local ``day``, and until when (hours.on_day)."""
        return self._kept(schedule, ("day", zone, day), on_day, schedule, day, zone)

    def openings(self, schedule: Schedule, day: date, zone: tzinfo) -> list[datetime]:
        """Every moment a slot of the schedule starts on the local ``day``, in order."""

        def read() -> list[datetime]:
            found = {
                _local(day, minutes(rule.opens) if rule.opens is not None else 0, zone)
                for rule in schedule.rules
                if not rule.closed and rule.applies_on(day)
            }
            return sorted(found)

        return self._kept(schedule, ("openings", zone, day), read)

    def _later(
        self, schedule: Schedule, start: datetime, end: datetime, zone: tzinfo
    ) -> Iterator[datetime]:
        """Every slot start in (start, end), day by day (lazily: most stop early)."""
        day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        while day <= last:
            for at in self.openings(schedule, day, zone):
                if start < at < end:
                    yield at
            day += timedelta(days=1)

    def first_open(
        self, schedule: Schedule | None, start: datetime, end: datetime, zone: tzinfo
    ) -> Slot | None:
        """The first moment in [start, end) the schedule does not say closed, or ``None``."""
        return self._open_in(schedule, self._window((start, end), zone))

    def _open_in(self, schedule: Schedule | None, window: _Window) -> Slot | None:
        """:meth:`first_open` over ``window``, its answer kept for every start in the same
        minute (slots start on whole minutes) with an end before the same next minute."""
        start = window.start
        if schedule is None or not schedule.rules:
            return Slot(start)
        found = self._kept(schedule, window.key, self._read_open_in, schedule, window)
        return _slot(start, found) if isinstance(found, Answer) else found

    def _read_open_in(self, schedule: Schedule, window: _Window) -> Answer | Slot | None:
        """The answer at the window's start when not closed, else the first slot after it."""
        start, zone = window.start, window.zone
        at_start = self.is_open(schedule, start, zone, window.first)
        if at_start.open is not False:
            return at_start
        for at in self._later(schedule, start, window.end, zone):
            found = _slot(at, self.is_open(schedule, at, zone))
            if found is not None:
                return found
        return None

    def _first(
        self, periods: tuple[Period, ...], after: int, zone: tzinfo
    ) -> tuple[int, Occurrence] | None:
        """The periods' first slot ending after the wall minute ``after``: its wall-clock
        start, and the occurrence."""

        return self._kept(periods, ("first", zone, after), _first, periods, after, zone)

    def plan(
        self,
        candidate: Candidate,
        context: VisitorContext,
        policy: DestinationPolicy,
        span: tuple[datetime, datetime] | None = None,
    ) -> Slot | Unplanned:
        """The candidate's planned time, or why it has none (``span``: the context's
        :func:`window`, when the caller has it already)."""
        span = span or window(context, policy)
        zone = policy.zone
        times = self._window(span, zone)
        if times.empty:
            return "outside_stay"
        start = times.start
        if candidate.offer is not None:
            now = context.now
            terms = candidate.offer
            if not context.stay_start <= now < context.stay_end:
                return "outside_stay"
            if not terms.valid_from <= now < terms.valid_until:
                return "offer_not_valid"
            until = terms.valid_until
            for schedule in (terms.schedule, candidate.hours):
                if schedule is not None and schedule.rules:
                    answer = self.is_open(schedule, now, zone)
                    if answer.open is not True:
                        return "offer_not_valid"
                    if answer.until is not None:
                        until = min(until, answer.until)
            return Slot(now, until, open_known=True, hours_known=True)
        if candidate.kind == "event":
            found = self._first(candidate.periods, times.first, zone)
            if found is None or found[0] >= times.last:
                return "not_happening"
            first = found[1]
            return Slot(
                max(first.start, start),
                first.end,
                open_known=True,
                hours_known=not first.all_day,
                starts=first.start,
            )
        slot = self._open_in(candidate.hours, times)
        return "closed" if slot is None else slot


def first_open(
    schedule: Schedule | None, start: datetime, end: datetime, zone: tzinfo
) -> Slot | None:
    """The first moment in [start, end) the schedule does not say closed, or ``None``."""
    return Planner().first_open(schedule, start, end, zone)


def closing(answer: Answer) -> float:
    """hours.on_day's answer as one number: when the place last closes that day (a
    timestamp), -inf when it does not open, inf when its hours say nothing of the day."""
    if answer.open is False:
        return -math.inf
    return answer.until.timestamp() if answer.until is not None else math.inf


def closings(table: Table, zone: tzinfo, day: date) -> Floats:
    """:func:`closing` of every candidate of ``table`` on the local ``day`` (inf without hours)."""
    found = np.full(len(table), math.inf)
    for row, candidate in enumerate(table.items):
        if candidate.hours is not None and candidate.hours.rules:
            found[row] = closing(on_day(candidate.hours, day, zone))
    return found


def closes_key(zone: tzinfo, day: date) -> tuple[str, tzinfo, date]:
    """The key of :func:`closings` among a table's kept columns (Table.kept)."""
    return ("closes", zone, day)


def window(context: VisitorContext, policy: DestinationPolicy) -> tuple[datetime, datetime]:
    """From now (or the start of the stay) to the end of the stay, within the horizon."""
    start = max(context.now, context.stay_start)
    return start, min(context.stay_end, start + timedelta(days=policy.horizon_days))


def plan(
    candidate: Candidate, context: VisitorContext, policy: DestinationPolicy
) -> Slot | Unplanned:
    """The candidate's planned time, or why it has none (nothing kept: see :class:`Planner`)."""
    return Planner().plan(candidate, context, policy)
