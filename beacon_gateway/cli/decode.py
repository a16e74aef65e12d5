"""``beacon-gateway decode``: hex advertising payloads in, one compact JSON object per line out.

The command and the formatting of its output. Raw payloads are parsed as AD structures (a zero
length ends the significant part, a structure running past the end is an error);
``--service-data`` takes bare 0xFEAA service data. When a payload carries several beacon frames,
the object describes the first decoded Eddystone frame (else the first iBeacon, else a frame of
an unknown Eddystone type such as Find Hub's 0x40) and lists the others, in payload order, under
``"also"`` (present only when there are others). Hex input may carry a ``0x`` prefix and ``:``,
``-`` or space separators. Imports only :mod:`eddystone`, the stdlib and typer, so it runs with
just the ``gateway`` extra.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from eddystone import (
    EddystoneError,
    Frame,
    IBeaconFrame,
    UnknownFrame,
    frame_to_json,
    frames_in,
    parse_advertisement,
    parse_service_data,
)

_SEPARATORS = str.maketrans("", "", " \t:-")


def parse_hex(text: str) -> bytes:
    """Bytes of a hex string (optional ``0x`` prefix, ``:``/``-``/space separators allowed)."""
    cleaned = text.strip()
    if cleaned[:2].lower() == "0x":
        cleaned = cleaned[2:]
    cleaned = cleaned.translate(_SEPARATORS)
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise EddystoneError(f"not a hex string: {text!r}") from None


def _rank(frame: Frame) -> int:
    if isinstance(frame, UnknownFrame):
        return 2
    if isinstance(frame, IBeaconFrame):
        return 1
    return 0


def describe(frames: list[Frame]) -> dict[str, object]:
    """The JSON object for the beacon frames of one payload (see the module docstring)."""
    if not frames:
        raise EddystoneError("no Eddystone or iBeacon frame in the payload")
    primary = min(range(len(frames)), key=lambda i: (_rank(frames[i]), i))
    result = frame_to_json(frames[primary])
    others = [frame_to_json(frame) for i, frame in enumerate(frames) if i != primary]
    if others:
        result["also"] = others
    return result


def decode_payload(data: bytes, *, service_data: bool) -> dict[str, object]:
    """Decode one payload to its JSON object; raises EddystoneError when it cannot."""
    if not data:
        raise EddystoneError("empty payload")
    if service_data:
        return frame_to_json(parse_service_data(data))
    return describe(frames_in(parse_advertisement(data)))


def decode_text(text: str, *, service_data: bool) -> dict[str, object]:
    """Decode one hex input to its JSON object, or ``{"error": reason}``."""
    try:
        return decode_payload(parse_hex(text), service_data=service_data)
    except EddystoneError as exc:
        return {"error": str(exc)}


def decode_command(payloads: list[str], *, service_data: bool) -> int:
    """Print one compact JSON object per input; return 1 if any input failed, else 0."""
    status = 0
    out = sys.stdout
    for text in payloads:
        result = decode_text(text, service_data=service_data)
        if "error" in result:
            status = 1
        out.write(json.dumps(result, separators=(",", ":")) + "\n")
    out.flush()
    return status


def decode(
    payloads: Annotated[list[str], typer.Argument(help="Raw BLE advertising payloads, in hex.")],
    service_data: Annotated[
        bool, typer.Option("--service-data", help="Inputs are bare 0xFEAA service data.")
    ] = False,
) -> None:
    """Decode advertising payloads and print one JSON object per input."""
    raise typer.Exit(decode_command(payloads, service_data=service_data))
