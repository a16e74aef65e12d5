"""Signal processing: RSSI smoothing, distance from a log-distance model, zones.

**Smoothing: a short time-windowed median.** BLE RSSI from a pass in a pocket is dominated by
fast fading and body shadowing: isolated dips of 10-20 dB and the occasional spike, not
Gaussian noise. ESPresense replaced its mean/1-euro filter by a time-windowed median/IQR
(reference: presence-gateways.md §4) for that reason: a median ignores up to half the window
being outliers, where a mean or a Kalman filter tuned like room-assistant's (R 0.0008, Q 4) is
dragged by each dip and reacts to a real walk-away only after tens of seconds. The window here
is shorter (5 s by default, at most 16 samples) than ESPresense's 15 s so that an exit on a
falling signal happens within seconds; the presence machine's hysteresis (enter -75 / exit -85
dBm, ``min_sightings``) absorbs what the median lets through. Memory and CPU per pass are
bounded by the sample cap.

**Distance: log-distance path loss**, ``d = 10 ** ((P1m - (RSSI + offset)) / (10 n))``, where
P1m comes from the frame (Eddystone ranging byte, the power at 0 m, minus 41 dB; iBeacon
measured power as is), ``offset`` is this gateway's receiver offset (from ``calibrate``) and
``n`` its path-loss exponent (2.7 by default, ESPresense's indoor value). The receiver offset is
applied to the samples as they come in, so the presence thresholds are in calibrated dBm too.

**Zones**: immediate < 0.5 m, near < 3 m, far otherwise. When the frame carries no usable
reference power, ``distance_m`` is ``None`` (contract) but a zone is still needed: it is taken
from a typical card's 1 m power (-59 dBm, the default of Theengs, room-assistant and HA).
"""

from __future__ import annotations

from collections import deque

from beacon_gateway.events import Zone

__all__ = [
    "DEFAULT_REF_1M_DBM",
    "RssiWindow",
    "SignalModel",
    "eddystone_ref_1m",
    "ibeacon_ref_1m",
]

EDDYSTONE_0M_TO_1M_DB = 41
DEFAULT_REF_1M_DBM = -59.0
MAX_SAMPLES = 16


def eddystone_ref_1m(tx_power_0m: int) -> float | None:
    """1 m reference power from an Eddystone ranging byte, or None if outside -100..+20 dBm."""
    if -100 <= tx_power_0m <= 20:
        return float(tx_power_0m - EDDYSTONE_0M_TO_1M_DB)
    return None


def ibeacon_ref_1m(measured_power: int) -> float | None:
    """iBeacon measured power is already the 1 m reference; 0 or positive means unset."""
    if -127 < measured_power < 0:
        return float(measured_power)
    return None


class RssiWindow:
    """Median of the RSSI samples of the last ``window_s`` seconds (at most 16 samples)."""

    __slots__ = ("_times", "_values", "window_s")

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque(maxlen=MAX_SAMPLES)
        self._values: deque[float] = deque(maxlen=MAX_SAMPLES)

    def add(self, t: float, rssi: float) -> float:
        """Add a sample taken at ``t`` and return the smoothed RSSI."""
        times, values = self._times, self._values
        times.append(t)
        values.append(rssi)
        horizon = t - self.window_s
        while times[0] < horizon:
            times.popleft()
            values.popleft()
        n = len(values)
        if n == 1:
            return rssi
        ordered = sorted(values)
        half = n >> 1
        if n & 1:
            return ordered[half]
        return (ordered[half - 1] + ordered[half]) / 2.0


class SignalModel:
    """A gateway's receiver calibration: offset (dB) and path-loss exponent."""

    __slots__ = ("path_loss_exponent", "rx_offset_db")

    def __init__(self, rx_offset_db: float = 0.0, path_loss_exponent: float = 2.7) -> None:
        self.rx_offset_db = rx_offset_db
        self.path_loss_exponent = path_loss_exponent

    def distance_m(self, rssi: float, ref_1m: float | None) -> float | None:
        """Estimated distance for a calibrated RSSI, or None without a reference power."""
        if ref_1m is None:
            return None
        return float(10.0 ** ((ref_1m - rssi) / (10.0 * self.path_loss_exponent)))

    def zone(self, rssi: float, ref_1m: float | None) -> Zone:
        """Zone from the distance (a typical 1 m power stands in when the frame has none)."""
        d = self.distance_m(rssi, DEFAULT_REF_1M_DBM if ref_1m is None else ref_1m)
        assert d is not None
        if d < 0.5:
            return "immediate"
        if d < 3.0:
            return "near"
        return "far"
