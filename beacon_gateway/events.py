"""Proximity events and device identities, shaped like the ingest contract (docs/architecture.md).

An identity is what a frame carries, never a MAC address: ``b"\\x00" + namespace + instance``
for Eddystone-UID, ``b"\\x30" + eid`` for Eddystone-EID (the frame-type byte first, so the two
can never collide). Bytes keep the hot path cheap; the JSON form is made only for events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "EID",
    "UID",
    "EventKind",
    "ProximityEvent",
    "Zone",
    "device_json",
    "eid_identity",
    "identity_from_device",
    "rfc3339",
    "uid_identity",
]

UID = 0x00
EID = 0x30
EventKind = Literal["enter", "dwell", "exit"]
Zone = Literal["immediate", "near", "far"]


def uid_identity(namespace: bytes, instance: bytes) -> bytes:
    """Identity of an Eddystone-UID pass."""
    return b"\x00" + namespace + instance


def eid_identity(eid: bytes) -> bytes:
    """Identity of an Eddystone-EID pass (one EID value; only the CRM links rotations)."""
    return b"\x30" + eid


def device_json(identity: bytes) -> dict[str, str]:
    """The contract's ``device`` object for an identity."""
    if identity[0] == UID:
        return {
            "type": "eddystone-uid",
            "namespace": identity[1:11].hex(),
            "instance": identity[11:17].hex(),
        }
    return {"type": "eddystone-eid", "eid": identity[1:].hex()}


def identity_from_device(device: dict[str, Any]) -> bytes:
    """Inverse of :func:`device_json`."""
    if device["type"] == "eddystone-uid":
        return uid_identity(bytes.fromhex(device["namespace"]), bytes.fromhex(device["instance"]))
    return eid_identity(bytes.fromhex(device["eid"]))


def rfc3339(unix: float) -> str:
    """Unix seconds as RFC 3339 UTC with milliseconds, e.g. ``2026-11-25T17:00:12.503Z``."""
    moment = dt.datetime.fromtimestamp(round(unix, 3), tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class ProximityEvent:
    """One enter / dwell / exit of a pass at this gateway.

    ``observed_at`` is in the time base of the clock that produced it (Unix seconds on replay
    and simulation, monotonic seconds live until the outbox stamps it). ``id`` and ``seq`` are
    filled when the event is created and persisted respectively.
    """

    id: str
    seq: int
    kind: EventKind
    observed_at: float
    identity: bytes
    rssi: float
    distance_m: float | None
    zone: Zone
    dwell_s: float

    @property
    def device(self) -> dict[str, str]:
        """The contract's ``device`` object."""
        return device_json(self.identity)

    def payload(self) -> dict[str, Any]:
        """The contract fields except ``id``, ``seq`` and ``observed_at`` (stored as is)."""
        return {
            "kind": self.kind,
            "device": self.device,
            "rssi": round(self.rssi, 1),
            "distance_m": None if self.distance_m is None else round(self.distance_m, 2),
            "zone": self.zone,
            "dwell_s": round(self.dwell_s, 3),
        }

    def to_wire(self, observed_unix: float | None = None) -> dict[str, Any]:
        """The event as the ingest API wants it (``observed_unix`` overrides the time)."""
        at = self.observed_at if observed_unix is None else observed_unix
        return {"id": self.id, "seq": self.seq, "observed_at": rfc3339(at), **self.payload()}
