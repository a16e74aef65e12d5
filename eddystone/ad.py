"""Advertising payloads: the Core Specification's AD structures (length, type, value).

Walked by their length bytes, never by fixed offsets (BlueZ broadcasts carry no Flags, stacks
order structures differently). A zero length byte ends the significant part (the rest is
padding); a structure whose length runs past the end raises :class:`TruncatedError`. Unknown AD
types are kept in ``structures`` and otherwise skipped. Keys mirror bleak's ``AdvertisementData``:
service UUIDs and service-data keys as 128-bit lowercase strings, manufacturer data keyed by the
company id with the value after it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from eddystone.errors import MalformedAdvertisementError, TruncatedError
from eddystone.frames import EDDYSTONE_SERVICE_UUID, Frame
from eddystone.ibeacon import parse_manufacturer_data
from eddystone.parse import parse_service_data

AD_FLAGS = 0x01
AD_UUID16_INCOMPLETE = 0x02
AD_UUID16_COMPLETE = 0x03
AD_UUID32_INCOMPLETE = 0x04
AD_UUID32_COMPLETE = 0x05
AD_UUID128_INCOMPLETE = 0x06
AD_UUID128_COMPLETE = 0x07
AD_NAME_SHORT = 0x08
AD_NAME_COMPLETE = 0x09
AD_TX_POWER = 0x0A
AD_SERVICE_DATA_16 = 0x16
AD_SERVICE_DATA_32 = 0x20
AD_SERVICE_DATA_128 = 0x21
AD_MANUFACTURER = 0xFF

_BASE_UUID_TAIL = "-0000-1000-8000-00805f9b34fb"
_UUID_LISTS = {
    AD_UUID16_INCOMPLETE: 2,
    AD_UUID16_COMPLETE: 2,
    AD_UUID32_INCOMPLETE: 4,
    AD_UUID32_COMPLETE: 4,
    AD_UUID128_INCOMPLETE: 16,
    AD_UUID128_COMPLETE: 16,
}
_FEAA_LE = b"\xaa\xfe"
_SERVICE_DATA = {AD_SERVICE_DATA_16: 2, AD_SERVICE_DATA_32: 4, AD_SERVICE_DATA_128: 16}


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What one advertising payload says, AD structure by AD structure.

    When a payload repeats a service-data UUID or a company id, the dicts keep the first value;
    ``structures`` keeps everything in order (``frames_in`` reads all of them).
    """

    structures: tuple[tuple[int, bytes], ...] = ()
    flags: int | None = None
    service_uuids: tuple[str, ...] = ()
    service_data: dict[str, bytes] = field(default_factory=dict)
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)
    local_name: str | None = None
    tx_power: int | None = None


def uuid_string(raw: bytes) -> str:
    """128-bit lowercase UUID string of a 2-, 4- or 16-byte little-endian UUID from an AD."""
    if len(raw) == 16:
        return str(uuid.UUID(bytes=raw[::-1]))
    return f"{int.from_bytes(raw, 'little'):08x}{_BASE_UUID_TAIL}"


def _structures(payload: bytes) -> list[tuple[int, bytes]]:
    found = []
    offset = 0
    end = len(payload)
    while offset < end:
        length = payload[offset]
        if length == 0:
            break  # the significant part ends here; the rest is padding
        if offset + 1 + length > end:
            raise TruncatedError(
                f"AD structure at byte {offset} claims {length} bytes, "
                f"only {end - offset - 1} remain"
            )
        found.append((payload[offset + 1], bytes(payload[offset + 2 : offset + 1 + length])))
        offset += 1 + length
    return found


def _service_data_entry(ad_type: int, value: bytes) -> tuple[str, bytes]:
    width = _SERVICE_DATA[ad_type]
    if len(value) < width:
        raise MalformedAdvertisementError(
            f"service data AD 0x{ad_type:02x} is shorter than its {width}-byte UUID"
        )
    return uuid_string(value[:width]), value[width:]


def parse_advertisement(payload: bytes) -> Advertisement:
    """Parse a raw BLE advertising payload (AD structures) into an :class:`Advertisement`."""
    structures = _structures(payload)
    flags: int | None = None
    uuids: list[str] = []
    service_data: dict[str, bytes] = {}
    manufacturer: dict[int, bytes] = {}
    short_name: str | None = None
    complete_name: str | None = None
    tx_power: int | None = None
    for ad_type, value in structures:
        if ad_type in _SERVICE_DATA:
            key, data = _service_data_entry(ad_type, value)
            service_data.setdefault(key, data)
        elif ad_type == AD_MANUFACTURER:
            if len(value) < 2:
                raise MalformedAdvertisementError("manufacturer data AD lacks its company id")
            manufacturer.setdefault(int.from_bytes(value[:2], "little"), value[2:])
        elif ad_type in _UUID_LISTS:
            width = _UUID_LISTS[ad_type]
            if len(value) % width:
                raise MalformedAdvertisementError(
                    f"UUID list AD 0x{ad_type:02x} is {len(value)} bytes, not a multiple of {width}"
                )
            uuids.extend(uuid_string(value[i : i + width]) for i in range(0, len(value), width))
        elif ad_type == AD_FLAGS:
            if not value:
                raise MalformedAdvertisementError("Flags AD has no value")
            flags = value[0]
        elif ad_type == AD_TX_POWER:
            if len(value) != 1:
                raise MalformedAdvertisementError(f"TX Power Level AD is {len(value)} bytes, not 1")
            tx_power = value[0] - 256 if value[0] > 127 else value[0]
        elif ad_type == AD_NAME_COMPLETE:
            complete_name = value.decode("utf-8", errors="replace")
        elif ad_type == AD_NAME_SHORT:
            short_name = value.decode("utf-8", errors="replace")
    return Advertisement(
        structures=tuple(structures),
        flags=flags,
        service_uuids=tuple(uuids),
        service_data=service_data,
        manufacturer_data=manufacturer,
        local_name=complete_name if complete_name is not None else short_name,
        tx_power=tx_power,
    )


def frames_in(adv: Advertisement) -> list[Frame]:
    """Every beacon frame in ``adv`` in AD order: 0xFEAA service data and Apple iBeacons.

    0xFEAA service data counts even when the payload omits the 16-bit UUID list (many beacons do).
    """
    frames: list[Frame] = []
    for ad_type, value in adv.structures:
        if ad_type == AD_SERVICE_DATA_16 and value[:2] == _FEAA_LE:
            frames.append(parse_service_data(value[2:]))
        elif ad_type in _SERVICE_DATA:
            key, data = _service_data_entry(ad_type, value)
            if key == EDDYSTONE_SERVICE_UUID:
                frames.append(parse_service_data(data))
        elif ad_type == AD_MANUFACTURER and len(value) >= 2:
            ibeacon = parse_manufacturer_data(int.from_bytes(value[:2], "little"), value[2:])
            if ibeacon is not None:
                frames.append(ibeacon)
    return frames
