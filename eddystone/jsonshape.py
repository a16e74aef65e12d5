"""The JSON shape of every frame, as ``beacon-gateway decode`` prints it (docs/architecture.md).

Hex is lowercase; the TLM temperature is null when the frame says "not supported"; uptime is in
seconds.
"""

from __future__ import annotations

import uuid
from dataclasses import fields as dataclass_fields

from eddystone.frames import (
    EidFrame,
    EtlmFrame,
    Frame,
    IBeaconFrame,
    TlmFrame,
    UidFrame,
    UnknownFrame,
    UrlFrame,
)

JSON_TYPES = {
    UidFrame: "eddystone-uid",
    UrlFrame: "eddystone-url",
    TlmFrame: "eddystone-tlm",
    EtlmFrame: "eddystone-etlm",
    EidFrame: "eddystone-eid",
    IBeaconFrame: "ibeacon",
    UnknownFrame: "eddystone-unknown",
}
"""The ``"type"`` of each frame class."""


def frame_to_json(frame: Frame) -> dict[str, object]:
    """A JSON-ready dict describing ``frame``: its ``"type"``, then the frame's fields in order,
    bytes as hex and the iBeacon UUID as text."""
    fields = {
        field.name: _json_value(getattr(frame, field.name)) for field in dataclass_fields(frame)
    }
    return {"type": JSON_TYPES[type(frame)], **fields}


def _json_value(value: object) -> object:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
