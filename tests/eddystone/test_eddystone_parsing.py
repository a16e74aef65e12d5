"""Frame and advertising-payload parsing: layouts, lengths, errors, and the JSON shapes."""

from __future__ import annotations

import json
import uuid

import pytest

from eddystone import (
    EDDYSTONE_SERVICE_UUID,
    Advertisement,
    BuildError,
    EddystoneError,
    EidFrame,
    EtlmFrame,
    IBeaconFrame,
    MalformedAdvertisementError,
    MalformedFrameError,
    PayloadTooLongError,
    TlmFrame,
    TruncatedError,
    UidFrame,
    UnknownFrame,
    UrlFrame,
    advertising_payload,
    build_eid,
    build_frame,
    build_ibeacon,
    build_tlm,
    build_uid,
    frame_to_json,
    frames_in,
    namespace_from_fqdn,
    parse_advertisement,
    parse_manufacturer_data,
    parse_service_data,
)

h = bytes.fromhex
UID20 = h("00ee8b0ca750095477cb3e770000000000010000")
IBEACON_UUID = uuid.UUID("f7826da6-4fa2-4e98-8024-bc5b71e0893e")
IBEACON_DATA = h("0215f7826da64fa24e988024bc5b71e0893e0001002ac5")


# --- Eddystone frames -----------------------------------------------------------------------


def test_uid_with_and_without_rfu() -> None:
    """UID is 20 bytes, or 18 when the RFU bytes are dropped (older beacons): both decode."""
    expected = UidFrame(-18, h("8b0ca750095477cb3e77"), h("000000000001"))
    assert parse_service_data(UID20) == expected
    assert parse_service_data(UID20[:18]) == expected


def test_uid_too_short() -> None:
    """17 bytes cannot hold the instance."""
    with pytest.raises(TruncatedError, match="UID"):
        parse_service_data(UID20[:17])


def test_trailing_bytes_after_fixed_frames_are_ignored() -> None:
    """Fixed-size frames tolerate trailing bytes (Nordic's eTLM RFU byte, §1.5)."""
    assert parse_service_data(UID20 + b"\x00") == parse_service_data(UID20)
    etlm = h("2001cc161d02394e2897acf4051a12347d2c")
    assert parse_service_data(etlm + b"\x00") == parse_service_data(etlm)
    eid = build_eid(-18, bytes(range(8)))
    assert parse_service_data(eid + b"\xff") == EidFrame(-18, bytes(range(8)))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("", TruncatedError),
        ("10ee03", TruncatedError),  # URL with no body
        ("10ee", TruncatedError),
        ("10ee03" + "61" * 18, MalformedFrameError),  # body > 17
        ("10ee04616263", EddystoneError),  # invalid scheme
        ("20", TruncatedError),  # TLM without version
        ("2000" + "00" * 11, TruncatedError),  # TLM 13 bytes
        ("2001" + "00" * 15, TruncatedError),  # eTLM 17 bytes
        ("2002" + "00" * 16, MalformedFrameError),  # unknown TLM version
        ("30ee01020304050607", TruncatedError),  # EID 9 bytes
    ],
)
def test_bad_frames_raise_typed_errors(data: str, error: type[EddystoneError]) -> None:
    """Every way a frame can be short or wrong is an EddystoneError subclass."""
    with pytest.raises(error):
        parse_service_data(h(data))


@pytest.mark.parametrize("frame_type", [0x40, 0x41, 0x50, 0xF0, 0x01, 0x11, 0xFF])
def test_unknown_frame_types_are_reported_not_raised(frame_type: int) -> None:
    """0x40 / 0x41 (Find Hub) and other unknown types come back as UnknownFrame."""
    data = bytes([frame_type]) + bytes(range(21))
    frame = parse_service_data(data)
    assert frame == UnknownFrame(frame_type, bytes(range(21)))
    assert frame.is_find_hub == (frame_type in (0x40, 0x41))
    assert frame_to_json(frame) == {
        "type": "eddystone-unknown",
        "frame_type": frame_type,
        "data": bytes(range(21)).hex(),
    }


def test_tlm_fields() -> None:
    """TLM: battery mV, 8.8 temperature, adv count, uptime from 0.1 s ticks."""
    frame = parse_service_data(h("20000bb8ff80ffffffff0000000f"))
    assert frame == TlmFrame(0, 3000, -0.5, 0xFFFFFFFF, 1.5)
    assert parse_service_data(h("20000000800000000000ffffffff")) == TlmFrame(
        0, 0, None, 0, 429496729.5
    )


def test_tx_power_is_signed() -> None:
    """The ranging byte is int8 in every frame that carries one."""
    assert parse_service_data(h("0080") + bytes(16)) == UidFrame(-128, bytes(10), bytes(6))
    assert parse_service_data(h("307f") + bytes(8)) == EidFrame(127, bytes(8))
    assert parse_service_data(h("1014") + b"\x02a") == UrlFrame(20, "http://a")


# --- iBeacon -----------------------------------------------------------------------------------


def test_ibeacon() -> None:
    """Apple 0x004C, 02 15, UUID, major, minor, measured power."""
    frame = parse_manufacturer_data(0x004C, IBEACON_DATA)
    assert frame == IBeaconFrame(IBEACON_UUID, 1, 42, -59)
    assert build_ibeacon(IBEACON_UUID, 1, 42, -59) == IBEACON_DATA
    assert frame_to_json(frame) == {
        "type": "ibeacon",
        "uuid": "f7826da6-4fa2-4e98-8024-bc5b71e0893e",
        "major": 1,
        "minor": 42,
        "measured_power": -59,
    }


def test_not_an_ibeacon() -> None:
    """Other companies and other Apple records are not iBeacons: None, not an error."""
    assert parse_manufacturer_data(0x0059, IBEACON_DATA) is None
    assert parse_manufacturer_data(0x004C, h("1005031c")) is None
    assert parse_manufacturer_data(0x004C, b"") is None


def test_truncated_ibeacon() -> None:
    """An Apple 02 15 record shorter than 23 bytes is truncated."""
    with pytest.raises(TruncatedError):
        parse_manufacturer_data(0x004C, IBEACON_DATA[:-1])


def test_ibeacon_builder_ranges() -> None:
    """Major/minor are uint16, power int8."""
    with pytest.raises(BuildError):
        build_ibeacon(IBEACON_UUID, 65536, 0, -59)
    with pytest.raises(BuildError):
        build_ibeacon(IBEACON_UUID, 0, 0, 128)


# --- Advertising payloads ---------------------------------------------------------------------


def test_advertisement_fields() -> None:
    """Flags, UUID lists, service data, manufacturer data, name and TX power are all read."""
    payload = (
        h("020106")
        + h("0503aafe0f18")  # 16-bit complete: FEAA, 180F
        + h("050412345678")  # 32-bit incomplete
        + bytes([17, 0x07])
        + IBEACON_UUID.bytes[::-1]  # 128-bit complete, little-endian
        + h("0409")
        + b"Zoo"
        + h("020af4")  # TX power -12
        + bytes([1 + len(IBEACON_DATA) + 2, 0xFF, 0x4C, 0x00])
        + IBEACON_DATA
        + h("0516aafe3000")  # truncated EID is only found by frames_in
    )
    adv = parse_advertisement(payload)
    assert adv.flags == 0x06
    assert adv.service_uuids == (
        EDDYSTONE_SERVICE_UUID,
        "0000180f-0000-1000-8000-00805f9b34fb",
        "78563412-0000-1000-8000-00805f9b34fb",  # little-endian on air
        str(IBEACON_UUID),
    )
    assert adv.local_name == "Zoo"
    assert adv.tx_power == -12
    assert adv.manufacturer_data == {0x004C: IBEACON_DATA}
    assert adv.service_data == {EDDYSTONE_SERVICE_UUID: h("3000")}
    with pytest.raises(TruncatedError):
        frames_in(adv)


def test_complete_name_preferred_and_invalid_utf8_replaced() -> None:
    """Complete Local Name beats Shortened; bad UTF-8 never raises."""
    adv = parse_advertisement(h("0308ff41") + h("0309") + b"Zo")
    assert adv.local_name == "Zo"
    assert parse_advertisement(h("0308ff41")).local_name == "\ufffdA"


def test_zero_length_structure_ends_significant_part() -> None:
    """After a zero length byte everything is padding, even garbage."""
    payload = advertising_payload(UID20) + b"\x00\xff\xff\x16"
    assert len(parse_advertisement(payload).structures) == 3
    assert parse_advertisement(b"\x00" * 31) == Advertisement()


def test_structure_running_past_the_end() -> None:
    """A length byte claiming more than remains is a TruncatedError naming the offset."""
    with pytest.raises(TruncatedError, match="byte 7"):
        parse_advertisement(advertising_payload(UID20)[:-1])


def test_unknown_ad_types_are_skipped() -> None:
    """Appearance (0x19) and other types are kept in structures and otherwise ignored."""
    adv = parse_advertisement(h("03194000") + advertising_payload(UID20, flags=None))
    assert adv.structures[0] == (0x19, h("4000"))
    assert frames_in(adv) == [parse_service_data(UID20)]


def test_service_data_without_uuid_list() -> None:
    """0xFEAA service data is decoded even when the beacon omits the UUID list."""
    adv = parse_advertisement(bytes([len(UID20) + 3, 0x16, 0xAA, 0xFE]) + UID20)
    assert adv.service_uuids == ()
    assert frames_in(adv) == [parse_service_data(UID20)]


def test_other_service_data_is_not_eddystone() -> None:
    """Service data of another UUID (e.g. 0xFD6F exposure notification) yields no frame."""
    adv = parse_advertisement(h("08166ffd0102030405"))
    assert adv.service_data == {"0000fd6f-0000-1000-8000-00805f9b34fb": h("0102030405")}
    assert frames_in(adv) == []


@pytest.mark.parametrize(
    "payload",
    [
        "0101",  # empty flags
        "0403010203",  # 16-bit UUID list of 3 bytes
        "03040102",  # 32-bit UUID list of 2 bytes
        "0216aa",  # service data AD shorter than its 16-bit UUID
        "02ff4c",  # manufacturer data without a whole company id
        "030af4f4",  # TX power of 2 bytes
        "0516aafe",  # structure running past the end
    ],
)
def test_malformed_structures(payload: str) -> None:
    """Structures whose value cannot be what their type says are typed errors."""
    with pytest.raises(EddystoneError):
        parse_advertisement(h(payload))


def test_malformed_structure_error_type() -> None:
    """A UUID list of the wrong width is MalformedAdvertisementError."""
    with pytest.raises(MalformedAdvertisementError, match="multiple of 2"):
        parse_advertisement(h("0403aafe01"))


def test_several_frames_in_one_payload_in_order() -> None:
    """frames_in returns every frame, in AD order."""
    eid = build_eid(-20, bytes(8))
    payload = (
        bytes([len(eid) + 3, 0x16, 0xAA, 0xFE])
        + eid
        + bytes([len(IBEACON_DATA) + 3, 0xFF, 0x4C, 0x00])
        + IBEACON_DATA
    )
    assert frames_in(parse_advertisement(payload)) == [
        EidFrame(-20, bytes(8)),
        IBeaconFrame(IBEACON_UUID, 1, 42, -59),
    ]


# --- Builders ----------------------------------------------------------------------------------


def test_advertising_payload_limit() -> None:
    """More than 31 bytes is refused, with the size in the message."""
    with pytest.raises(PayloadTooLongError, match="32 bytes"):
        advertising_payload(UID20 + b"\x00")
    assert len(advertising_payload(UID20 + b"\x00", flags=None)) == 29


@pytest.mark.parametrize(
    "call",
    [
        lambda: build_uid(-101, bytes(10), bytes(6)),
        lambda: build_uid(21, bytes(10), bytes(6)),
        lambda: build_uid(0, bytes(9), bytes(6)),
        lambda: build_uid(0, bytes(10), bytes(7)),
        lambda: build_eid(0, bytes(7)),
        lambda: build_tlm(-1, 20.0, 0, 0),
        lambda: build_tlm(70000, 20.0, 0, 0),
        lambda: build_tlm(3000, -128.0, 0, 0),
        lambda: build_tlm(3000, 128.0, 0, 0),
        lambda: build_tlm(3000, 20.0, -1, 0),
        lambda: build_tlm(3000, 20.0, 2**32, 0),
        lambda: build_tlm(3000, 20.0, 0, -1),
        lambda: build_tlm(3000, 20.0, 0, 429496730),
        lambda: build_frame(UnknownFrame(0x00, b"")),
        lambda: advertising_payload(UID20, flags=256),
    ],
)
def test_builders_refuse_what_the_format_cannot_carry(call: object) -> None:
    """Out-of-range builder inputs raise BuildError."""
    assert callable(call)
    with pytest.raises(BuildError):
        call()


def test_uid_builder_without_rfu() -> None:
    """rfu=False gives the older 18-byte form."""
    assert build_uid(-18, h("8b0ca750095477cb3e77"), h("000000000001"), rfu=False) == UID20[:18]


def test_namespace_from_fqdn() -> None:
    """Truncated SHA-1 of a domain name: 10 bytes, stable."""
    import hashlib

    expected = hashlib.sha1(b"balise.example", usedforsecurity=False).digest()[:10]
    assert namespace_from_fqdn("balise.example") == expected
    with pytest.raises(BuildError):
        namespace_from_fqdn("a.." + "b" * 70)


# --- JSON shapes (docs/architecture.md)
# ----------------------------------------------------------------


def test_json_shapes() -> None:
    """Exactly the documented keys; lowercase hex; null temperature; uptime in seconds."""
    assert frame_to_json(parse_service_data(UID20)) == {
        "type": "eddystone-uid",
        "tx_power_0m": -18,
        "namespace": "8b0ca750095477cb3e77",
        "instance": "000000000001",
    }
    assert frame_to_json(UrlFrame(-18, "https://goo.gl/Aq18zF")) == {
        "type": "eddystone-url",
        "tx_power_0m": -18,
        "url": "https://goo.gl/Aq18zF",
    }
    tlm = parse_service_data(h("20000bb880000000004500000259"))
    assert frame_to_json(tlm) == {
        "type": "eddystone-tlm",
        "version": 0,
        "battery_mv": 3000,
        "temperature_c": None,
        "adv_count": 69,
        "uptime_s": 60.1,
    }
    assert frame_to_json(EidFrame(-18, h("7DD8169DAE94258C"))) == {
        "type": "eddystone-eid",
        "tx_power_0m": -18,
        "eid": "7dd8169dae94258c",
    }
    etlm = EtlmFrame(1, h("CC161D02394E2897ACF4051A"), h("1234"), h("7D2C"))
    assert json.dumps(frame_to_json(etlm), separators=(",", ":")) == (
        '{"type":"eddystone-etlm","version":1,"ciphertext":"cc161d02394e2897acf4051a",'
        '"salt":"1234","mic":"7d2c"}'
    )


def test_frames_are_frozen_values() -> None:
    """Frames are immutable, comparable and hashable."""
    frame = parse_service_data(UID20)
    assert isinstance(frame, UidFrame)
    with pytest.raises(AttributeError):
        frame.tx_power_0m = 0  # type: ignore[misc]
    assert len({frame, parse_service_data(UID20)}) == 1
