"""UUIDv7 event ids (RFC 9562): time-ordered, so the CRM's dedup ledger indexes stay compact.

Live events get random bits (:func:`uuid7`). A replayed trace gets *derived* bits
(:class:`SeededIds`): the n-th event of the same trace on the same gateway always has the same
id, so a replay killed half-way and started again (or a ``--dry-run`` of the same trace)
produces exactly the same ids, and the CRM's dedup by id makes the retry harmless.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid

__all__ = ["SeededIds", "uuid7", "uuid7_from_bits"]

_lock = threading.Lock()
_last_ms = -1
_counter = 0


def uuid7(unix_ms: int) -> uuid.UUID:
    """Return a UUIDv7 for the millisecond ``unix_ms``; ids made in one process never go back.

    The 12-bit ``rand_a`` field is a counter seeded randomly each millisecond (RFC 9562 §6.2,
    method 1), so ids minted within one millisecond still sort in creation order. A timestamp
    earlier than the previous one is clamped to it: ordering beats a few ms of accuracy, and
    the event's real time travels in ``observed_at`` anyway.
    """
    global _last_ms, _counter
    rand = os.urandom(10)
    with _lock:
        if unix_ms > _last_ms:
            _last_ms = unix_ms
            _counter = int.from_bytes(rand[:2], "big") & 0x7FF  # leave headroom to count up
        else:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    return _assemble(ms, counter, int.from_bytes(rand[2:], "big"))


def _assemble(ms: int, rand_a: int, rand_b: int) -> uuid.UUID:
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= (rand_a & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand_b & 0x3FFF_FFFF_FFFF_FFFF
    return uuid.UUID(int=value)


def uuid7_from_bits(unix_ms: int, bits: bytes) -> uuid.UUID:
    """A UUIDv7 for ``unix_ms`` whose 74 "random" bits are taken from ``bits`` (>= 10 bytes)."""
    return _assemble(unix_ms, int.from_bytes(bits[:2], "big"), int.from_bytes(bits[2:10], "big"))


class SeededIds:
    """Deterministic UUIDv7 ids: the n-th call for a seed always returns the same id.

    The bits are SHA-256(seed, n): unpredictable across seeds, identical across runs. Use as a
    pipeline's ``make_id`` for a trace replay; ``count`` is how many ids were made.
    """

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self.count = 0

    def __call__(self, at: float) -> str:
        """The next id, for an event observed at Unix time ``at``."""
        digest = hashlib.sha256(self._seed + self.count.to_bytes(8, "big")).digest()
        self.count += 1
        return str(uuid7_from_bits(int(at * 1000), digest))
