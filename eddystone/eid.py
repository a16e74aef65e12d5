"""Eddystone-EID: temporary keys, ephemeral identifiers and the resolver's lookup table.

TK = AES(IK, 00*11 ‖ ff ‖ 00 00 ‖ t[31:16]); EID = AES(TK, 00*11 ‖ K ‖ t with K low bits
cleared)[:8]. A TK lasts 65 536 s, so :class:`EidTable` caches it per identity key and TK
period; a table of N passes x 3 windows then costs one AES key schedule and call per pass.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from struct import Struct
from typing import Generic, TypeVar

from eddystone.aes import BlockEncryptor, aes_block, block_encryptor
from eddystone.errors import EddystoneError

K_MIN = 0
K_MAX = 15
TIME_COUNTER_MAX = 0xFFFFFFFF
"""The beacon's time counter is 32-bit seconds since an arbitrary epoch."""

_TK_BLOCK = Struct(">11xB2xH")
_EID_BLOCK = Struct(">11xBI")
_TK_SALT = 0xFF

KeyT = TypeVar("KeyT", bound=Hashable)


def _check(identity_key: bytes, time_counter: int, k: int) -> None:
    if len(identity_key) != 16:
        raise EddystoneError(f"an identity key is 16 bytes, got {len(identity_key)}")
    if not 0 <= time_counter <= TIME_COUNTER_MAX:
        raise EddystoneError(f"the EID time counter is a uint32, got {time_counter}")
    if not K_MIN <= k <= K_MAX:
        raise EddystoneError(f"the rotation exponent K is {K_MIN}..{K_MAX}, got {k}")


def window_start(time_counter: int, k: int) -> int:
    """The time counter with its K low bits cleared: the start of its EID window."""
    return time_counter >> k << k


def temporary_key(identity_key: bytes, time_counter: int) -> bytes:
    """The temporary key for ``time_counter`` (it changes every 65 536 s)."""
    _check(identity_key, time_counter, 0)
    return aes_block(identity_key, _TK_BLOCK.pack(_TK_SALT, time_counter >> 16))


def eid_block(time_counter: int, k: int) -> bytes:
    """The 16-byte block whose encryption under the TK yields the EID."""
    return _EID_BLOCK.pack(k, window_start(time_counter, k))


def compute_eid(identity_key: bytes, time_counter: int, k: int) -> bytes:
    """The 8-byte EID a beacon with ``identity_key`` shows at ``time_counter`` with exponent K."""
    _check(identity_key, time_counter, k)
    return aes_block(temporary_key(identity_key, time_counter), eid_block(time_counter, k))[:8]


@dataclass(frozen=True, slots=True)
class EidIdentity:
    """What the resolver keeps per registered pass.

    ``clock_offset`` is the beacon's time counter minus the server's Unix time, measured at
    registration, so the beacon's counter at server time ``now`` is ``now + clock_offset``.
    """

    identity_key: bytes
    k: int
    clock_offset: int = 0


@dataclass(frozen=True, slots=True)
class EidMatch(Generic[KeyT]):
    """A resolved EID: the pass's key id and the beacon time counter of the matching window."""

    key_id: KeyT
    window_start: int


class EidTable(Generic[KeyT]):
    """Resolver table: EID → pass, for the current window of every pass and its neighbours.

    ``refresh(now)`` (re)computes the table for server time ``now``; ``resolve`` is then one dict
    lookup. ``adjacent`` windows on each side tolerate clock drift (1 → 3 windows per pass).

    The temporary key is cached per identity key and TK period (it changes every 65 536 s), so a
    refresh costs one AES key schedule and one call per pass. ``cache_contexts=True`` keeps the
    ready AES context instead of the 16-byte key: about twice as fast again, for ~0.9 KB more per
    pass (see bench/README.md). EID collisions (2^-64 per pair and window) keep the first pass
    seen and are counted in ``collisions``.
    """

    def __init__(
        self,
        identities: Mapping[KeyT, EidIdentity],
        *,
        adjacent: int = 1,
        cache_contexts: bool = False,
    ) -> None:
        if adjacent < 0:
            raise EddystoneError(f"adjacent windows must be >= 0, got {adjacent}")
        for identity in identities.values():
            _check(identity.identity_key, 0, identity.k)
        self._identities: dict[KeyT, EidIdentity] = dict(identities)
        self._adjacent = adjacent
        self._cache_contexts = cache_contexts
        self._tk_cache: dict[tuple[bytes, int], bytes | BlockEncryptor] = {}
        self._table: dict[bytes, tuple[KeyT, int]] = {}
        self.collisions = 0
        self.now: int | None = None

    def __len__(self) -> int:
        """Number of EIDs in the table."""
        return len(self._table)

    def add(self, key_id: KeyT, identity: EidIdentity) -> None:
        """Register (or replace) a pass; it is in the table after the next ``refresh``."""
        _check(identity.identity_key, 0, identity.k)
        self._identities[key_id] = identity

    def remove(self, key_id: KeyT) -> None:
        """Forget a pass; it leaves the table at the next ``refresh``."""
        self._identities.pop(key_id, None)

    def windows(self, identity: EidIdentity, now: int) -> list[int]:
        """Beacon time counters of the windows kept for ``identity`` at server time ``now``."""
        size = 1 << identity.k
        current = window_start(now + identity.clock_offset, identity.k)
        starts = (current + size * step for step in range(-self._adjacent, self._adjacent + 1))
        return [start for start in starts if 0 <= start <= TIME_COUNTER_MAX]

    def refresh(self, now: int) -> int:
        """Rebuild the table for server time ``now``; returns how many EIDs were computed."""
        table: dict[bytes, tuple[KeyT, int]] = {}
        old_cache = self._tk_cache
        cache: dict[tuple[bytes, int], bytes | BlockEncryptor] = {}  # what this refresh uses
        adjacent = self._adjacent
        pack = _EID_BLOCK.pack
        computed = 0
        setdefault = table.setdefault
        for key_id, identity in self._identities.items():
            ik, k = identity.identity_key, identity.k
            size = 1 << k
            first = ((now + identity.clock_offset) >> k << k) - adjacent * size
            last = first + 2 * adjacent * size
            groups: dict[int, list[int]] = {}
            if first < 0 or last > TIME_COUNTER_MAX or first >> 16 != last >> 16:
                # Edge of the 32-bit counter, or windows on both sides of a TK roll-over.
                for start in self.windows(identity, now):
                    groups.setdefault(start >> 16, []).append(start)
            else:
                groups[first >> 16] = list(range(first, last + 1, size))
            for period, group in groups.items():
                cache_key = (ik, period)
                cached = cache.get(cache_key) or old_cache.get(cache_key)
                if cached is None:
                    tk = aes_block(ik, _TK_BLOCK.pack(_TK_SALT, period))
                    cached = block_encryptor(tk) if self._cache_contexts else tk
                cache[cache_key] = cached
                encryptor = block_encryptor(cached) if isinstance(cached, bytes) else cached
                # One AES call for all windows under this temporary key.
                out = encryptor.update(b"".join([pack(k, start) for start in group]))
                for offset, start in enumerate(group):
                    setdefault(out[offset * 16 : offset * 16 + 8], (key_id, start))
                computed += len(group)
        self._tk_cache = cache
        self._table = table
        self.collisions = computed - len(table)
        self.now = now
        return computed

    def resolve(self, eid: bytes) -> KeyT | None:
        """The key id of the pass showing ``eid``, or None (one dict lookup)."""
        hit = self._table.get(eid)
        return None if hit is None else hit[0]

    def match(self, eid: bytes) -> EidMatch[KeyT] | None:
        """Like ``resolve``, with the matching window (needed to decrypt the pass's eTLM)."""
        hit = self._table.get(eid)
        return None if hit is None else EidMatch(*hit)

    def items(self) -> Iterator[tuple[bytes, EidMatch[KeyT]]]:
        """Every (EID, match) pair currently in the table."""
        for eid, hit in self._table.items():
            yield eid, EidMatch(*hit)


def eids_for_window(
    identities: Mapping[KeyT, EidIdentity], now: int, *, adjacent: int = 1
) -> dict[bytes, KeyT]:
    """The EIDs ``identities`` show around server time ``now`` (current ± ``adjacent`` windows)."""
    table = EidTable(identities, adjacent=adjacent)
    table.refresh(now)
    return {eid: match.key_id for eid, match in table.items()}
