"""The catalogue's publishing windows as the shelf reads them on every request
(roadbook.feeds.candidates.Windows): hidden before ``shown_from`` and from ``shown_until`` on,
the answer kept until the next edge and never past it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from roadbook.engine.synthetic import destination
from roadbook.engine.table import Table
from roadbook.feeds.candidates import Windows
from roadbook.feeds.details import Details

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_items_are_hidden_outside_their_window_and_the_answer_changes_at_each_edge() -> None:
    items = destination(6, seed=2)
    table = Table(items)
    a, b, c, d = (item.id for item in items[:4])
    windows = Windows(
        {
            a: Details(summary={}, shown_from=T0, shown_until=T0 + 2 * HOUR),
            b: Details(summary={}, shown_from=T0 + HOUR),
            c: Details(summary={}, shown_until=T0 + HOUR),
            d: Details(summary={}),
        }
    )

    def hidden(at: datetime) -> set[str]:
        return {items[row].id for row in windows.hidden(at)(table).tolist()}

    # Asked in an order that crosses edges both ways, so a kept answer is never reused wrongly.
    expected = [
        (T0 - HOUR, {a, b}),
        (T0, {b}),  # a opens at T0 exactly
        (T0 + HOUR - timedelta(microseconds=1), {b}),
        (T0 + HOUR, {c}),  # b opens, c closes at T0 + 1 h exactly
        (T0 - timedelta(minutes=1), {a, b}),
        (T0 + 2 * HOUR, {a, c}),
        (T0 + 90 * timedelta(minutes=1), {c}),
        (T0 + 10 * HOUR, {a, c}),
    ]
    for at, ids in expected:
        assert hidden(at) == ids, at
    assert hidden(T0 + 10 * HOUR) == {a, c}


def test_a_catalogue_without_windows_hides_nothing() -> None:
    items = destination(4, seed=2)
    windows = Windows({item.id: Details(summary={}) for item in items})
    assert windows.hidden(T0)(Table(items)).tolist() == []
