"""``beacon-gateway scan``, ``record`` and ``advertise`` against python-dbusmock's BlueZ.

Each command runs as the installer runs it (``python -m beacon_gateway ...`` in a subprocess,
which inherits the private bus's address and has its own event loop and signal handlers); the
test drives the mock with blocking dbus-python calls and checks what the command printed,
wrote or registered. ``scan`` and ``record`` stop by themselves (``--seconds``): the mock keeps
advertising until the command has exited, so nothing depends on how fast the machine is.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import dbus
import pytest
from typer.testing import CliRunner

from beacon_gateway.cli import app
from eddystone import build_ibeacon, build_tlm, build_uid, build_url
from tests.gateway.bluez_support import (  # noqa: F401 (the fixture)
    ADAPTER,
    FEAA,
    adapter_property,
    add_device,
    bluez,
    method_calls,
    push,
    push_rssi,
    reaped,
    start,
    wait_for,
    wait_for_discovery,
)

NS = bytes.fromhex("00112233445566778899")
CARD = bytes.fromhex("0000000000c1")
ADS = "org.bluez.LEAdvertisingManager1"


def finish(proc: subprocess.Popen[str], keep_going: Callable[[], None]) -> tuple[str, str]:
    """Call ``keep_going`` (fresh advertisements) until the command stops by itself."""
    with reaped(proc):
        while proc.poll() is None:
            keep_going()
            time.sleep(0.1)
        return proc.communicate(timeout=30)


def table_rows(text: str) -> list[list[str]]:
    """The body rows of a rich table (cells stripped)."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in text.splitlines()
        if line.startswith("│")
    ]


def datetime_s(rfc3339: str) -> float:
    """Seconds since the Unix epoch of an event's ``observed_at``."""
    return datetime.fromisoformat(rfc3339).timestamp()


def bus_name_of(conn: Any, pid: int) -> str:
    """The unique bus name of the connection process ``pid`` holds."""
    bus = dbus.Interface(
        conn.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"), "org.freedesktop.DBus"
    )
    names = [
        str(name)
        for name in bus.ListNames()
        if name.startswith(":") and bus.GetConnectionUnixProcessID(name) == pid
    ]
    assert len(names) == 1, names
    return names[0]


@pytest.mark.bluez
def test_scan_shows_each_frame_decoded_with_its_calibrated_distance(
    bluez: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    # This receiver reads 3 dB low and the site's path-loss exponent is 2: a UID card heard at
    # -62 dBm is at its 1 m power (-18 - 41 = -59 dBm) once calibrated, a URL beacon at -82 dBm
    # is 20 dB further down, ten times as far.
    config = tmp_path / "gw.toml"
    config.write_text("[presence]\nrx_offset_db = 3.0\npath_loss_exponent = 2.0\n")
    uid = build_uid(-18, NS, CARD)
    url = build_url(-18, "https://balise.fr/s")
    proc = start("scan", "--config", str(config), "--seconds", "3")
    wait_for_discovery(bluez, proc)
    card = add_device(bluez, "C4:7C:8D:6A:1B:51", -62, uid)
    site = add_device(bluez, "C4:7C:8D:6A:1B:52", -82, url)
    tlm = add_device(bluez, "C4:7C:8D:6A:1B:53", -65, build_tlm(3000, 21.5, 0, 0.0))
    broken = add_device(bluez, "C4:7C:8D:6A:1B:54", -70, b"\x00\x01")
    phone = add_device(  # an iBeacon: no Eddystone service data, no row
        bluez,
        "C4:7C:8D:6A:1B:55",
        -40,
        None,
        manufacturer_data={0x004C: build_ibeacon(uuid.UUID(int=7), 1, 2, -59)},
    )
    count = 0

    def advertise() -> None:
        nonlocal count
        count += 1
        push(card, -62, uid)
        push(site, -82, url)
        # TLM counters move on every frame: the table keeps one row per beacon, the latest
        push(tlm, -65, build_tlm(3000, 21.5, count, count / 10))
        push(broken, -70, b"\x00\x01")
        push_rssi(phone, -40 - count % 2)

    out, err = finish(proc, advertise)
    assert proc.returncode == 0, err
    assert out == ""  # the live table goes to stderr
    rows = table_rows(err)
    frames = [json.loads(r[0]) if r[0].startswith("{") else r[0] for r in rows]
    tlm_row = next(f for f in frames if isinstance(f, dict) and f["type"] == "eddystone-tlm")
    assert [(frame, r[1], r[2]) for frame, r in zip(frames, rows, strict=True)] == [
        (
            {
                "type": "eddystone-uid",
                "tx_power_0m": -18,
                "namespace": NS.hex(),
                "instance": CARD.hex(),
            },
            "-62",
            "1.0 m",
        ),
        (  # no ranging byte in a TLM: no distance
            {
                "type": "eddystone-tlm",
                "version": 0,
                "battery_mv": 3000,
                "temperature_c": 21.5,
                "adv_count": tlm_row["adv_count"],
                "uptime_s": tlm_row["uptime_s"],
            },
            "-65",
            "",
        ),
        ("malformed: Eddystone-UID needs 18 or 20 bytes, got 2", "-70", ""),
        (
            {"type": "eddystone-url", "tx_power_0m": -18, "url": "https://balise.fr/s"},
            "-82",
            "10.0 m",
        ),
    ]
    assert 1 <= tlm_row["adv_count"] <= count  # a pushed TLM, not the one the device began with


@pytest.mark.bluez
def test_record_writes_a_trace_that_replay_reads_back(bluez: Any, tmp_path: Path) -> None:  # noqa: F811
    trace = tmp_path / "site.jsonl"
    uid = build_uid(-18, NS, CARD)
    foreign = build_uid(-18, bytes(10), bytes(6))
    ibeacon = build_ibeacon(uuid.UUID(int=7), 1, 2, -59)
    before = time.time()
    proc = start("record", str(trace), "--seconds", "3")
    wait_for_discovery(bluez, proc)
    card = add_device(bluez, "C4:7C:8D:6A:1B:61", -60, uid)
    other = add_device(bluez, "C4:7C:8D:6A:1B:62", -50, foreign)
    phone = add_device(
        bluez,
        "C4:7C:8D:6A:1B:63",
        -70,
        None,
        manufacturer_data={0x004C: ibeacon},
        name="Pass 7",
        tx_power=4,
    )
    count = 0

    def advertise() -> None:
        nonlocal count
        count += 1
        push(card, -60 - count % 2, uid)
        push(other, -50, foreign)
        push_rssi(phone, -70 - count % 2)

    out, err = finish(proc, advertise)
    after = time.time()
    assert proc.returncode == 0, err
    assert out == ""  # the trace goes to the file, the count to stderr
    lines = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    assert f"{len(lines)} advertisement reports written to {trace}" in " ".join(err.split())
    assert len(lines) >= 9  # three devices, each heard on arrival and on (many) pushes
    for line in lines:
        assert list(line) == [
            "t",
            "address",
            "rssi",
            "service_data",
            "manufacturer_data",
            "local_name",
            "tx_power",
        ]
        assert before <= line["t"] <= after  # Unix time, as replay expects
        assert re.fullmatch(r"h:[0-9a-f]{12}", line["address"])  # never the address itself
    assert [x["t"] for x in lines] == sorted(x["t"] for x in lines)
    by_address: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_address.setdefault(line["address"], []).append(line)
    assert len(by_address) == 3  # one stable pseudonym per device within a recording
    by_what = {
        (json.dumps(x["service_data"]), json.dumps(x["manufacturer_data"])): x for x in lines
    }
    card_line = by_what[(json.dumps({FEAA: uid.hex()}), "{}")]
    assert card_line["local_name"] is None and card_line["tx_power"] is None
    assert {x["rssi"] for x in by_address[card_line["address"]]} <= {-60.0, -61.0}
    other_line = by_what[(json.dumps({FEAA: foreign.hex()}), "{}")]
    assert {x["rssi"] for x in by_address[other_line["address"]]} == {-50.0}
    phone_line = by_what[("{}", json.dumps({"76": ibeacon.hex()}))]  # 0x004C: Apple
    assert (phone_line["local_name"], phone_line["tx_power"]) == ("Pass 7", 4)
    assert {x["rssi"] for x in by_address[phone_line["address"]]} <= {-70.0, -71.0}

    # replay turns the recording into the card's visit (the foreign namespace filtered out)
    config = tmp_path / "gw.toml"
    config.write_text(f'[gateway]\nid = "zoo-1"\n[scan]\nnamespaces = ["{NS.hex()}"]\n')
    result = CliRunner().invoke(app, ["replay", str(trace), "--config", str(config), "--dry-run"])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    card_lines = by_address[card_line["address"]]
    enter, dwell, leave = (datetime_s(e["observed_at"]) for e in events)
    assert [(e["kind"], e["dwell_s"]) for e in events] == [
        ("enter", 0.0),
        ("dwell", 60.0),
        ("exit", pytest.approx(leave - enter, abs=0.001)),
    ]
    assert all(
        e["device"] == {"type": "eddystone-uid", "namespace": NS.hex(), "instance": CARD.hex()}
        for e in events
    )
    # on the trace's own clock: entered at the second sighting (min_sightings), a dwell a
    # minute later, left exit_timeout_s after the last sighting
    assert enter == pytest.approx(card_lines[1]["t"], abs=0.001)
    assert dwell == pytest.approx(enter + 60.0, abs=0.001)
    assert leave == pytest.approx(card_lines[-1]["t"] + 60.0, abs=0.001)
    assert f"{len(lines)} adverts" in result.stderr


@pytest.mark.bluez
def test_advertise_registers_the_sites_frames_and_unregisters_on_ctrl_c(
    bluez: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = tmp_path / "gw.toml"
    config.write_text(
        "[advertise]\n"
        'url = "https://balise.fr/zoo"\n'
        f'uid = "{NS.hex()}:0000000000a1"\n'
        "tx_power_0m = -20\n"
        "interval_ms = 200\n"
    )
    url = build_url(-20, "https://balise.fr/zoo")
    uid = build_uid(-20, NS, bytes.fromhex("0000000000a1"))
    with reaped(start("advertise", "--config", str(config), "--seconds", "60")) as proc:
        wait_for(proc, "registration", lambda: bool(method_calls(bluez, "RegisterAdvertisement")))
        [[path, options]] = method_calls(bluez, "RegisterAdvertisement")
        assert dict(options) == {}
        assert adapter_property(bluez, ADS, "ActiveInstances") == 1
        ours = dbus.Interface(
            bluez.get_object(bus_name_of(bluez, proc.pid), path), dbus.PROPERTIES_IFACE
        )
        seen: set[bytes] = set()

        def both_frames_shown() -> bool:
            got = ours.GetAll("org.bluez.LEAdvertisement1")
            assert got["Type"] == "broadcast"
            assert list(got["ServiceUUIDs"]) == [FEAA]
            assert got["MinInterval"] == got["MaxInterval"] == 200
            assert list(got["ServiceData"]) == [FEAA]
            seen.add(bytes(got["ServiceData"][FEAA]))
            return {url, uid} <= seen

        wait_for(proc, "the URL and UID frames in turn", both_frames_shown)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    # on air: the site's URL and UID as configured, and at most the Pi's TLM (frame type 0x20)
    assert all(frame in (url, uid) or frame[0] == 0x20 for frame in seen)
    assert method_calls(bluez, "UnregisterAdvertisement") == [[path]]
    assert adapter_property(bluez, ADS, "ActiveInstances") == 0
    assert "registrations=1" in err and "registration_errors=0" in err


def test_advertise_with_nothing_configured_says_so(tmp_path: Path) -> None:
    config = tmp_path / "gw.toml"
    config.write_text('[gateway]\nid = "zoo-1"\n')
    result = CliRunner().invoke(app, ["advertise", "--config", str(config)])
    assert result.exit_code == 2
    assert "nothing to advertise" in " ".join(result.output.split())
