"""Build Eddystone service data and legacy (<= 31 bytes) advertising payloads.

Builders validate what they are given (the spec's ranges), so whatever they return parses back to
the same values. These bytes are what the gateway's advertiser hands to BlueZ.
"""

from __future__ import annotations

from struct import Struct

from eddystone.errors import BuildError, PayloadTooLongError
from eddystone.frames import (
    FRAME_EID,
    FRAME_TLM,
    FRAME_UID,
    FRAME_URL,
    UID_INSTANCE_SIZE,
    UID_NAMESPACE_SIZE,
    EddystoneFrame,
    EidFrame,
    EtlmFrame,
    TlmFrame,
    UidFrame,
    UnknownFrame,
    UrlFrame,
)
from eddystone.url import encode_url

LEGACY_PAYLOAD_LIMIT = 31
"""Bytes of advertising data a legacy (non-extended) advertisement carries."""
TX_POWER_MIN = -100
TX_POWER_MAX = 20
"""The spec's range for the ranging byte (calibrated Tx power at 0 m, dBm)."""
FLAGS_GENERAL_DISCOVERABLE_NO_BREDR = 0x06

AD_FLAGS = 0x01
AD_UUID16_INCOMPLETE = 0x02
AD_UUID16_COMPLETE = 0x03
AD_SERVICE_DATA_16 = 0x16

_U32 = 0xFFFFFFFF
_TLM = Struct(">BBHhII")
_UUID_LIST = bytes([3, AD_UUID16_COMPLETE, 0xAA, 0xFE])


def _tx_power(tx_power_0m: int) -> int:
    if not TX_POWER_MIN <= tx_power_0m <= TX_POWER_MAX:
        raise BuildError(
            f"Tx power at 0 m must be {TX_POWER_MIN}..{TX_POWER_MAX} dBm, got {tx_power_0m}"
        )
    return tx_power_0m & 0xFF


def build_uid(tx_power_0m: int, namespace: bytes, instance: bytes, *, rfu: bool = True) -> bytes:
    """Eddystone-UID service data: 20 bytes, or 18 without the RFU bytes (``rfu=False``)."""
    if len(namespace) != UID_NAMESPACE_SIZE or len(instance) != UID_INSTANCE_SIZE:
        raise BuildError(
            f"UID namespace is 10 bytes and instance 6, got {len(namespace)} and {len(instance)}"
        )
    frame = bytes([FRAME_UID, _tx_power(tx_power_0m)]) + namespace + instance
    return frame + b"\x00\x00" if rfu else frame


def build_url(tx_power_0m: int, url: str) -> bytes:
    """Eddystone-URL service data with the shortest encoding of ``url`` (<= 20 bytes)."""
    return bytes([FRAME_URL, _tx_power(tx_power_0m)]) + encode_url(url)


def build_tlm(
    battery_mv: int, temperature_c: float | None, adv_count: int, uptime_s: float
) -> bytes:
    """Plain Eddystone-TLM (version 0) service data, 14 bytes.

    ``battery_mv`` 0 means "not measured"; ``temperature_c`` None means "no sensor" (0x8000) and
    is rounded to 1/256 °C; ``uptime_s`` is rounded to the frame's 0.1 s resolution.
    """
    if not 0 <= battery_mv <= 0xFFFF:
        raise BuildError(f"TLM battery voltage is 0..65535 mV, got {battery_mv}")
    if temperature_c is None:
        temp = -0x8000
    else:
        temp = round(temperature_c * 256)
        if not -0x7FFF <= temp <= 0x7FFF:
            raise BuildError(
                f"TLM temperature must be within ±127.99 °C (-128 means 'unsupported'), "
                f"got {temperature_c}"
            )
    if not 0 <= adv_count <= _U32:
        raise BuildError(f"TLM advertising count is a uint32, got {adv_count}")
    sec_count = round(uptime_s * 10)
    if not 0 <= sec_count <= _U32:
        raise BuildError(f"TLM uptime must be 0..429496729.5 s, got {uptime_s}")
    return _TLM.pack(FRAME_TLM, 0, battery_mv, temp, adv_count, sec_count)


def build_etlm(ciphertext: bytes, salt: bytes, mic: bytes) -> bytes:
    """Encrypted Eddystone-TLM (version 1) service data, 18 bytes (see :mod:`eddystone.etlm`)."""
    if len(ciphertext) != 12 or len(salt) != 2 or len(mic) != 2:
        raise BuildError("eTLM needs 12 bytes of ciphertext, a 2-byte salt and a 2-byte MIC")
    return bytes([FRAME_TLM, 1]) + ciphertext + salt + mic


def build_eid(tx_power_0m: int, eid: bytes) -> bytes:
    """Eddystone-EID service data, 10 bytes."""
    if len(eid) != 8:
        raise BuildError(f"an EID is 8 bytes, got {len(eid)}")
    return bytes([FRAME_EID, _tx_power(tx_power_0m)]) + eid


def build_frame(frame: EddystoneFrame) -> bytes:
    """Service data for any Eddystone frame value (the inverse of ``parse_service_data``)."""
    if isinstance(frame, UidFrame):
        return build_uid(frame.tx_power_0m, frame.namespace, frame.instance)
    if isinstance(frame, UrlFrame):
        return build_url(frame.tx_power_0m, frame.url)
    if isinstance(frame, TlmFrame):
        return build_tlm(frame.battery_mv, frame.temperature_c, frame.adv_count, frame.uptime_s)
    if isinstance(frame, EtlmFrame):
        return build_etlm(frame.ciphertext, frame.salt, frame.mic)
    if isinstance(frame, EidFrame):
        return build_eid(frame.tx_power_0m, frame.eid)
    if isinstance(frame, UnknownFrame):
        if not 0 <= frame.frame_type <= 0xFF:
            raise BuildError(f"frame type is one byte, got {frame.frame_type}")
        if frame.frame_type in (FRAME_UID, FRAME_URL, FRAME_TLM, FRAME_EID):
            raise BuildError(f"frame type 0x{frame.frame_type:02x} is not unknown")
        return bytes([frame.frame_type]) + frame.data
    raise BuildError(f"not an Eddystone frame: {frame!r}")


def advertising_payload(
    service_data: bytes, *, flags: int | None = FLAGS_GENERAL_DISCOVERABLE_NO_BREDR
) -> bytes:
    """Wrap 0xFEAA service data in a legacy advertising payload.

    Flags AD (unless ``flags`` is None, as in a BlueZ ``broadcast`` advertisement), the Complete
    List of 16-bit Service UUIDs with 0xFEAA, and the service data AD. Raises
    :class:`PayloadTooLongError` past 31 bytes.
    """
    header = b"" if flags is None else bytes([2, AD_FLAGS, _flags(flags)])
    size = len(header) + len(_UUID_LIST) + 4 + len(service_data)
    if size > LEGACY_PAYLOAD_LIMIT:
        raise PayloadTooLongError(
            f"advertising payload would be {size} bytes; legacy advertising carries "
            f"{LEGACY_PAYLOAD_LIMIT}"
        )
    service_ad = bytes([len(service_data) + 3, AD_SERVICE_DATA_16, 0xAA, 0xFE])
    return header + _UUID_LIST + service_ad + service_data


def _flags(flags: int) -> int:
    if not 0 <= flags <= 0xFF:
        raise BuildError(f"flags are one byte, got {flags}")
    return flags
