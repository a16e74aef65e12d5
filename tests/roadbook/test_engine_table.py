"""Candidates as columns (roadbook.engine.table): the columns say what the one-at-a-time rules
say, a shortlist drops what it is told to, and a table keeps the columns read most recently."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from crm.core.vocabulary import LANGUAGES, WISHES
from roadbook.engine.filters import may_target
from roadbook.engine.inputs import DestinationPolicy, Targeting, VisitorContext
from roadbook.engine.profile import profile_of
from roadbook.engine.synthetic import destination, offer, visitor
from roadbook.engine.table import KEPT_COLUMNS, Rows, Shortlist, Table

POLICY = DestinationPolicy()

targetings = st.builds(
    Targeting,
    wishes=st.frozensets(st.sampled_from(WISHES), max_size=3),
    with_children=st.sampled_from([None, True, False]),
    languages=st.frozensets(st.sampled_from(LANGUAGES), max_size=3),
)
contexts = st.builds(
    visitor,
    language=st.sampled_from(LANGUAGES),
    personalisation=st.booleans(),
    wishes=st.frozensets(st.sampled_from(WISHES), max_size=3),
    with_children=st.booleans(),
)


@given(st.lists(targetings, min_size=1, max_size=20), contexts)
def test_the_targeting_columns_never_screen_out_an_offer_that_may_target(
    targets: list[Targeting], context: VisitorContext
) -> None:
    """Retrieval screens "anywhere" offers on these columns before filters.may_target has the
    last word: the screen may let more through, never fewer."""
    offers = [offer(f"offer:{n}", "partner-1", targeting=t) for n, t in enumerate(targets)]
    table = Table(offers)
    profile = profile_of(context)
    screen = table.reaching(context.language, profile.wishes, profile.with_children)
    for row, candidate in enumerate(offers):
        if may_target(candidate, context, profile, POLICY):
            assert screen[row], candidate.offer
        elif profile.mode == "personal":
            # For a consenting visitor the screen is exact.
            assert not screen[row], candidate.offer


def test_a_shortlist_without_some_ids_keeps_the_others_in_every_part() -> None:
    items = destination(60, seed=3)
    first, second = Table(items[:30]), Table(items[30:])
    shortlist = Shortlist((Rows(first, np.arange(30)), Rows(second, np.arange(30))))
    gone = {items[2].id, items[45].id, "place:unknown"}
    left = [candidate.id for candidate in shortlist.without(lambda t: t.rows_of(gone))]
    assert left == [c.id for c in items if c.id not in gone]
    assert list(shortlist.without(lambda t: t.rows_of([]))) == list(shortlist)
    assert len(shortlist) == 60 and len(shortlist.without(lambda t: t.rows_of(gone))) == 58


def test_rows_of_and_at_sites_read_ids_and_sites() -> None:
    items = destination(40, seed=5)
    table = Table(items)
    assert table.rows_of([items[7].id, "nobody", items[3].id]).tolist() == [7, 3]
    site = next(c.site_id for c in items if c.site_id)
    rows = np.arange(len(items))
    assert np.flatnonzero(table.at_sites([site, "site-none"], rows)).tolist() == [
        n for n, c in enumerate(items) if c.site_id == site
    ]


def test_a_table_keeps_the_columns_read_most_recently() -> None:
    table = Table(destination(10, seed=1))
    computed: list[int] = []

    def column(n: int) -> object:
        def compute(_: Table) -> int:
            computed.append(n)
            return n

        return table.kept(("column", n), compute)

    for n in range(KEPT_COLUMNS):
        assert column(n) == n
    assert column(0) == 0  # read again: now the most recent
    assert column(KEPT_COLUMNS) == KEPT_COLUMNS  # the least recently read (1) goes
    assert table.peek(("column", 1)) is None
    assert table.peek(("column", 0)) == 0
    assert computed == [*range(KEPT_COLUMNS), KEPT_COLUMNS]
    column(1)
    assert computed[-1] == 1
