"""An offer's review states and the one table of moves between them (docs/offers.md § States).

Until the partner portal exists the office writes offers itself, so it may approve a draft
directly; a partner's offer will be ``submitted`` for review. ``ended`` is final: an ended offer
is kept (its redemptions and figures refer to it) but never shown again nor changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from partners.offers.models import STATUSES

# status -> {status it may move to: the action's name}
TRANSITIONS: Mapping[str, Mapping[str, str]] = {
    "draft": {"submitted": "submit", "approved": "approve", "ended": "end"},
    "submitted": {"approved": "approve", "draft": "return", "ended": "end"},
    "approved": {"paused": "pause", "ended": "end"},
    "paused": {"approved": "resume", "ended": "end"},
    "ended": {},
}
assert set(TRANSITIONS) == set(STATUSES)
assert all(set(targets) <= set(STATUSES) for targets in TRANSITIONS.values())


class TransitionRefused(ValueError):
    """A move the table does not allow (the status is left as it was)."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"an offer cannot go from {current!r} to {target!r}")
        self.current = current
        self.target = target


def allowed(current: str) -> Mapping[str, str]:
    """The moves from ``current``: target status -> action name (``approve``, ``pause``...)."""
    return TRANSITIONS.get(current, {})


def next_status(current: str, target: str) -> str:
    """``target`` when the table allows the move from ``current``; TransitionRefused otherwise."""
    if target not in allowed(current):
        raise TransitionRefused(current, target)
    return target
