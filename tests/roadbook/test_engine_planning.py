"""The Planner keeps the hours it reads (roadbook/engine/planning.py): what it keeps must never
change a plan, whatever the order of the visitors, their instants inside one minute and the
answers it dropped when full. The oracle below plans from the definitions alone: a place at the
first instant (now, or a slot's opening) that ``is_open`` does not call closed, an event at the
first of its ``occurrences``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from roadbook.content.hours import Rule, Schedule, is_open, minutes, occurrences
from roadbook.engine.inputs import Candidate, DestinationPolicy, VisitorContext
from roadbook.engine.pipeline import DEFAULT_POLICY
from roadbook.engine.planning import Planner, Slot, Unplanned, window
from roadbook.engine.synthetic import event, place, visitor
from tests.roadbook.hours_support import periods, rules


def oracle(item: Candidate, context: VisitorContext, policy: DestinationPolicy) -> Slot | Unplanned:
    start, end = window(context, policy)
    zone = policy.zone
    if end <= start:
        return "outside_stay"
    if item.kind == "event":
        found = occurrences(item.periods, start, end, zone)
        if not found:
            return "not_happening"
        first = found[0]
        return Slot(max(first.start, start), first.end, True, not first.all_day, first.start)
    if item.hours is None or not item.hours.rules:
        return Slot(start)
    moments = [start]
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        opening = {
            (
                datetime.combine(day, datetime.min.time(), zone)
                + timedelta(minutes=minutes(rule.opens) if rule.opens else 0)
            )
            .astimezone(UTC)
            .astimezone(zone)
            for rule in item.hours.rules
            if not rule.closed and rule.applies_on(day)
        }
        moments += sorted(at for at in opening if start < at < end)
        day += timedelta(days=1)
    for at in moments:
        answer = is_open(item.hours, at, zone)
        if answer.open is True:
            return Slot(at, answer.until, open_known=True, hours_known=answer.hours_known)
        if answer.open is None:
            return Slot(at)
    return "closed"


# Around the autumn DST change of 2026 (25 October), so that some windows cross it.
days = st.dates(min_value=date(2026, 10, 1), max_value=date(2026, 11, 5))


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    n = draw(st.integers(0, 10_000))
    if draw(st.integers(0, 2)):
        exceptions = draw(st.lists(days, max_size=2))
        closed = tuple(Rule(valid_from=d, valid_through=d, closed=True) for d in exceptions)
        schedule = Schedule(rules=(*draw(st.lists(rules(days, 60), max_size=3)), *closed))
        return place(f"place:{n}", opening=schedule if draw(st.integers(0, 5)) else None)
    return event(f"event:{n}", draw(periods(days, 40, min_size=1)))


# Instants near each other (minutes apart, often on the hour or half hour, where slots open
# and close), so that kept answers are asked again at other instants.
starts = st.datetimes(
    min_value=datetime(2026, 10, 10), max_value=datetime(2026, 11, 5), timezones=st.just(UTC)
).map(lambda at: at.replace(minute=0, second=0, microsecond=0))
steps = st.sampled_from([0, 1, 29, 30, 31, 59, 60, 90]) | st.integers(0, 24 * 60)


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(candidates(), min_size=1, max_size=5),
    start=starts,
    moments=st.lists(
        st.tuples(steps, st.integers(0, 59), st.integers(1, 6 * 24)), min_size=1, max_size=12
    ),
    kept=st.integers(1, 500),
)
def test_a_planner_that_keeps_answers_plans_as_the_definitions_say(
    items: list[Candidate], start: datetime, moments: list[tuple[int, int, int]], kept: int
) -> None:
    planner = Planner(kept=kept)
    at = start
    for step, second, stay_hours in moments:
        at += timedelta(minutes=step)
        # The same minute read at two instants: the kept answer serves the second.
        for now in (at.replace(second=0, microsecond=0), at.replace(second=second)):
            context = visitor(
                now=now,
                stay_start=now - timedelta(hours=1),
                stay_end=now + timedelta(hours=stay_hours),
            )
            for item in items:
                planned = planner.plan(item, context, DEFAULT_POLICY)
                assert planned == oracle(item, context, DEFAULT_POLICY)
