"""Visits jobs: the follower that merges queued sightings into visits (``crm.visits.follower``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from crm.core.db import Database
from crm.core.settings import Settings
from crm.visits.follower import follow

# How often the leader looks at the queue: the roadbook hears of a visit within about this.
FOLLOW_EVERY_S = 1.0

JOBS: list[tuple[str, Callable[[Database, Settings], Awaitable[object]], float]] = [
    ("visits_follow", follow, FOLLOW_EVERY_S),
]
