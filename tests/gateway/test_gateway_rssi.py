"""Signal model: reference power, log-distance, zones, median smoothing."""

import pytest

from beacon_gateway.rssi import RssiWindow, SignalModel, eddystone_ref_1m, ibeacon_ref_1m


def test_reference_power() -> None:
    assert eddystone_ref_1m(-18) == -59.0
    assert eddystone_ref_1m(-101) is None
    assert eddystone_ref_1m(21) is None
    assert ibeacon_ref_1m(-59) == -59.0
    assert ibeacon_ref_1m(0) is None


def test_log_distance_and_zones() -> None:
    m = SignalModel(rx_offset_db=0.0, path_loss_exponent=2.0)
    assert m.distance_m(-59.0, -59.0) == pytest.approx(1.0)
    assert m.distance_m(-79.0, -59.0) == pytest.approx(10.0)
    assert m.distance_m(-59.0, None) is None
    assert m.zone(-50.0, -59.0) == "immediate"  # 0.35 m
    assert m.zone(-59.0, -59.0) == "near"
    assert m.zone(-69.0, -59.0) == "far"  # 3.16 m
    assert m.zone(-45.0, None) == "immediate"  # typical card stands in


def test_median_window_ignores_a_dip_and_forgets_old_samples() -> None:
    w = RssiWindow(window_s=5.0)
    assert w.add(0.0, -60.0) == -60.0
    assert w.add(1.0, -62.0) == -61.0
    assert w.add(2.0, -95.0) == -62.0  # body-shadow dip: median holds
    assert w.add(3.0, -61.0) == -61.5
    assert w.add(10.0, -80.0) == -80.0  # everything older than 5 s is gone


def test_window_is_bounded() -> None:
    w = RssiWindow(window_s=1000.0)
    for i in range(100):
        w.add(float(i) / 100, -60.0 - (i % 2))
    assert len(w._values) == 16
