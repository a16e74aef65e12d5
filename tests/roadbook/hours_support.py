"""Hypothesis strategies for opening hours and event periods (roadbook/content/hours.py), shared
by the hours' own properties and the planner's."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from roadbook.content.hours import DAYS, Period, Rule

# On the hour or the half hour, where real slots open and close.
clocks = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 30]))
day_sets = st.lists(st.sampled_from(DAYS), unique=True, max_size=7).map(tuple)


def rules(days: st.SearchStrategy[date], longest: int) -> st.SearchStrategy[Rule]:
    """Rules valid from one of ``days`` for up to ``longest`` days, on some days of the week."""

    @st.composite
    def rule(draw: st.DrawFn) -> Rule:
        start = draw(days)
        return Rule(
            valid_from=start,
            valid_through=start + timedelta(days=draw(st.integers(0, longest))),
            days=draw(day_sets),
            opens=draw(st.none() | clocks),
            closes=draw(st.none() | clocks),
        )

    return rule()


def periods(
    days: st.SearchStrategy[date], longest: int, min_size: int = 0, max_size: int = 3
) -> st.SearchStrategy[list[Period]]:
    """Lists of event periods starting on one of ``days`` and lasting up to ``longest`` days."""
    period = st.builds(
        lambda start, length, opens, closes, on: Period(
            start=start,
            end=start + timedelta(days=length),
            start_time=opens,
            end_time=closes,
            days=on,
        ),
        days,
        st.integers(0, longest),
        st.none() | clocks,
        st.none() | clocks,
        day_sets,
    )
    return st.lists(period, min_size=min_size, max_size=max_size)
