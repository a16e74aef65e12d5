"""Apple iBeacon: manufacturer data of company 0x004C starting with type 0x02, length 0x15.

Layout of the manufacturer data after the 2-byte company id: ``02 15``, 16-byte proximity UUID,
major (uint16 BE), minor (uint16 BE), measured power at 1 m (int8 dBm).
"""

from __future__ import annotations

import uuid
from struct import Struct

from eddystone.errors import BuildError, TruncatedError
from eddystone.frames import APPLE_COMPANY_ID, IBeaconFrame

IBEACON_PREFIX = b"\x02\x15"
IBEACON_LENGTH = 23
"""Manufacturer data bytes after the company id: prefix (2) + UUID (16) + major, minor, power."""

_IBEACON = Struct(">2x16sHHb")
_UUID_CACHE: dict[bytes, uuid.UUID] = {}
_UUID_CACHE_MAX = 4096
# A site hears few distinct proximity UUIDs (one per vendor or deployment) and building a
# uuid.UUID costs more than the rest of the parse: memoise, with a bound against noise.


def parse_manufacturer_data(company_id: int, data: bytes) -> IBeaconFrame | None:
    """Decode manufacturer data (the bytes after the company id) if it is an iBeacon, else None.

    Data that announces an iBeacon (Apple, ``02 15``) but ends early raises TruncatedError.
    Bytes after the 23 of the iBeacon are ignored (Apple packs several records this way).
    """
    if company_id != APPLE_COMPANY_ID or data[:2] != IBEACON_PREFIX:
        return None
    if len(data) < IBEACON_LENGTH:
        raise TruncatedError(f"iBeacon needs 23 bytes of manufacturer data, got {len(data)}")
    raw_uuid, major, minor, power = _IBEACON.unpack_from(data)
    proximity_uuid = _UUID_CACHE.get(raw_uuid)
    if proximity_uuid is None:
        if len(_UUID_CACHE) >= _UUID_CACHE_MAX:
            _UUID_CACHE.clear()
        proximity_uuid = _UUID_CACHE[raw_uuid] = uuid.UUID(bytes=raw_uuid)
    return IBeaconFrame(proximity_uuid, major, minor, power)


def build_ibeacon(proximity_uuid: uuid.UUID, major: int, minor: int, measured_power: int) -> bytes:
    """Build iBeacon manufacturer data (without the 0x004C company id, as bleak reports it)."""
    if not 0 <= major <= 0xFFFF or not 0 <= minor <= 0xFFFF:
        raise BuildError(f"iBeacon major and minor are 0..65535, got {major} and {minor}")
    if not -128 <= measured_power <= 127:
        raise BuildError(f"iBeacon measured power is an int8, got {measured_power}")
    return IBEACON_PREFIX + _IBEACON.pack(proximity_uuid.bytes, major, minor, measured_power)[2:]
