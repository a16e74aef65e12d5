"""The ingest contract (DESIGN.md §4): the one source of truth for gateway ↔ CRM batches.

The gateway does not import this module (it shares no code with the server but ``eddystone``);
``tests/contract/`` validates the gateway's real batches against these models, and the CRM
validates every request with them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    with_config,
)
from typing_extensions import TypedDict

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


# Devices and events are TypedDicts: validated from the bytes into plain dicts, about twice as
# fast as models for a 1,000-event batch (ingest's largest cost in Python).


@with_config(ConfigDict(extra="forbid"))
class UidDevice(TypedDict):
    """A static Eddystone-UID pass: 10-byte namespace, 6-byte instance."""

    type: Literal["eddystone-uid"]
    namespace: Annotated[Hex, StringConstraints(min_length=20, max_length=20)]
    instance: Annotated[Hex, StringConstraints(min_length=12, max_length=12)]


@with_config(ConfigDict(extra="forbid"))
class EidDevice(TypedDict):
    """A rotating Eddystone-EID pass: the 8-byte ephemeral identifier as heard."""

    type: Literal["eddystone-eid"]
    eid: Annotated[Hex, StringConstraints(min_length=16, max_length=16)]


Device = Annotated[UidDevice | EidDevice, Field(discriminator="type")]

# RFC 9562's string form, either case; the CRM dedups ids in lower case
EventId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
]


class ProximityEventIn(TypedDict):
    """One enter / dwell / exit as the gateway reports it (unknown keys are ignored)."""

    id: EventId
    seq: Annotated[int, Field(ge=0, le=2**63 - 1)]
    kind: Literal["enter", "dwell", "exit"]
    observed_at: AwareDatetime
    device: Device
    rssi: NotRequired[Annotated[float, Field(ge=-127, le=20)] | None]
    distance_m: NotRequired[Annotated[float, Field(ge=0, le=1000)] | None]
    zone: NotRequired[Literal["immediate", "near", "far"] | None]
    # seconds present so far (0 when absent); gateways may report fractions (stored rounded)
    dwell_s: NotRequired[Annotated[float, Field(ge=0, le=30 * 86400)]]


EVENT = TypeAdapter(ProximityEventIn)


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
