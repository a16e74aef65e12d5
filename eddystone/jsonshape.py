"""The JSON shape of every frame, as ``beacon-gateway decode`` prints it (docs/architecture.md).

Hex is lowercase; the TLM temperature is null when the frame says "not supported"; uptime is in
seconds.
"""

from __future__ import annotations

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
    """A JSON-ready dict describing ``frame``."""
    if isinstance(frame, UidFrame):
        return {
            "type": "eddystone-uid",
            "tx_power_0m": frame.tx_power_0m,
            "namespace": frame.namespace.hex(),
            "instance": frame.instance.hex(),
        }
    if isinstance(frame, UrlFrame):
        return {"type": "eddystone-url", "tx_power_0m": frame.tx_power_0m, "url": frame.url}
    if isinstance(frame, TlmFrame):
        return {
            "type": "eddystone-tlm",
            "version": frame.version,
            "battery_mv": frame.battery_mv,
            "temperature_c": frame.temperature_c,
            "adv_count": frame.adv_count,
            "uptime_s": frame.uptime_s,
        }
    if isinstance(frame, EtlmFrame):
        return {
            "type": "eddystone-etlm",
            "version": frame.version,
            "ciphertext": frame.ciphertext.hex(),
            "salt": frame.salt.hex(),
            "mic": frame.mic.hex(),
        }
    if isinstance(frame, EidFrame):
        return {"type": "eddystone-eid", "tx_power_0m": frame.tx_power_0m, "eid": frame.eid.hex()}
    if isinstance(frame, IBeaconFrame):
        return {
            "type": "ibeacon",
            "uuid": str(frame.uuid),
            "major": frame.major,
            "minor": frame.minor,
            "measured_power": frame.measured_power,
        }
    return {
        "type": "eddystone-unknown",
        "frame_type": frame.frame_type,
        "data": frame.data.hex(),
    }
