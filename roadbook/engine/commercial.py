"""How many partner offers a roadbook may carry (docs/roadbook-engine.md § Offers).

Two limits, the tighter wins: the destination-wide cap on offers one visitor is shown per local
day (all partners together, counting today's exposures), and the ceiling on the share of the
roadbook's items that are offers, so that ``offers / (editorial + offers) <= share`` holds
exactly (a fraction, not a float). Which offers fill the room is :func:`diversity.mmr` with the
partners' exposure as the tie-break.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from roadbook.engine.filters import seen_counts
from roadbook.engine.inputs import DestinationPolicy, Exposure


def offers_left_today(
    exposures: tuple[Exposure, ...], now: datetime, policy: DestinationPolicy
) -> int:
    """The visitor's remaining offers today under the destination-wide cap."""
    commercial = [e for e in exposures if e.commercial]
    shown = sum(seen.today for seen in seen_counts(commercial, now, policy).values())
    return max(0, policy.commercial_per_day - shown)


def room_for_offers(editorial: int, available: int, left_today: int, share: Fraction) -> int:
    """The most offers, up to ``available`` and ``left_today``, keeping the share under it."""
    for offers in range(min(available, left_today), 0, -1):
        if Fraction(offers, editorial + offers) <= share:
            return offers
    return 0
