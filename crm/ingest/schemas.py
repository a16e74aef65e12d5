"""The ingest contract (DESIGN.md §4): the one source of truth for gateway ↔ CRM batches.

The gateway does not import this module (it shares no code with the server but ``eddystone``);
``tests/contract/`` validates the gateway's real batches against these models, and the CRM
validates every request with them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]+$")]
GatewayId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class RejectReason(StrEnum):
    """Why one event of a batch was not stored (the fixed list the gateway may see)."""

    MALFORMED = "malformed"  # not an object, a field missing, or of the wrong type
    INVALID_ID = "invalid_id"  # not a UUID
    INVALID_KIND = "invalid_kind"  # not enter / dwell / exit
    INVALID_DEVICE = "invalid_device"  # unknown device type or bad identity hex
    INVALID_VALUE = "invalid_value"  # rssi, distance, zone, dwell or seq out of range
    CLOCK = "clock"  # observed_at outside [now - 30 days, now + 5 minutes] after correction


class UidDevice(BaseModel):
    """A static Eddystone-UID pass: 10-byte namespace, 6-byte instance."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["eddystone-uid"]
    namespace: Annotated[Hex, StringConstraints(min_length=20, max_length=20)]
    instance: Annotated[Hex, StringConstraints(min_length=12, max_length=12)]


class EidDevice(BaseModel):
    """A rotating Eddystone-EID pass: the 8-byte ephemeral identifier as heard."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["eddystone-eid"]
    eid: Annotated[Hex, StringConstraints(min_length=16, max_length=16)]


Device = Annotated[UidDevice | EidDevice, Field(discriminator="type")]


class ProximityEventIn(BaseModel):
    """One enter / dwell / exit as the gateway reports it."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    # any form of UUID is accepted; the CRM handles (and dedups) it in canonical form
    id: uuid.UUID
    seq: Annotated[int, Field(ge=0, le=2**63 - 1)]
    kind: Literal["enter", "dwell", "exit"]
    observed_at: AwareDatetime
    device: Device
    rssi: Annotated[float, Field(ge=-127, le=20)] | None = None
    distance_m: Annotated[float, Field(ge=0, le=1000)] | None = None
    zone: Literal["immediate", "near", "far"] | None = None
    # seconds present so far; gateways may report fractions (stored rounded)
    dwell_s: Annotated[float, Field(ge=0, le=30 * 86400)] = 0


class IngestBatch(BaseModel):
    """A batch: events are checked one by one, so one bad event never sinks the others."""

    model_config = ConfigDict(extra="ignore")
    gateway_id: GatewayId
    sent_at: AwareDatetime
    events: Annotated[list[Any], Field(max_length=5_000)]


class Rejection(BaseModel):
    """An event that was not stored, and why."""

    id: str | None
    reason: RejectReason


class IngestResult(BaseModel):
    """The answer to a batch: new events stored, retries recognised, events refused."""

    accepted: int
    duplicates: int
    rejected: list[Rejection]


def reason_for(errors: list[dict[str, Any]]) -> RejectReason:
    """Map pydantic's first validation error of an event to a reason from the fixed list."""
    first = errors[0]
    field = first["loc"][0] if first.get("loc") else None
    if first.get("type") == "missing" or field is None:
        return RejectReason.MALFORMED
    return {
        "id": RejectReason.INVALID_ID,
        "kind": RejectReason.INVALID_KIND,
        "device": RejectReason.INVALID_DEVICE,
        "observed_at": RejectReason.MALFORMED,
    }.get(str(field), RejectReason.INVALID_VALUE)


def rfc3339(moment: datetime) -> str:
    """The RFC 3339 form used on the wire."""
    return moment.isoformat().replace("+00:00", "Z")
