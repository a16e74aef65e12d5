"""calibrate: the offset computation (pure) and the command end to end against dbusmock's BlueZ."""

from __future__ import annotations

import json
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.calibration import CalibrationError, Sampler, rx_offset_db
from beacon_gateway.cli.toml_edit import set_toml_keys
from beacon_gateway.config import load_config
from eddystone import build_eid, build_ibeacon, build_uid
from tests.gateway.bluez_support import (  # noqa: F401 (the fixture)
    add_device,
    bluez,
    push,
    reaped,
    start,
    wait_for_discovery,
)

NS = bytes.fromhex("00112233445566778899")
CARD = bytes.fromhex("0000000000c1")
OTHER = bytes.fromhex("0000000000c2")


def _uid(rssi: float, instance: bytes = CARD, tx: int = -18, t: float = 0.0) -> Advertisement:
    frame = build_uid(tx, NS, instance)
    return Advertisement(t=t, address="AA:00:00:00:00:01", rssi=rssi, service_data={FEAA: frame})


def test_offset_is_the_1m_reference_minus_the_median() -> None:
    # ranging byte -18 dBm at 0 m → -59 dBm at 1 m; this receiver reads -65: it is 6 dB deaf
    assert rx_offset_db([-65, -66, -64, -65, -90, -65], -59.0) == 6.0
    assert rx_offset_db([-50, -52, -51, -49, -51], -59.0) == -8.0
    assert rx_offset_db([-59.0] * 5, -59.0) == 0.0
    assert str(rx_offset_db([-59.0] * 5, -59.0)) == "0.0"  # never "-0.0" in the file
    assert rx_offset_db([-60, -61, -60, -61, -60, -61], -59.0) == 1.5  # even count: mid-point


def test_one_deep_fade_does_not_move_the_offset() -> None:
    steady = [-65.0] * 9
    assert rx_offset_db([*steady, -95.0, -95.0, -95.0], -59.0) == 6.0


def test_too_few_readings_or_an_absurd_offset_are_refused() -> None:
    with pytest.raises(CalibrationError, match="at least 5"):
        rx_offset_db([-60, -61], -59.0)
    with pytest.raises(CalibrationError, match="not at 1 m"):
        rx_offset_db([-120] * 10, -59.0)


def test_sampler_keeps_the_chosen_uid_or_the_strongest_pass() -> None:
    chosen = Sampler(f"{NS.hex()}:{CARD.hex()}")
    anyone = Sampler()
    for i in range(8):
        for sampler in (chosen, anyone):
            sampler.add(_uid(-70 - (i % 2), CARD))  # the card at 1 m: median -70.5
            sampler.add(_uid(-80, OTHER))  # a card further away
    assert chosen.result().rx_offset_db == 11.5
    got = anyone.result()
    assert got.label == f"uid {NS.hex()}:{CARD.hex()}"
    assert got.samples == 8 and got.median_rssi == -70.5 and got.ref_1m == -59.0


def test_sampler_reads_eid_and_ibeacon_references() -> None:
    sampler = Sampler()
    eid = build_eid(-20, bytes(range(8)))
    for _ in range(5):
        sampler.add(Advertisement(t=0, address="A", rssi=-64, service_data={FEAA: eid}))
    result = sampler.result()
    assert result.label.startswith("eid ") and result.ref_1m == -61.0
    assert result.rx_offset_db == 3.0

    ibeacon = build_ibeacon(uuid.UUID(int=1), 7, 9, -59)
    sampler = Sampler()
    for _ in range(5):
        sampler.add(Advertisement(t=0, address="B", rssi=-55, manufacturer_data={76: ibeacon}))
    result = sampler.result()
    assert result.label == f"ibeacon {uuid.UUID(int=1)} 7/9" and result.rx_offset_db == -4.0


def test_a_pass_never_heard_is_a_clear_failure() -> None:
    sampler = Sampler(f"{NS.hex()}:{CARD.hex()}")
    sampler.add(_uid(-60, OTHER))
    with pytest.raises(CalibrationError, match="was not heard"):
        sampler.result()


def test_presence_key_is_set_keeping_the_rest_of_the_file() -> None:
    text = (
        '# site: zoo\n[gateway]\nid = "zoo-1"\n\n[presence]\n# thresholds\n'
        "enter_rssi_dbm = -70\nrx_offset_db = 2.5  # old\n\n[upload]\nbatch_max = 100\n"
    )
    out = set_toml_keys(text, "presence", {"rx_offset_db": -3.5})
    assert out.count("rx_offset_db") == 1 and "rx_offset_db = -3.5" in out
    assert "# thresholds" in out and "# site: zoo" in out
    assert tomllib.loads(out)["upload"] == {"batch_max": 100}
    added = set_toml_keys('[gateway]\nid = "zoo-1"\n', "presence", {"rx_offset_db": 6.0})
    assert tomllib.loads(added) == {"gateway": {"id": "zoo-1"}, "presence": {"rx_offset_db": 6.0}}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        "# Balise gateway at the zoo\n"
        '[gateway]\nid = "zoo-1"\ndata_dir = "' + str(tmp_path) + '"\n\n'
        "[presence]\n# calibrated below\nenter_rssi_dbm = -72\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.bluez
def test_calibrate_writes_the_offset_measured_over_dbus(bluez: Any, tmp_path: Path) -> None:  # noqa: F811
    config = _config(tmp_path)
    flags = ["--seconds", "4", "--namespace", NS.hex(), "--instance", CARD.hex()]
    with reaped(start("calibrate", "--config", str(config), *flags)) as proc:
        wait_for_discovery(bluez, proc)
        time.sleep(0.3)  # bleak has its signal matches in place before StartDiscovery returns
        card_frame = build_uid(-18, NS, CARD)  # 1 m reference: -59 dBm
        other_frame = build_uid(-18, NS, OTHER)
        card = add_device(bluez, "C4:7C:8D:6A:1B:41", -66, card_frame)
        other = add_device(bluez, "C4:7C:8D:6A:1B:42", -50, other_frame)
        readings = [-66, -65, -67, -66, -90, -66, -65, -67, -66, -66]  # median -66, one fade
        for rssi in readings:
            push(card, rssi, card_frame)
            push(other, -50, other_frame)  # stronger, but not the chosen pass
            time.sleep(0.1)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["label"] == f"uid {NS.hex()}:{CARD.hex()}"
    assert result["median_rssi"] == -66.0 and result["ref_1m"] == -59.0
    assert result["rx_offset_db"] == 7.0
    assert "hold the pass" in err and "1 m" in err
    text = config.read_text(encoding="utf-8")
    assert "# Balise gateway at the zoo" in text and "# calibrated below" in text
    cfg = load_config(config)
    assert cfg.presence.rx_offset_db == 7.0
    assert cfg.presence.enter_rssi_dbm == -72.0 and cfg.gateway.id == "zoo-1"
    assert not (tmp_path / "gateway.toml.tmp").exists()
    assert config.stat().st_mode & 0o777 == 0o600, "the config is the gateway's own"


@pytest.mark.bluez
def test_calibrate_without_the_pass_leaves_the_config_alone(bluez: Any, tmp_path: Path) -> None:  # noqa: F811
    config = _config(tmp_path)
    before = config.read_text(encoding="utf-8")
    with reaped(start("calibrate", "--config", str(config), "--seconds", "3", "--any")) as proc:
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "was not heard" in err and "config unchanged" in err
    assert config.read_text(encoding="utf-8") == before
