"""One advertisement report as the scanner delivers it (mirrors bleak's ``AdvertisementData``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["FEAA", "Advertisement", "full_uuid"]

FEAA = "0000feaa-0000-1000-8000-00805f9b34fb"
_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"


def full_uuid(key: str) -> str:
    """A service UUID as the full lowercase 128-bit string (accepts the 4-hex short form)."""
    key = key.lower()
    if len(key) == 4:
        return f"0000{key}{_BASE_SUFFIX}"
    if len(key) == 8:
        return f"{key}{_BASE_SUFFIX}"
    return key


@dataclass(frozen=True, slots=True)
class Advertisement:
    """An advertisement report: when, from which address, how strong, what it carried.

    ``t`` is in the time base of the clock that stamped it (Unix on a trace). Service-data keys
    are full 128-bit UUID strings; manufacturer-data keys are company ids.
    """

    t: float
    address: str
    rssi: float
    service_data: Mapping[str, bytes] = field(default_factory=dict)
    manufacturer_data: Mapping[int, bytes] = field(default_factory=dict)
    local_name: str | None = None
    tx_power: int | None = None
