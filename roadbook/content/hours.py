"""When a place is open and when an event happens, in the destination's local time.

Opening hours (:class:`Schedule`) are rules, each one a validity range (dates, or the same
month-day range every year with ``annual``), days of the week (none: every day), an opening and a
closing time (none: the whole day, the times not given), and a free-text remark. A rule with
``closed`` is an exception: it closes the whole of its days ("closed on 25 December": an annual
rule from 12-25 to 12-25). Events have :class:`Period` s: dates, days of the week, and times.

The rules, as :func:`is_open` and :func:`occurrences` apply them:

- Times are wall-clock times of the destination's zone (``Europe/Paris``): a rule "10:00-18:00"
  opens at 10:00 local time on both sides of a DST change. A time that does not exist that day
  (02:30 on the spring-forward Sunday) is read with ``fold=0``, i.e. one hour later in summer
  time; a time that exists twice (02:30 on the fall-back Sunday) is open both times.
- A closing time at or before the opening time runs past midnight into the next day ("22:00" to
  "02:00"); "24:00" closes at midnight; an opening time without a closing time runs to midnight,
  a closing time without an opening time starts at midnight; equal times are 24 hours.
- A slot belongs to the day it starts on: validity, day of week and exceptions are those of that
  day. The slot of Friday 22:00-02:00 is open on Saturday at 01:00 even if Saturday is closed.
- A day listed without times is open the whole day; the answer says the hours are not known.
- Several rules on one day add up (morning and afternoon; summer and a special weekend). An
  exception on a day removes every slot that starts that day.
- Where no rule's validity covers the day, the answer is "unknown" (``None``), not "closed": a
  schedule published for 2022 says nothing about 2026. Where a rule covers the day but no slot
  does, the place is closed.
- Event periods with times happen every day of the period (on its days of the week) at those
  times; a period without times and without days is one stretch from the first day's midnight to
  the midnight after its last day; without times but with days, each of those days, all day.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm.core.vocabulary import DAYS as DAYS  # re-exported for the engine and the editor
from crm.core.vocabulary import Day

# "HH:MM" from 00:00 to 23:59, or 24:00 (midnight at the end of the day).
Clock = Annotated[str, Field(pattern=r"^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$")]
Texts = dict[str, str]

_DAY_MINUTES = 24 * 60


def minutes(clock: str) -> int:
    """Minutes since midnight of an ``HH:MM`` time (``24:00`` is 1440)."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rule(_Frozen):
    """One line of opening hours (or, with ``closed``, an exception)."""

    valid_from: date | None = None
    valid_through: date | None = None
    annual: bool = False
    days: tuple[Day, ...] = ()
    opens: Clock | None = None
    closes: Clock | None = None
    closed: bool = False
    remark: Texts = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> Rule:
        if (
            not self.annual
            and self.valid_from is not None
            and self.valid_through is not None
            and self.valid_through < self.valid_from
        ):
            raise ValueError("valid_through is before valid_from")
        return self

    def valid_on(self, day: date) -> bool:
        """Whether ``day`` is inside the rule's validity (whatever its days of the week)."""
        if not self.annual:
            return (self.valid_from is None or self.valid_from <= day) and (
                self.valid_through is None or day <= self.valid_through
            )
        here = (day.month, day.day)
        start = (self.valid_from.month, self.valid_from.day) if self.valid_from else (1, 1)
        end = (self.valid_through.month, self.valid_through.day) if self.valid_through else (12, 31)
        return start <= here <= end if start <= end else (here >= start or here <= end)

    def applies_on(self, day: date) -> bool:
        """Whether the rule speaks for ``day``: valid then, and on that day of the week."""
        return self.valid_on(day) and (not self.days or DAYS[day.weekday()] in self.days)


class Schedule(_Frozen):
    """A place's opening hours: rules and exceptions, plus the free-text remark."""

    rules: tuple[Rule, ...] = ()
    remark: Texts = Field(default_factory=dict)


class Period(_Frozen):
    """When an event happens: a range of dates, optionally some days of the week and times."""

    start: date
    end: date
    start_time: Clock | None = None
    end_time: Clock | None = None
    days: tuple[Day, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


@dataclass(frozen=True, slots=True)
class Answer:
    """Whether a place is open at a moment: ``open`` is ``None`` when the schedule is silent.

    When open, ``until`` is when the slot ends, and ``hours_known`` is false for a day listed
    without times (open "all day" as far as the source says).
    """

    open: bool | None
    until: datetime | None = None
    hours_known: bool = True


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One time an event happens, as aware datetimes (``all_day``: no times were given)."""

    start: datetime
    end: datetime
    all_day: bool


def wall(at: datetime, zone: tzinfo) -> int:
    """``at`` as minutes of the wall clock in ``zone`` since 0001-01-01 00:00 (local): the
    hours are read to the minute, so every instant of one minute gets the same answers."""
    if at.tzinfo is None:
        raise ValueError("a naive datetime has no meaning here: give it a time zone")
    local = at.astimezone(zone)
    return local.toordinal() * _DAY_MINUTES + local.hour * 60 + local.minute


def _aware(minute: int, zone: tzinfo) -> datetime:
    day = date.fromordinal(minute // _DAY_MINUTES)
    mins = minute % _DAY_MINUTES
    local = datetime(day.year, day.month, day.day, mins // 60, mins % 60, tzinfo=zone)
    # Round trip through UTC: a wall time in the spring-forward gap becomes the real instant.
    return local.astimezone(UTC).astimezone(zone)


def _slot(day: date, opens: str | None, closes: str | None) -> tuple[int, int, bool]:
    """The wall-clock [start, end) of a slot starting on ``day``, and whether it is all day."""
    base = day.toordinal() * _DAY_MINUTES
    if opens is None and closes is None:
        return base, base + _DAY_MINUTES, True
    start = minutes(opens) if opens is not None else 0
    end = minutes(closes) if closes is not None else _DAY_MINUTES
    if end <= start:
        end += _DAY_MINUTES
    return base + start, base + end, False


def _day_slots(rules: Sequence[Rule], day: date) -> list[tuple[int, int, bool]]:
    if any(rule.closed and rule.applies_on(day) for rule in rules):
        return []
    return [
        _slot(day, rule.opens, rule.closes)
        for rule in rules
        if not rule.closed and rule.applies_on(day)
    ]


def is_open(schedule: Schedule, at: datetime, zone: tzinfo) -> Answer:
    """Whether the place is open at ``at`` (aware), reading its hours in ``zone``."""
    minute = wall(at, zone)
    today = date.fromordinal(minute // _DAY_MINUTES)
    covering = [
        (start, end, all_day)
        for day in (today - timedelta(days=1), today)
        for start, end, all_day in _day_slots(schedule.rules, day)
        if start <= minute < end
    ]
    if covering:
        _, end, all_day = max(covering, key=lambda slot: slot[1])
        return Answer(True, _aware(end, zone), hours_known=not all_day)
    if any(rule.valid_on(today) for rule in schedule.rules):
        return Answer(False)
    return Answer(None)


def on_day(schedule: Schedule, day: date, zone: tzinfo) -> Answer:
    """Whether the place is open at some time of the local ``day`` (a slot of the day before
    running past midnight included), and ``until`` when it last closes; ``open`` is ``None``
    when no rule is valid that day, as in :func:`is_open`."""
    if not any(rule.valid_on(day) for rule in schedule.rules):
        return Answer(None)
    midnight = day.toordinal() * _DAY_MINUTES
    ends = [
        end
        for on in (day - timedelta(days=1), day)
        for _, end, _ in _day_slots(schedule.rules, on)
        if end > midnight
    ]
    return Answer(True, _aware(max(ends), zone)) if ends else Answer(False)


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _period_slots(period: Period, first: date, last: date) -> Iterator[tuple[int, int, bool]]:
    """The period's wall-clock slots that start between ``first`` and ``last``."""
    if period.start_time is None and period.end_time is None and not period.days:
        yield (
            period.start.toordinal() * _DAY_MINUTES,
            (period.end.toordinal() + 1) * _DAY_MINUTES,
            True,
        )
        return
    for day in _dates(max(period.start, first), min(period.end, last)):
        if not period.days or DAYS[day.weekday()] in period.days:
            yield _slot(day, period.start_time, period.end_time)


def first_slot(periods: Iterable[Period], after: int) -> tuple[int, int, bool] | None:
    """The earliest wall-clock slot of the periods that ends after the wall minute ``after``
    (the first of :func:`occurrences` from then on, whatever the window's end)."""
    # A slot lasts at most two days: it starts at most a day before ``after``'s day.
    first = date.fromordinal(after // _DAY_MINUTES - 1)
    best: tuple[int, int, bool] | None = None
    for period in periods:
        if period.end < first:
            continue
        for slot in _period_slots(period, first, period.end):
            if slot[1] > after:
                # Later days of this period start later: this is the period's first.
                if best is None or slot < best:
                    best = slot
                break
    return best


def first_occurrence(
    periods: Iterable[Period], start: datetime, end: datetime, zone: tzinfo
) -> Occurrence | None:
    """The first of :func:`occurrences` (``None`` when there is none), without listing them."""
    window_start, window_end = wall(start, zone), wall(end, zone)
    slot = first_slot(periods, window_start) if end > start else None
    return occurrence(slot, zone) if slot is not None and slot[0] < window_end else None


def occurrence(slot: tuple[int, int, bool], zone: tzinfo) -> Occurrence:
    """A wall-clock slot as an :class:`Occurrence` in ``zone``."""
    return Occurrence(_aware(slot[0], zone), _aware(slot[1], zone), slot[2])


def occurrences(
    periods: Iterable[Period], start: datetime, end: datetime, zone: tzinfo
) -> list[Occurrence]:
    """Every occurrence of the periods that overlaps [start, end), in order of start: those
    that start before ``end``'s wall-clock minute and end after ``start``'s.

    An empty window is one of no instant. A window within one minute, or within the hour the
    clocks go back (02:00 summer time to 02:00 winter time: no wall-clock minute between its
    ends), holds what is under way then (as roadbook.engine.planning plans it)."""
    if end <= start:
        return []
    window_start, window_end = wall(start, zone), wall(end, zone)
    # A slot lasts at most two days: it starts at most a day before the window opens.
    first = date.fromordinal(window_start // _DAY_MINUTES - 1)
    last = date.fromordinal(window_end // _DAY_MINUTES)
    found = {
        slot
        for period in periods
        for slot in _period_slots(period, first, last)
        if slot[0] < window_end and slot[1] > window_start
    }
    return [
        Occurrence(_aware(slot_start, zone), _aware(slot_end, zone), all_day)
        for slot_start, slot_end, all_day in sorted(found)
    ]


def span(periods: Iterable[Period]) -> tuple[date, date] | None:
    """The first and last local dates the periods touch (a slot past midnight adds a day)."""
    bounds = [
        (p.start, p.end + timedelta(days=1) if p.start_time or p.end_time else p.end)
        for p in periods
    ]
    if not bounds:
        return None
    return min(b[0] for b in bounds), max(b[1] for b in bounds)
