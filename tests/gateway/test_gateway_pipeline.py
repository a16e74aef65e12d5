"""Pipeline: real frames from the eddystone builders through filter, smoothing and presence."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.config import config_from_mapping
from beacon_gateway.pipeline import Pipeline
from beacon_gateway.trace import AddressHasher, advert_to_json, parse_line, read_trace
from eddystone import build_eid, build_tlm, build_uid, build_url

NS = bytes.fromhex("00112233445566778899")
OTHER_NS = bytes.fromhex("ffeeddccbbaa99887766")
INST = bytes.fromhex("aabbccddeeff")
EID = bytes.fromhex("0102030405060708")
CFG = config_from_mapping(
    {"scan": {"namespaces": [NS.hex()]}, "presence": {"smoothing_window_s": 0.5}}
)


def pipeline() -> Pipeline:
    counter = itertools.count(1)
    return Pipeline(CFG, make_id=lambda at: f"id-{next(counter)}")


def adv(
    t: float, data: bytes, rssi: float = -60, address: str = "AA:00:00:00:00:01"
) -> Advertisement:
    return Advertisement(t=t, address=address, rssi=rssi, service_data={FEAA: data})


def test_uid_pass_enters_dwells_and_exits() -> None:
    p = pipeline()
    frame = build_uid(-18, NS, INST)
    events = [e for t in range(0, 70, 2) for e in p.process(adv(float(t), frame))]
    events += p.close_all(70.0)
    assert [(e.kind, e.observed_at, e.dwell_s) for e in events] == [
        ("enter", 2.0, 0.0),
        ("dwell", 62.0, 60.0),
        ("dwell", 122.0, 120.0),  # due before the exit (last sighting 68 + 60 s)
        ("exit", 128.0, 126.0),
    ]
    assert events[0].device == {
        "type": "eddystone-uid",
        "namespace": NS.hex(),
        "instance": INST.hex(),
    }
    assert events[0].distance_m is not None
    assert round(events[0].distance_m, 2) == 1.09  # 10 ** (1 / 27): 1 dB under -59 at 1 m
    assert p.counters.events == {"enter": 1, "dwell": 2, "exit": 1}


def test_namespace_filter_before_decode_and_eid_always_kept() -> None:
    p = pipeline()
    foreign = build_uid(-18, OTHER_NS, INST)
    eid = build_eid(-18, EID)
    out = []
    for t in range(3):
        out += p.process(adv(float(t), foreign))
        out += p.process(adv(float(t), eid, address="BB:00:00:00:00:02"))
    assert p.counters.filtered_namespace == 3
    assert [(e.kind, e.device) for e in out] == [
        ("enter", {"type": "eddystone-eid", "eid": EID.hex()})
    ]
    assert not p._decoded.keys() & {foreign}  # never decoded


def test_tlm_pairs_by_address_in_memory_only() -> None:
    p = pipeline()
    tlm = build_tlm(2950, 21.5, 1000, 3600.0)
    assert p.process(adv(0.0, tlm)) == []  # unpaired: nothing known about this address
    assert p.counters.unpaired == 1
    p.process(adv(1.0, build_uid(-18, NS, INST)))
    events = p.process(adv(2.0, tlm))  # the TLM's RSSI counts as a sighting of the UID
    assert [e.kind for e in events] == ["enter"]
    health = p.health[events[0].identity]
    assert (health.battery_mv, health.temperature_c) == (2950, 21.5)
    assert "AA:00" not in json.dumps(events[0].to_wire(0.0))


def test_malformed_and_foreign_frames_are_counted_and_dropped() -> None:
    p = pipeline()
    p.process(adv(0.0, bytes([0x00, 0xEE, 1, 2])))  # truncated UID of an allowed namespace?
    p.process(adv(0.0, bytes([0x00, 0xEE]) + NS + b"\x01"))  # truncated, allowed namespace
    p.process(adv(0.0, bytes([0x40]) + bytes(20)))  # Find Hub
    p.process(Advertisement(t=0.0, address="x", rssi=-50, manufacturer_data={76: b"\x02\x15"}))
    p.process(adv(0.0, build_url(-18, "https://example.com")))  # unpaired URL
    c = p.counters
    assert (c.filtered_namespace, c.malformed, c.not_eddystone, c.unpaired) == (1, 1, 2, 1)
    assert c.sightings == 0


def test_trace_round_trip_and_hashed_addresses(tmp_path: Path) -> None:
    a = adv(1795600012.503, build_uid(-18, NS, INST), address="C4:7C:8D:6A:1B:2F")
    hasher = AddressHasher(salt=b"s")
    line = json.dumps(advert_to_json(a, hasher(a.address)))
    assert "C4:7C" not in line
    back = parse_line(line)
    assert back.service_data == a.service_data
    assert back.address == hasher("c4:7c:8d:6a:1b:2f")
    short = parse_line('{"t": 1, "rssi": -50, "service_data": {"FEAA": "00ee"}, "address": "a"}')
    assert short.service_data == {FEAA: bytes.fromhex("00ee")}
    f = tmp_path / "t.jsonl"
    f.write_text(line + "\n\n" + line + "\n")
    assert len(list(read_trace(f))) == 2
