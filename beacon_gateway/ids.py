"""UUIDv7 event ids (RFC 9562): time-ordered, so the CRM's dedup ledger indexes stay compact."""

from __future__ import annotations

import os
import threading
import uuid

__all__ = ["uuid7"]

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
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= int.from_bytes(rand[2:], "big") & 0x3FFF_FFFF_FFFF_FFFF
    return uuid.UUID(int=value)
