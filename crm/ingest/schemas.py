"""The ingest contract (docs/architecture.md): the one source of truth for gateway ↔ CRM batches.

The gateway does not import this module (it shares no code with the server but ``eddystone``);
``tests/contract/`` validates the gateway's real batches against these models, and the CRM
validates every request with them.

The contract is strict (pydantic strict mode): a value of another JSON type is refused, never
coerced — ``"seq": "1"``, ``"seq": true``, ``"rssi": "-60"`` — and times are RFC 3339 strings
with an offset (``Rfc3339``), never Unix numbers. The same rules hold whether the bytes are
validated in one go or event by event from parsed JSON.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    StringConstraints,
    TypeAdapter,
    WithJsonSchema,
    with_config,
)
from pydantic_core import core_schema
from typing_extensions import TypedDict

from crm.core.vocabulary import (
    EID_HEX_DIGITS,
    INSTANCE_HEX_DIGITS,
    NAMESPACE_HEX_DIGITS,
    GatewayId,
)

Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]+$")]

# RFC 3339 §5.6 date-time: seconds and an offset required ("T" and "Z" in either case).
RFC3339_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
# An aware datetime from an RFC 3339 string only. Strict mode alone is not enough: from JSON it
# still reads "1790000000" as Unix time, and from parsed JSON (the per-event path) it refuses
# every string. So: a strict string of the RFC 3339 shape, then parsed — both steps in
# pydantic-core, no Python per value.
Rfc3339 = Annotated[
    datetime,
    GetPydanticSchema(
        lambda _type, _handler: core_schema.chain_schema(
            [
                core_schema.str_schema(strict=True, pattern=RFC3339_PATTERN),
                core_schema.datetime_schema(strict=False, tz_constraint="aware"),
            ]
        )
    ),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


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


@with_config(ConfigDict(extra="forbid", strict=True))
class UidDevice(TypedDict):
    """A static Eddystone-UID pass: 10-byte namespace, 6-byte instance."""

    type: Literal["eddystone-uid"]
    namespace: Annotated[
        Hex, StringConstraints(min_length=NAMESPACE_HEX_DIGITS, max_length=NAMESPACE_HEX_DIGITS)
    ]
    instance: Annotated[
        Hex, StringConstraints(min_length=INSTANCE_HEX_DIGITS, max_length=INSTANCE_HEX_DIGITS)
    ]


@with_config(ConfigDict(extra="forbid", strict=True))
class EidDevice(TypedDict):
    """A rotating Eddystone-EID pass: the 8-byte ephemeral identifier as heard."""

    type: Literal["eddystone-eid"]
    eid: Annotated[Hex, StringConstraints(min_length=EID_HEX_DIGITS, max_length=EID_HEX_DIGITS)]


Device = Annotated[UidDevice | EidDevice, Field(discriminator="type")]

# RFC 9562's string form, either case; the CRM dedups ids in lower case
EventId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
]


@with_config(ConfigDict(strict=True))
class ProximityEventIn(TypedDict):
    """One enter / dwell / exit as the gateway reports it (unknown keys are ignored)."""

    id: EventId
    seq: Annotated[int, Field(ge=0, le=2**63 - 1)]
    kind: Literal["enter", "dwell", "exit"]
    observed_at: Rfc3339
    device: Device
    rssi: NotRequired[Annotated[float, Field(ge=-127, le=20)] | None]
    distance_m: NotRequired[Annotated[float, Field(ge=0, le=1000)] | None]
    zone: NotRequired[Literal["immediate", "near", "far"] | None]
    # seconds present so far (0 when absent); gateways may report fractions (stored rounded)
    dwell_s: NotRequired[Annotated[float, Field(ge=0, le=30 * 86400)]]


EVENT = TypeAdapter(ProximityEventIn)


class IngestBatch(BaseModel):
    """A batch: events are checked one by one, so one bad event never sinks the others."""

    model_config = ConfigDict(extra="ignore", strict=True)
    gateway_id: GatewayId
    sent_at: Rfc3339
    # The count is checked against the server's setting before any event is validated.
    events: Annotated[
        list[Any],
        Field(
            description="At most the CRM's BALISE_INGEST_MAX_EVENTS (5,000 unless changed; "
            "GET /api/v1/gateway/config gives it as limits.max_events_per_batch): "
            "more is a 413 (send fewer)."
        ),
    ]


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
