"""Trace files (docs/architecture.md): JSON lines mirroring bleak's ``AdvertisementData``.

``record`` writes them, ``replay`` reads them. Addresses belong to bystanders too, so they are
written as salted hashes unless the installer explicitly keeps them: ``h:`` + 12 hex of
SHA-256(salt + address). The salt is random per recording, so two recordings cannot be joined
on addresses, while TLM pairing inside one recording still works.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from beacon_gateway.advert import Advertisement, full_uuid

__all__ = ["AddressHasher", "TraceError", "advert_to_json", "parse_line", "read_trace"]


class TraceError(ValueError):
    """A trace line is not valid; the message gives the line number."""


class AddressHasher:
    """Salted, truncated SHA-256 of addresses for recordings."""

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt if salt is not None else secrets.token_bytes(16)
        self._cache: dict[str, str] = {}

    def __call__(self, address: str) -> str:
        """The pseudonym of ``address`` in this recording."""
        hashed = self._cache.get(address)
        if hashed is None:
            digest = hashlib.sha256(self._salt + address.upper().encode()).hexdigest()
            hashed = self._cache[address] = "h:" + digest[:12]
        return hashed


def advert_to_json(adv: Advertisement, address: str | None = None) -> dict[str, Any]:
    """One trace line's object (``address`` replaces the advertisement's, e.g. hashed)."""
    return {
        "t": round(adv.t, 3),
        "address": adv.address if address is None else address,
        "rssi": adv.rssi,
        "service_data": {k: v.hex() for k, v in adv.service_data.items()},
        "manufacturer_data": {str(k): v.hex() for k, v in adv.manufacturer_data.items()},
        "local_name": adv.local_name,
        "tx_power": adv.tx_power,
    }


def parse_line(line: str, lineno: int = 0) -> Advertisement:
    """Parse one trace line."""
    try:
        obj = json.loads(line)
        service = {
            full_uuid(k): bytes.fromhex(v) for k, v in (obj.get("service_data") or {}).items()
        }
        manufacturer = {
            int(k): bytes.fromhex(v) for k, v in (obj.get("manufacturer_data") or {}).items()
        }
        return Advertisement(
            t=float(obj["t"]),
            address=str(obj.get("address", "")),
            rssi=float(obj["rssi"]),
            service_data=service,
            manufacturer_data=manufacturer,
            local_name=obj.get("local_name"),
            tx_power=obj.get("tx_power"),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise TraceError(f"line {lineno}: {exc}") from exc


def read_trace(source: Path | IO[str]) -> Iterator[Advertisement]:
    """Yield the advertisements of a trace file (blank lines skipped)."""
    if isinstance(source, Path):
        with source.open(encoding="utf-8") as fh:
            yield from read_trace(fh)
        return
    for lineno, line in enumerate(source, start=1):
        if line.strip():
            yield parse_line(line, lineno)
