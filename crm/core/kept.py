"""Values kept a while in this process, per key (e.g. per destination): a small TTL cache.

For aggregates that may be a few minutes old (the roadbook's co-visitation table, partners'
exposure counts); each worker keeps its own, so workers may briefly disagree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Each key's value for ``ttl_s`` seconds after it was put (``clock``: seconds, monotonic)."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        self._values: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        """The value put for ``key`` less than ``ttl_s`` ago, else ``None``."""
        kept = self._values.get(key)
        if kept is None or self.clock() - kept[0] >= self.ttl_s:
            return None
        return kept[1]

    def put(self, key: K, value: V) -> V:
        self._values[key] = (self.clock(), value)
        return value

    def forget(self, key: K | None = None) -> None:
        """Drop ``key``'s value (every value when ``None``)."""
        if key is None:
            self._values.clear()
        else:
            self._values.pop(key, None)
