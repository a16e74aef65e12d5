"""The visit merge as a state machine (hypothesis): visits are the gap-separated runs of a
visitor's sightings, however the follower happens to split them into runs of its own."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crm.visits.service import Sightings, _Visit, merge, rfc3339_us

GAP_US = 30 * 60 * 1_000_000
VISITOR = "9b0c6f8e-0000-4000-8000-000000000001"

# Distinct times (a tie between an exit and a dwell at the same microsecond has no order),
# spread so that some consecutive sightings are more than the gap apart and most are not.
sightings_strategy = st.lists(
    st.tuples(
        st.integers(0, 6 * 3600 * 1_000_000),
        st.sampled_from(["enter", "dwell", "dwell", "exit"]),
        st.integers(0, 4000),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda s: s[0],
).map(sorted)


def as_sightings(rows: list[tuple[int, str, int]]) -> Sightings:
    return Sightings([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def islands(rows: list[tuple[int, str, int]]) -> list[tuple[int, int, int, int | None]]:
    """The oracle: (first, last, dwell_s, closed) of each run with no gap over GAP_US."""
    runs: list[list[tuple[int, str, int]]] = [[rows[0]]]
    for row in rows[1:]:
        if row[0] - runs[-1][-1][0] > GAP_US:
            runs.append([])
        runs[-1].append(row)
    out = []
    for i, run in enumerate(runs):
        first, last = run[0][0], run[-1][0]
        dwell = max((last - first) // 1_000_000, *(r[2] for r in run))
        final = i == len(runs) - 1
        closed = last if not final or run[-1][1] == "exit" else None
        out.append((first, last, dwell, closed))
    return out


def state(visits: list[_Visit]) -> list[tuple[int, int, int, int | None]]:
    return sorted((v.first_us, v.last_us, v.dwell_s, v.closed_us) for v in visits)


@given(sightings_strategy)
def test_visits_are_the_gap_separated_runs(rows: list[tuple[int, str, int]]) -> None:
    visits = merge(None, VISITOR, as_sightings(rows), GAP_US)
    assert state(visits) == islands(rows)
    assert all(v.visitor_id == VISITOR for v in visits)
    # one "opened" per visit (a new row), at its first sighting; a reopening is told apart;
    # every visit but an open last one heard "closed" at least once
    notices = Counter(n for v in visits for n in v.notices)
    assert notices["opened"] == len(visits)
    assert all(v.notice_us[v.notices.index("opened")] == v.first_us for v in visits)
    assert notices["opened"] + notices["reopened"] - notices["closed"] in (0, 1)
    assert all(len(v.notices) == len(v.notice_us) for v in visits)
    assert len({v.id for v in visits}) == len(visits)


@given(sightings_strategy, st.lists(st.integers(1, 39), max_size=6))
def test_merging_in_runs_equals_merging_at_once(
    rows: list[tuple[int, str, int]], cuts: list[int]
) -> None:
    """The follower merges whatever batches it claimed, starting from the latest stored visit."""
    stored: dict[str, _Visit] = {}
    heard: Counter[tuple[int, str]] = Counter()
    bounds = sorted({c for c in cuts if c < len(rows)} | {0, len(rows)})
    for start, end in itertools.pairwise(bounds):
        # what _LATEST reads: the stored visit seen last, fresh (no pending flags)
        latest = max(stored.values(), key=lambda v: v.last_us, default=None)
        if latest is not None:
            latest = replace(latest, changed=False, notices=[], notice_us=[])
        for visit in merge(latest, VISITOR, as_sightings(rows[start:end]), GAP_US):
            heard.update((visit.first_us, n) for n in visit.notices)
            stored[visit.id] = visit
    at_once = merge(None, VISITOR, as_sightings(rows), GAP_US)
    assert state(list(stored.values())) == state(at_once) == islands(rows)
    assert heard == Counter((v.first_us, n) for v in at_once for n in v.notices)


@given(st.integers(0, 4_102_444_800_000_000))  # 1970 .. 2100
def test_notice_times_are_rfc3339_utc(us: int) -> None:
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us)
    assert rfc3339_us(us) == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert datetime.fromisoformat(rfc3339_us(us)) == expected
