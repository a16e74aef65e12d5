"""Receiver calibration: the offset that makes this gateway read a pass at 1 m as the pass says.

Every pass announces what a receiver should read at 1 m: an Eddystone frame's ranging byte is
the power at 0 m, minus 41 dB for 1 m; an iBeacon's measured power already is the 1 m value.
Receivers differ (a Pi's antenna, its case, the wall it is screwed to) by several dB, which is
a factor 1.5-2 in estimated distance. ``calibrate`` has the installer hold a pass at 1 m for a
while; the gateway's receiver offset is then

    ``rx_offset_db = ref_1m - median(RSSI samples)``

and the signal model adds it to every sample (:mod:`beacon_gateway.rssi`), so that the pass
at 1 m reads ``ref_1m`` and the log-distance model gives 1 m. The median, because RSSI in a
hand has fades of 10-20 dB that a mean would follow (the same reasoning as the smoothing
window). Pure: samples in, a number out; the CLI does the scanning and the writing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.rssi import eddystone_ref_1m, ibeacon_ref_1m
from eddystone import (
    EddystoneError,
    EidFrame,
    UidFrame,
    parse_manufacturer_data,
    parse_service_data,
)

__all__ = [
    "MAX_OFFSET_DB",
    "MIN_SAMPLES",
    "Calibration",
    "CalibrationError",
    "Sampler",
    "rx_offset_db",
]

MIN_SAMPLES = 5
MAX_OFFSET_DB = 50.0  # the CRM's schema bound for presence.rx_offset_db


class CalibrationError(ValueError):
    """Calibration cannot give a trustworthy offset; the message tells the installer why."""


def rx_offset_db(samples: Sequence[float], ref_1m: float) -> float:
    """The receiver offset (dB, one decimal) from RSSI samples of a pass held at 1 m."""
    if len(samples) < MIN_SAMPLES:
        raise CalibrationError(
            f"only {len(samples)} reading(s) of the pass, at least {MIN_SAMPLES} are needed: "
            "hold it still at 1 m for longer (--seconds), and check it is switched on"
        )
    offset = round(ref_1m - statistics.median(samples), 1)
    if abs(offset) > MAX_OFFSET_DB:
        raise CalibrationError(
            f"the offset would be {offset:+.1f} dB (more than {MAX_OFFSET_DB:.0f}): the pass was "
            "probably not at 1 m, or its power setting is wrong"
        )
    return offset + 0.0  # no "-0.0" in the config file


@dataclass(slots=True)
class _Pass:
    label: str
    ref_1m: float | None
    samples: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Calibration:
    """The result for one pass."""

    label: str
    samples: int
    median_rssi: float
    ref_1m: float
    rx_offset_db: float


class Sampler:
    """Collects RSSI samples per pass (UID, EID or iBeacon) from advertisement reports.

    ``uid`` (``"namespace:instance"``) keeps one UID pass only; without it every pass is kept
    and :meth:`result` picks the strongest (the one held at 1 m).
    """

    def __init__(self, uid: str | None = None) -> None:
        self.uid = uid
        self.passes: dict[str, _Pass] = {}

    def add(self, adv: Advertisement) -> None:
        """Take one report (anything that is not a ranging pass is ignored)."""
        found = _identify(adv)
        if found is None:
            return
        label, ref_1m = found
        if self.uid is not None and label != f"uid {self.uid}":
            return
        entry = self.passes.get(label)
        if entry is None:
            entry = self.passes[label] = _Pass(label, ref_1m)
        entry.samples.append(adv.rssi)

    def result(self) -> Calibration:
        """The offset for the chosen pass (``CalibrationError`` when there is none to trust)."""
        usable = [p for p in self.passes.values() if p.ref_1m is not None and p.samples]
        if not usable:
            wanted = f"the pass {self.uid}" if self.uid else "any pass with a power setting"
            raise CalibrationError(f"{wanted} was not heard: is it switched on and close by?")
        chosen = max(usable, key=lambda p: (len(p.samples) >= MIN_SAMPLES, _median(p.samples)))
        assert chosen.ref_1m is not None
        offset = rx_offset_db(chosen.samples, chosen.ref_1m)
        return Calibration(
            chosen.label, len(chosen.samples), _median(chosen.samples), chosen.ref_1m, offset
        )


def _median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples))


def _identify(adv: Advertisement) -> tuple[str, float | None] | None:
    """A pass's label and 1 m reference from one report, or None."""
    data = adv.service_data.get(FEAA)
    if data:
        try:
            frame = parse_service_data(data)
        except EddystoneError:
            return None
        if isinstance(frame, UidFrame):
            label = f"uid {frame.namespace.hex()}:{frame.instance.hex()}"
            return label, eddystone_ref_1m(frame.tx_power_0m)
        if isinstance(frame, EidFrame):
            return f"eid {frame.eid.hex()}", eddystone_ref_1m(frame.tx_power_0m)
        return None  # URL/TLM: no identity to keep the samples apart
    for company, payload in adv.manufacturer_data.items():
        try:
            beacon = parse_manufacturer_data(company, payload)
        except EddystoneError:
            continue
        if beacon is not None:
            label = f"ibeacon {beacon.uuid} {beacon.major}/{beacon.minor}"
            return label, ibeacon_ref_1m(beacon.measured_power)
    return None
