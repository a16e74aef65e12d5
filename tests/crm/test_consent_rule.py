"""One consent rule: ingest's SQL gate and every Python reader of the ledger agree.

The rule (``crm/visitors/consent.py``): a scope's state at a moment is its latest entry at or
before it, a withdrawal counting as later than a grant of the same instant. Ingest stores an
event observed at ``t`` when ``proximity`` was granted at ``t`` and is granted now. Hypothesis
draws ledgers from a few instants, so that ties and events at an entry's very instant come up
often; the readers are checked against each other, not against a copy of the rule.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.ingest.service import _CONSENT_GATE, _LEDGER
from crm.visitors.consent import consent_state, granted_at, proximity_allows
from crm.visitors.models import Consent
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


def entries(ledger: list[tuple[datetime, bool]], scope: str = "proximity") -> list[Consent]:
    """The ledger as the readers see it, in random id order (ties are not broken by id)."""
    return [Consent(visitor_id=VISITOR, scope=scope, granted=g, at=at) for at, g in ledger]


def rule(ledger: list[tuple[datetime, bool]], observed_at: datetime) -> bool:
    """The Python reader ingest's gate must agree with."""
    return proximity_allows(entries(ledger), observed_at)


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


LATEST = (
    "SELECT c.granted FROM consent AS c WHERE c.scope = %s ORDER BY c.at DESC, c.granted LIMIT 1"
)


@settings(max_examples=200, deadline=None)
@given(
    ledger=st.lists(
        st.tuples(instants, st.booleans(), st.sampled_from(["proximity", "marketing"])),
        max_size=8,
    ),
    shuffle=st.randoms(use_true_random=False),
)
def test_state_shown_to_visitor_office_and_export_is_the_gates(
    conn: psycopg.Connection,
    ledger: list[tuple[datetime, bool, str]],
    shuffle: random.Random,
) -> None:
    """The visitor's page, the office and the export (``consent_state``) say what ingest does."""
    rows = [Consent(visitor_id=VISITOR, scope=s, granted=g, at=at) for at, g, s in ledger]
    shuffle.shuffle(rows)
    conn.execute("DELETE FROM consent")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO consent VALUES (%s, %s, %s, %s)",
            [(VISITOR, c.scope, c.granted, c.at) for c in rows],
        )
    state = consent_state(rows)
    for scope in ("proximity", "marketing", "personalisation"):
        row = conn.execute(LATEST, [scope]).fetchone()
        assert state[scope] is (bool(row[0]) if row else False)
        assert granted_at(rows, scope) is state[scope]


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
    moments = [(BASE + timedelta(minutes=m), g) for m, g in ledger]
    observed_at = BASE + timedelta(minutes=minute)
    assert rule(moments, observed_at) is stored
    assert gate(conn, moments, observed_at) is stored


def test_a_tie_reads_as_withdrawn_whatever_the_order() -> None:
    """The bug this rule replaced: the state depended on the ledger's (random) id order."""
    grant, withdrawal = entries([(BASE, True), (BASE, False)])
    assert consent_state([grant, withdrawal])["proximity"] is False
    assert consent_state([withdrawal, grant])["proximity"] is False
