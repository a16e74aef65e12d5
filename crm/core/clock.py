"""The CRM's clock: every "now" of the server (``crm.core.models.utcnow``) reads :func:`now`.

It is the wall clock (UTC-aware) unless :func:`frozen` has fixed it, which tests do to compare
stored times exactly and to stand on a boundary (ingest's [now - 30 days, now + 5 min] window,
a token's expiry) instead of allowing a tolerance. Frozen, it stays at its time until the
returned :class:`FrozenClock` is set or advanced; it is process-wide (a live server in a thread
of the test reads it too), and PostgreSQL's own ``now()`` is not affected.

Reading it costs one function call and one global look-up, the same as ``datetime.now(UTC)``
itself: ingest reads it once per batch, and row defaults (``Field(default_factory=utcnow)``)
once per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_fixed: datetime | None = None


def now() -> datetime:
    """The current time, UTC-aware: the wall clock, or the time a test fixed."""
    fixed = _fixed
    return datetime.now(UTC) if fixed is None else fixed


class FrozenClock:
    """Handle on a fixed clock: read it, set it, move it forward or back."""

    def now(self) -> datetime:
        """The fixed time (what :func:`now` returns)."""
        assert _fixed is not None, "the clock is no longer frozen"
        return _fixed

    def set(self, moment: datetime) -> datetime:
        """Fix the clock at ``moment`` (UTC-aware) and return it."""
        global _fixed
        if moment.tzinfo is None:
            raise ValueError("the clock is UTC-aware: give a timezone-aware datetime")
        _fixed = moment.astimezone(UTC)
        return _fixed

    def advance(self, delta: timedelta) -> datetime:
        """Move the fixed clock by ``delta`` (negative goes back) and return the new time."""
        return self.set(self.now() + delta)


@contextmanager
def frozen(at: datetime | None = None) -> Iterator[FrozenClock]:
    """Fix the clock at ``at`` (default: the wall clock now) until the block ends."""
    global _fixed
    previous = _fixed
    clock = FrozenClock()
    clock.set(at if at is not None else datetime.now(UTC))
    try:
        yield clock
    finally:
        _fixed = previous
