"""Frozen value types for every frame the library decodes, and the protocol constants.

The dataclasses carry no validation: parsers only ever build them from well-formed bytes, and the
builders in :mod:`eddystone.build` validate their inputs. That keeps the decoding hot path cheap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

EDDYSTONE_UUID16 = 0xFEAA
"""The Eddystone 16-bit service UUID (on air little-endian: ``aa fe``)."""

EDDYSTONE_SERVICE_UUID = "0000feaa-0000-1000-8000-00805f9b34fb"
"""The same UUID in the 128-bit form BlueZ and bleak use as service-data key."""

APPLE_COMPANY_ID = 0x004C
"""Bluetooth SIG company identifier of Apple, the owner of the iBeacon format."""

FRAME_UID = 0x00
FRAME_URL = 0x10
FRAME_TLM = 0x20
FRAME_EID = 0x30
FIND_HUB_FRAMES = frozenset({0x40, 0x41})
"""Reserved by Eddystone, reused by Google's Find Hub network (FMDN): never a visitor's pass."""

UID_NAMESPACE_SIZE = 10
UID_INSTANCE_SIZE = 6
EID_SIZE = 8
"""Bytes of an Eddystone-UID namespace and instance, and of an Eddystone-EID."""

UID_NAMESPACE_HEX = f"[0-9a-f]{{{2 * UID_NAMESPACE_SIZE}}}"
UID_INSTANCE_HEX = f"[0-9a-f]{{{2 * UID_INSTANCE_SIZE}}}"
UID_TEXT = f"{UID_NAMESPACE_HEX}:{UID_INSTANCE_HEX}"
"""Regular expressions of a UID written as text: ``NAMESPACE:INSTANCE`` in lower-case hex."""

TLM_PLAIN = 0x00
TLM_ENCRYPTED = 0x01


@dataclass(frozen=True, slots=True)
class UidFrame:
    """Eddystone-UID: a static 10-byte namespace and 6-byte instance."""

    tx_power_0m: int
    namespace: bytes
    instance: bytes


@dataclass(frozen=True, slots=True)
class UrlFrame:
    """Eddystone-URL: a compressed URL, expanded here to its text."""

    tx_power_0m: int
    url: str


@dataclass(frozen=True, slots=True)
class TlmFrame:
    """Plain Eddystone-TLM (version 0): beacon health.

    ``battery_mv`` is 0 when the beacon does not measure it (e.g. mains powered);
    ``temperature_c`` is ``None`` when the frame says "not supported" (0x8000);
    ``uptime_s`` is the frame's 0.1 s counter converted to seconds.
    """

    version: int
    battery_mv: int
    temperature_c: float | None
    adv_count: int
    uptime_s: float


@dataclass(frozen=True, slots=True)
class EtlmFrame:
    """Encrypted Eddystone-TLM (version 1): 12 bytes of AES-EAX ciphertext, salt and 2-byte MIC.

    Only a holder of the pass's identity key can read it (:func:`eddystone.decrypt_etlm`).
    """

    version: int
    ciphertext: bytes
    salt: bytes
    mic: bytes


@dataclass(frozen=True, slots=True)
class EidFrame:
    """Eddystone-EID: an 8-byte ephemeral identifier that only the resolver can map to a pass."""

    tx_power_0m: int
    eid: bytes


@dataclass(frozen=True, slots=True)
class IBeaconFrame:
    """Apple iBeacon (manufacturer data of company 0x004C, type 0x02, length 0x15)."""

    uuid: uuid.UUID
    major: int
    minor: int
    measured_power: int


@dataclass(frozen=True, slots=True)
class UnknownFrame:
    """0xFEAA service data of a frame type this library does not decode.

    0x40 and 0x41 are Google Find Hub frames (§6 of the reference): reported, never an error, and
    never to be taken for a visitor's identity.
    """

    frame_type: int
    data: bytes

    @property
    def is_find_hub(self) -> bool:
        """True for the Find Hub (FMDN) frame types 0x40 and 0x41."""
        return self.frame_type in FIND_HUB_FRAMES


EddystoneFrame = UidFrame | UrlFrame | TlmFrame | EtlmFrame | EidFrame | UnknownFrame
"""Anything :func:`eddystone.parse_service_data` returns."""

Frame = EddystoneFrame | IBeaconFrame
"""Any beacon frame the library knows."""
