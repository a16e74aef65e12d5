"""The roadbook's sections, and which one an item goes to.

- ``now_nearby``: planned now and within the destination's nearby radius of the anchor (the
  current or last site, else the lodging; the widget's page site in site mode);
- ``today``: planned later today, or now but further away (or with no anchor);
- ``stay``: planned on a later day of the stay;
- ``events``: every event, under way or to come.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from roadbook.engine.inputs import DestinationPolicy
from roadbook.engine.scoring import Scored

SectionKey = Literal["now_nearby", "today", "stay", "events"]
SECTIONS: tuple[SectionKey, ...] = ("now_nearby", "today", "stay", "events")


def section_of(
    scored: Scored, now: datetime, policy: DestinationPolicy, today: date | None = None
) -> SectionKey:
    """``today``: the local date of ``now``, when the caller has it."""
    item, slot = scored.eligible.candidate, scored.eligible.slot
    if item.kind == "event":
        return "events"
    if slot.at <= now and scored.distance is not None and scored.distance <= policy.nearby_radius_m:
        return "now_nearby"
    if today is None:
        today = now.astimezone(policy.zone).date()
    return "today" if slot.at.astimezone(policy.zone).date() == today else "stay"
