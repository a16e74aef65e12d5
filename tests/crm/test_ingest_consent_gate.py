"""The consent gate ingest runs in SQL, against the rule of DESIGN §6 written plainly in Python.

The rule: an event observed at ``t`` is stored when the latest ``proximity`` entry at or before
``t`` is a grant and the latest entry of all is a grant; at a tie the withdrawal wins.
Hypothesis draws ledgers from a few instants, so that ties and events at an entry's very
instant come up often.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.ingest.service import _CONSENT_GATE, _LEDGER
from tests.conftest import _admin_dsn

BASE = datetime(2026, 7, 1, 12, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=6).map(lambda m: BASE + timedelta(minutes=m))
ledgers = st.lists(st.tuples(instants, st.booleans()), min_size=1, max_size=6)

VISITOR = "0b5e1c2a-4d7f-4a8e-9c3b-2f6d1e0a9b87"

# the gate as ingest runs it, over a temporary ``consent`` table holding one visitor's ledger
GATE = f"""
SELECT {_CONSENT_GATE}
FROM (SELECT {_LEDGER} FROM consent AS c GROUP BY c.visitor_id) AS l,
    (SELECT %s::timestamptz AS observed_at) AS ev
"""


def rule(ledger: list[tuple[datetime, bool]], observed_at: datetime) -> bool:
    def latest(entries: list[tuple[datetime, bool]]) -> bool | None:
        # the latest entry; at one instant a withdrawal counts as later than a grant
        return max(entries, key=lambda e: (e[0], not e[1]))[1] if entries else None

    then = latest([e for e in ledger if e[0] <= observed_at])
    return bool(then) and bool(latest(ledger))


@pytest.fixture(scope="module")
def conn(server_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(_admin_dsn(server_url), autocommit=True) as conn:
        conn.execute(
            "CREATE TEMPORARY TABLE consent"
            " (visitor_id uuid, scope text, granted bool, at timestamptz)"
        )
        yield conn


def gate(conn: psycopg.Connection, ledger: list[tuple[datetime, bool]], at: datetime) -> bool:
    conn.execute("DELETE FROM consent")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO consent VALUES (%s, 'proximity', %s, %s)",
            [(VISITOR, granted, entry_at) for entry_at, granted in ledger],
        )
    row = conn.execute(GATE, [at]).fetchone()
    assert row is not None
    return bool(row[0])


@settings(max_examples=300, deadline=None)
@given(ledger=ledgers, observed_at=instants)
def test_sql_gate_is_the_rule(
    conn: psycopg.Connection, ledger: list[tuple[datetime, bool]], observed_at: datetime
) -> None:
    assert gate(conn, ledger, observed_at) is rule(ledger, observed_at)


@pytest.mark.parametrize(
    ("ledger", "minute", "stored"),
    [
        ([(0, True)], 0, True),  # granted at the very instant
        ([(1, True)], 0, False),  # observed before the grant
        ([(0, True), (2, False)], 1, False),  # withdrawn since: the backlog goes too
        ([(0, True), (2, False), (3, True)], 1, True),  # granted again: the first period counts
        ([(0, True), (2, False), (3, True)], 2, False),  # inside the withdrawn period
        ([(0, True), (0, False)], 0, False),  # a tie: the withdrawal wins
    ],
)
def test_sql_gate_examples(
    conn: psycopg.Connection, ledger: list[tuple[int, bool]], minute: int, stored: bool
) -> None:
    entries = [(BASE + timedelta(minutes=m), g) for m, g in ledger]
    observed_at = BASE + timedelta(minutes=minute)
    assert rule(entries, observed_at) is stored
    assert gate(conn, entries, observed_at) is stored
