"""Decode bare 0xFEAA service data (the bytes after the UUID) into a frame.

This is the gateway's hot path: one dispatch on the frame-type byte, one precompiled ``Struct``
per layout, no validation beyond what the layout requires. Frame lengths follow the spec; bytes
after a fixed-size frame (UID after its RFU, TLM, eTLM, EID) are tolerated and ignored, as some
stacks append them (the reference notes Nordic's eTLM RFU byte).
"""

from __future__ import annotations

from struct import Struct

from eddystone.errors import MalformedFrameError, TruncatedError
from eddystone.frames import (
    FRAME_EID,
    FRAME_TLM,
    FRAME_UID,
    FRAME_URL,
    TLM_ENCRYPTED,
    TLM_PLAIN,
    EddystoneFrame,
    EidFrame,
    EtlmFrame,
    TlmFrame,
    UidFrame,
    UnknownFrame,
    UrlFrame,
)
from eddystone.url import MAX_BODY_BYTES, decode_url

UID_LENGTH = 18
"""UID service data without the two RFU bytes (older beacons); 20 with them."""
UID_LENGTH_RFU = 20
URL_MIN_LENGTH = 4
URL_MAX_LENGTH = 3 + MAX_BODY_BYTES
TLM_LENGTH = 14
ETLM_LENGTH = 18
EID_LENGTH = 10
TEMPERATURE_UNSUPPORTED = -0x8000
"""TLM TEMP field value (0x8000 as int16) meaning "no temperature sensor"."""

_UID = Struct(">xb10s6s")
_TLM = Struct(">xxHhII")
_ETLM = Struct(">xx12s2s2s")
_EID = Struct(">xb8s")
_URL_CACHE: dict[bytes, str] = {}
_URL_CACHE_MAX = 4096
# URL beacons repeat the same few URLs all day: memoise the expansion, bounded against noise.


def _uid(data: bytes) -> UidFrame:
    if len(data) < UID_LENGTH:
        raise TruncatedError(f"Eddystone-UID needs 18 or 20 bytes, got {len(data)}")
    tx_power, namespace, instance = _UID.unpack_from(data)
    return UidFrame(tx_power, namespace, instance)


def _url(data: bytes) -> UrlFrame:
    size = len(data)
    if size < URL_MIN_LENGTH:
        raise TruncatedError(f"Eddystone-URL needs 4..20 bytes, got {size}")
    if size > URL_MAX_LENGTH:
        raise MalformedFrameError(
            f"Eddystone-URL carries at most {MAX_BODY_BYTES} URL bytes, got {size - 3}"
        )
    tx_power = data[1]
    encoded = bytes(data[2:])
    url = _URL_CACHE.get(encoded)
    if url is None:
        url = decode_url(encoded)
        if len(_URL_CACHE) >= _URL_CACHE_MAX:
            _URL_CACHE.clear()
        _URL_CACHE[encoded] = url
    return UrlFrame(tx_power - 256 if tx_power > 127 else tx_power, url)


def _tlm(data: bytes) -> TlmFrame | EtlmFrame:
    size = len(data)
    if size < 2:
        raise TruncatedError("Eddystone-TLM frame ends before its version byte")
    version = data[1]
    if version == TLM_PLAIN:
        if size < TLM_LENGTH:
            raise TruncatedError(f"Eddystone-TLM needs 14 bytes, got {size}")
        battery_mv, temp, adv_count, sec_count = _TLM.unpack_from(data)
        return TlmFrame(
            0,
            battery_mv,
            None if temp == TEMPERATURE_UNSUPPORTED else temp / 256,
            adv_count,
            sec_count / 10,
        )
    if version == TLM_ENCRYPTED:
        if size < ETLM_LENGTH:
            raise TruncatedError(f"Eddystone-eTLM needs 18 bytes, got {size}")
        ciphertext, salt, mic = _ETLM.unpack_from(data)
        return EtlmFrame(1, ciphertext, salt, mic)
    raise MalformedFrameError(f"unknown Eddystone-TLM version 0x{version:02x}")


def _eid(data: bytes) -> EidFrame:
    if len(data) < EID_LENGTH:
        raise TruncatedError(f"Eddystone-EID needs 10 bytes, got {len(data)}")
    tx_power, eid = _EID.unpack_from(data)
    return EidFrame(tx_power, eid)


def parse_service_data(data: bytes) -> EddystoneFrame:
    """Decode 0xFEAA service data (starting at the frame-type byte) into a frame.

    Frame types other than UID, URL, TLM and EID (e.g. Find Hub's 0x40 / 0x41) come back as
    :class:`UnknownFrame`; bytes that cannot be the frame they claim raise an EddystoneError.
    """
    if not data:
        raise TruncatedError("empty Eddystone service data")
    frame_type = data[0]
    if frame_type == FRAME_UID:
        return _uid(data)
    if frame_type == FRAME_EID:
        return _eid(data)
    if frame_type == FRAME_TLM:
        return _tlm(data)
    if frame_type == FRAME_URL:
        return _url(data)
    return UnknownFrame(frame_type, bytes(data[1:]))
