"""Opening hours and event periods: named cases from real records' shapes, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roadbook.content.hours import (
    Answer,
    Period,
    Rule,
    Schedule,
    first_occurrence,
    is_open,
    occurrences,
    on_day,
    span,
    wall,
)
from tests.roadbook import hours_support

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


# Centre Pompidou, 2022: 11:00-22:00 every day of the year, a remark; closed on 1 May.
POMPIDOU = Schedule(
    rules=(
        Rule(
            valid_from=date(2022, 1, 1),
            valid_through=date(2022, 12, 31),
            opens="11:00",
            closes="22:00",
            remark={"fr": "Musée + Expositions : 11h - 21h"},
        ),
        Rule(valid_from=date(2022, 5, 1), valid_through=date(2022, 5, 1), closed=True),
    )
)
# A bar: Thursday to Saturday 20:00-02:00, every year; closed on 25 December every year.
BAR = Schedule(
    rules=(
        Rule(days=("thu", "fri", "sat"), opens="20:00", closes="02:00"),
        Rule(
            annual=True,
            valid_from=date(2000, 12, 25),
            valid_through=date(2000, 12, 25),
            closed=True,
        ),
    )
)


def test_open_inside_hours_with_closing_time() -> None:
    answer = is_open(POMPIDOU, paris(2022, 6, 2, 15, 30), PARIS)
    assert answer == Answer(True, paris(2022, 6, 2, 22, 0))


@pytest.mark.parametrize(
    "at",
    [paris(2022, 6, 2, 10, 59), paris(2022, 6, 2, 22, 0), paris(2022, 6, 2, 23, 30)],
)
def test_closed_outside_hours_on_a_covered_day(at: datetime) -> None:
    assert is_open(POMPIDOU, at, PARIS) == Answer(False)


def test_exception_closes_the_whole_day() -> None:
    assert is_open(POMPIDOU, paris(2022, 5, 1, 15, 0), PARIS) == Answer(False)
    assert is_open(POMPIDOU, paris(2022, 5, 2, 15, 0), PARIS).open is True


def test_outside_every_validity_range_is_unknown_not_closed() -> None:
    assert is_open(POMPIDOU, paris(2026, 6, 2, 15, 0), PARIS) == Answer(None)
    assert is_open(Schedule(), paris(2026, 6, 2, 15, 0), PARIS) == Answer(None)


def test_slot_across_midnight_belongs_to_the_day_it_starts() -> None:
    # 2026-06-05 is a Friday: open Friday 20:00 to Saturday 02:00.
    assert is_open(BAR, paris(2026, 6, 5, 23, 0), PARIS) == Answer(True, paris(2026, 6, 6, 2, 0))
    assert is_open(BAR, paris(2026, 6, 6, 1, 59), PARIS).open is True
    assert is_open(BAR, paris(2026, 6, 6, 2, 0), PARIS) == Answer(False)
    # Sunday 01:00 is still Saturday night's slot; Monday 01:00 is not (Sunday is closed).
    assert is_open(BAR, paris(2026, 6, 7, 1, 0), PARIS).open is True
    assert is_open(BAR, paris(2026, 6, 8, 1, 0), PARIS) == Answer(False)


def test_annual_exception_on_christmas_but_the_night_before_runs_on() -> None:
    # 2025-12-25 is a Thursday: the bar stays closed that evening.
    assert is_open(BAR, paris(2025, 12, 25, 21, 0), PARIS) == Answer(False)
    assert is_open(BAR, paris(2026, 12, 25, 21, 0), PARIS) == Answer(False)  # a Friday
    # 2026-12-24 is a Thursday: its slot runs to 02:00 on the 25th.
    assert is_open(BAR, paris(2026, 12, 25, 1, 0), PARIS).open is True


def test_annual_validity_wrapping_the_new_year() -> None:
    winter = Schedule(
        rules=(
            Rule(
                annual=True,
                valid_from=date(2000, 11, 1),
                valid_through=date(2000, 3, 31),
                opens="14:00",
                closes="17:00",
            ),
        )
    )
    assert is_open(winter, paris(2027, 1, 15, 15, 0), PARIS).open is True
    assert is_open(winter, paris(2026, 11, 1, 15, 0), PARIS).open is True
    assert is_open(winter, paris(2026, 7, 1, 15, 0), PARIS) == Answer(None)


def test_days_without_hours_are_open_all_day_with_hours_unknown() -> None:
    market = Schedule(rules=(Rule(days=("wed", "sat")),))
    answer = is_open(market, paris(2026, 6, 3, 6, 0), PARIS)  # a Wednesday
    assert answer == Answer(True, paris(2026, 6, 4, 0, 0), hours_known=False)
    assert is_open(market, paris(2026, 6, 4, 6, 0), PARIS) == Answer(False)


def test_several_rules_on_one_day_add_up() -> None:
    split = Schedule(
        rules=(Rule(opens="09:00", closes="12:00"), Rule(opens="14:00", closes="18:00"))
    )
    assert is_open(split, paris(2026, 6, 3, 11, 0), PARIS).open is True
    assert is_open(split, paris(2026, 6, 3, 13, 0), PARIS).open is False
    assert is_open(split, paris(2026, 6, 3, 17, 0), PARIS) == Answer(True, paris(2026, 6, 3, 18))


def test_midnight_closing_and_open_ended_times() -> None:
    late = Schedule(rules=(Rule(opens="18:00", closes="24:00"),))
    assert is_open(late, paris(2026, 6, 3, 23, 59), PARIS) == Answer(True, paris(2026, 6, 4, 0))
    assert is_open(late, paris(2026, 6, 4, 0, 0), PARIS).open is False
    from_noon = Schedule(rules=(Rule(opens="12:00"),))
    assert is_open(from_noon, paris(2026, 6, 3, 23, 0), PARIS).until == paris(2026, 6, 4, 0)


def test_dst_spring_forward_keeps_wall_clock_hours() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST. A 01:00-04:00 slot lasts two real hours.
    night = Schedule(rules=(Rule(opens="01:00", closes="04:00"),))
    assert is_open(night, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), PARIS).open is True  # 01:30
    answer = is_open(night, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), PARIS)  # 03:30 CEST
    assert answer == Answer(True, datetime(2026, 3, 29, 2, 0, tzinfo=UTC))
    # A closing time inside the gap (02:30) is read one hour later: 03:30 CEST.
    gap = Schedule(rules=(Rule(opens="01:00", closes="02:30"),))
    answer = is_open(gap, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), PARIS)
    assert answer.until == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_dst_fall_back_hour_happens_twice_and_is_open_both_times() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 local exists twice.
    night = Schedule(rules=(Rule(opens="02:00", closes="03:00"),))
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert is_open(night, first, PARIS).open is True
    assert is_open(night, second, PARIS).open is True
    assert is_open(night, datetime(2026, 10, 25, 2, 30, tzinfo=UTC), PARIS).open is False


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_open(POMPIDOU, datetime(2022, 6, 2, 12, 0), PARIS)


def test_rule_validity_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="before"):
        Rule(valid_from=date(2026, 2, 1), valid_through=date(2026, 1, 1))
    with pytest.raises(ValueError, match="before"):
        Period(start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError, match="pattern"):
        Rule(opens="25:00")


# An exhibition listing one period over months, and a festival with daily evening times.
EXHIBITION = Period(start=date(2026, 6, 1), end=date(2026, 9, 30))
FESTIVAL = Period(
    start=date(2026, 7, 10),
    end=date(2026, 7, 12),
    start_time="21:00",
    end_time="01:00",
)


def test_exhibition_is_one_stretch_of_whole_days() -> None:
    found = occurrences([EXHIBITION], paris(2026, 7, 1), paris(2026, 7, 2), PARIS)
    assert [(o.start, o.end, o.all_day) for o in found] == [
        (paris(2026, 6, 1), paris(2026, 10, 1), True)
    ]
    assert occurrences([EXHIBITION], paris(2026, 10, 1), paris(2026, 10, 2), PARIS) == []


def test_festival_evenings_run_past_midnight() -> None:
    found = occurrences([FESTIVAL], paris(2026, 7, 11, 0, 30), paris(2026, 7, 12, 22), PARIS)
    assert [(o.start, o.end) for o in found] == [
        (paris(2026, 7, 10, 21), paris(2026, 7, 11, 1)),
        (paris(2026, 7, 11, 21), paris(2026, 7, 12, 1)),
        (paris(2026, 7, 12, 21), paris(2026, 7, 13, 1)),
    ]
    assert not found[0].all_day
    assert occurrences([FESTIVAL], paris(2026, 7, 13, 1), paris(2026, 7, 13, 23), PARIS) == []


def test_recurrent_period_on_some_days_and_hundreds_of_dates() -> None:
    market = Period(
        start=date(2026, 1, 1), end=date(2026, 12, 31), days=("sat",), start_time="08:00"
    )
    found = occurrences([market], paris(2026, 1, 1), paris(2027, 1, 1), PARIS)
    assert len(found) == 52
    assert all(o.start.weekday() == 5 and o.start.hour == 8 for o in found)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(537)]
    dates = [Period(start=day, end=day) for day in days]
    assert len(occurrences(dates, paris(2026, 3, 1), paris(2026, 3, 8), PARIS)) == 7
    assert span(dates) == (date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=536))
    assert span([FESTIVAL]) == (date(2026, 7, 10), date(2026, 7, 13))
    assert span([]) is None


def test_event_times_across_dst_are_wall_clock() -> None:
    concert = Period(
        start=date(2026, 10, 24), end=date(2026, 10, 25), start_time="20:00", end_time="22:00"
    )
    found = occurrences([concert], paris(2026, 10, 24), paris(2026, 10, 26), PARIS)
    assert [o.start.astimezone(UTC).hour for o in found] == [18, 19]  # CEST then CET


def test_empty_or_reversed_window_has_nothing() -> None:
    assert occurrences([EXHIBITION], paris(2026, 7, 2), paris(2026, 7, 1), PARIS) == []


# --- properties -----------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
days_in_range = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


def rules() -> st.SearchStrategy[Rule]:
    return hours_support.rules(days_in_range, 200)


@settings(max_examples=300, deadline=None)
@given(rule=rules(), at=moments)
def test_a_rule_is_open_exactly_when_the_same_period_happens(rule: Rule, at: datetime) -> None:
    """is_open and occurrences are two readings of one calendar: they never disagree."""
    assert rule.valid_from is not None and rule.valid_through is not None
    period = Period(
        start=rule.valid_from,
        end=rule.valid_through,
        start_time=rule.opens,
        end_time=rule.closes,
        days=rule.days,
    )
    answer = is_open(Schedule(rules=(rule,)), at, PARIS)
    happening = occurrences([period], at, at + timedelta(minutes=1), PARIS)
    assert (answer.open is True) == bool(happening)
    if answer.open:
        assert answer.until is not None and at < answer.until <= at + timedelta(hours=49)
        # A period without times or days is one stretch; the rule's slots end each midnight.
        stretch = not (rule.days or rule.opens or rule.closes)
        latest = max(o.end for o in happening)
        assert answer.until <= latest if stretch else answer.until == latest


@settings(max_examples=200, deadline=None)
@given(schedule=st.lists(rules(), max_size=4), at=moments)
def test_an_exception_over_every_day_closes_whatever_the_rules(
    schedule: list[Rule], at: datetime
) -> None:
    closed = Rule(closed=True)
    answer = is_open(Schedule(rules=(*schedule, closed)), at, PARIS)
    # Only a slot started the day before can still be running.
    assert answer.open is False


@settings(max_examples=200, deadline=None)
@given(
    periods=hours_support.periods(days_in_range, 60),
    start=moments,
    hours=st.integers(1, 24 * 20),
    cut=st.floats(0.01, 0.99),
)
def test_splitting_the_window_finds_the_same_occurrences(
    periods: list[Period], start: datetime, hours: int, cut: float
) -> None:
    end = start + timedelta(hours=hours)
    middle = (start + (end - start) * cut).replace(second=0, microsecond=0)
    whole = set(occurrences(periods, start, end, PARIS))
    halves = set(occurrences(periods, start, middle, PARIS)) | set(
        occurrences(periods, middle, end, PARIS)
    )
    assert whole == halves
    for found in whole:
        assert found.start < end and found.end > start.replace(second=0, microsecond=0)


@settings(max_examples=300, deadline=None)
@given(
    periods=hours_support.periods(days_in_range, 400, max_size=4),
    start=st.builds(
        lambda day, hour, minute, second: (
            datetime.combine(day, datetime.min.time(), UTC)
            + timedelta(hours=hour, minutes=minute, seconds=second)
        ),
        days_in_range,
        st.integers(0, 23),
        st.sampled_from([0, 29, 30, 59]) | st.integers(0, 59),
        st.just(0) | st.integers(0, 59),
    ),
    seconds=st.sampled_from([0, 60, 1800, 3600]) | st.integers(-3600, 3600 * 24 * 30),
)
def test_the_first_occurrence_is_the_first_of_the_list(
    periods: list[Period], start: datetime, seconds: int
) -> None:
    """first_occurrence finds, without listing them, what occurrences lists first (the planner
    reads only that one), whatever the window: empty, a minute, a month, inside one minute."""
    end = start + timedelta(seconds=seconds)
    listed = occurrences(periods, start, end, PARIS)
    assert first_occurrence(periods, start, end, PARIS) == (listed[0] if listed else None)


def test_the_first_occurrence_starts_after_one_that_ends_at_the_window_start() -> None:
    market = Period(start=date(2026, 3, 2), end=date(2026, 3, 8), start_time="08:00",
                    end_time="13:00")  # fmt: skip
    at_close = paris(2026, 3, 3, 13)
    found = first_occurrence([market], at_close, at_close + timedelta(days=2), PARIS)
    assert found is not None and found.start == paris(2026, 3, 4, 8)
    found = first_occurrence([market], at_close - timedelta(seconds=1), at_close, PARIS)
    assert found is not None and found.start == paris(2026, 3, 3, 8)
    assert first_occurrence([market], at_close, paris(2026, 3, 4, 8), PARIS) is None


@settings(max_examples=300, deadline=None)
@given(schedule=st.lists(rules(), min_size=1, max_size=4), day=days_in_range,
       minute=st.integers(0, 24 * 60 - 1))  # fmt: skip
def test_a_day_read_whole_agrees_with_every_minute_of_it(
    schedule: list[Rule], day: date, minute: int
) -> None:
    """on_day (retrieval's "closed for the rest of today") never contradicts is_open: closed
    that day means no minute of it is open; open until U means no minute from U is."""
    hours = Schedule(rules=tuple(schedule))
    whole = on_day(hours, day, PARIS)
    at = (datetime.combine(day, datetime.min.time(), PARIS) + timedelta(minutes=minute)).astimezone(
        UTC
    )
    if at.astimezone(PARIS).date() != day:
        return  # the spring-forward gap
    answer = is_open(hours, at, PARIS)
    if whole.open is False:
        assert answer.open is not True
    if whole.open is True and answer.open is True:
        assert whole.until is not None and at < whole.until


def test_an_event_is_under_way_in_the_hour_the_clocks_go_back() -> None:
    """From 02:00 summer time to 02:00 winter time is an hour with no wall-clock minute between
    its ends: an event of that day is under way in it (hypothesis found the planner and the
    listing disagreeing there)."""
    fair = Period(start=date(2026, 10, 1), end=date(2026, 10, 25))
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    end = start + timedelta(hours=1)
    assert wall(start, PARIS) == wall(end, PARIS)
    listed = occurrences([fair], start, end, PARIS)
    assert [(o.start, o.end, o.all_day) for o in listed] == [
        (paris(2026, 10, 1), paris(2026, 10, 26), True)
    ]
    assert first_occurrence([fair], start, end, PARIS) == listed[0]
    assert occurrences([fair], start, start, PARIS) == []
    assert first_occurrence([fair], end, start, PARIS) is None
