"""The consent rule, written once (docs/architecture.md).

A scope's state at a moment is its latest ledger entry at or before that moment; when a grant
and a withdrawal carry the same instant, the withdrawal counts as the later one (a visitor who
says no is never outvoted by a clock tie). Never given means not granted.

Ingest's gate applies the same rule in SQL (``crm.ingest.service._CONSENT_GATE``:
``ORDER BY at DESC, granted``); ``tests/crm/test_consent_rule.py`` checks over random ledgers,
ties included, that the SQL gate and these functions agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from crm.core.vocabulary import CONSENT_SCOPES, PROXIMITY


class Entry(Protocol):
    """What the rule reads of a ledger entry (``crm.visitors.models.Consent`` has it)."""

    @property
    def scope(self) -> str: ...
    @property
    def granted(self) -> bool: ...
    @property
    def at(self) -> datetime: ...


def ledger_order(entry: Entry) -> tuple[datetime, bool]:
    """Sort key putting entries in the order the rule reads them: the last one decides."""
    return (entry.at, not entry.granted)


def granted_at(ledger: Iterable[Entry], scope: str, moment: datetime | None = None) -> bool:
    """Whether ``scope`` was granted at ``moment`` (now, i.e. the latest entry, when None)."""
    entries = [e for e in ledger if e.scope == scope and (moment is None or e.at <= moment)]
    return max(entries, key=ledger_order).granted if entries else False


def proximity_allows(ledger: Iterable[Entry], observed_at: datetime) -> bool:
    """the ingest gate (docs/architecture.md): granted when the event was observed and not
    withdrawn since."""
    entries = list(ledger)
    return granted_at(entries, PROXIMITY, observed_at) and granted_at(entries, PROXIMITY)


def consent_state(ledger: Iterable[Entry]) -> dict[str, bool]:
    """Each scope's current state (every scope present; never given means False)."""
    entries = list(ledger)
    return {scope: granted_at(entries, scope) for scope in CONSENT_SCOPES}
