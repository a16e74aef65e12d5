"""Property tests (hypothesis): build → parse round trips, and fuzzing that only ever yields a
frame or the library's own error."""

from __future__ import annotations

import contextlib
import json
import uuid

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eddystone import (
    EddystoneError,
    EidFrame,
    EtlmFrame,
    Frame,
    IBeaconFrame,
    IntegrityError,
    TlmFrame,
    UidFrame,
    UnknownFrame,
    UrlEncodingError,
    UrlFrame,
    advertising_payload,
    build_frame,
    build_ibeacon,
    compute_eid,
    decode_url,
    decrypt_etlm,
    encode_url,
    encrypt_tlm,
    frame_to_json,
    frames_in,
    parse_advertisement,
    parse_manufacturer_data,
    parse_service_data,
)
from eddystone.url import EXPANSIONS, SCHEMES

SETTINGS = settings(deadline=None, max_examples=300)

tx_powers = st.integers(-100, 20)
uid_frames = st.builds(
    UidFrame, tx_powers, st.binary(min_size=10, max_size=10), st.binary(min_size=6, max_size=6)
)
temperatures = st.none() | st.integers(-0x7FFF, 0x7FFF).map(lambda raw: raw / 256)
tlm_frames = st.builds(
    TlmFrame,
    st.just(0),
    st.integers(0, 0xFFFF),
    temperatures,
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFFFFFF).map(lambda ticks: ticks / 10),
)
etlm_frames = st.builds(
    EtlmFrame,
    st.just(1),
    st.binary(min_size=12, max_size=12),
    st.binary(min_size=2, max_size=2),
    st.binary(min_size=2, max_size=2),
)
eid_frames = st.builds(EidFrame, tx_powers, st.binary(min_size=8, max_size=8))
unknown_frames = st.builds(
    UnknownFrame,
    st.integers(0, 255).filter(lambda t: t not in (0x00, 0x10, 0x20, 0x30)),
    st.binary(max_size=19),  # 20 bytes of service data at most fit a legacy advert with Flags
)

# URL text: a lowercase host and a path of any printable ASCII, sprinkled with expansion texts.
host_chars = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-.")
path_chars = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
host = st.lists(host_chars | st.sampled_from(EXPANSIONS[7:]), min_size=1, max_size=8).map("".join)
path = st.lists(path_chars | st.sampled_from(EXPANSIONS), max_size=6).map("".join)
urls = st.builds(
    lambda scheme, h, p: scheme + h + ("/" + p if p else ""), st.sampled_from(SCHEMES), host, path
)


@st.composite
def url_frames(draw: st.DrawFn) -> UrlFrame:
    """URL frames whose URL the encoder accepts."""
    url = draw(urls)
    try:
        encode_url(url)
    except UrlEncodingError:
        assume(False)
    return UrlFrame(draw(tx_powers), url)


eddystone_frames = (
    uid_frames | url_frames() | tlm_frames | etlm_frames | eid_frames | unknown_frames
)
ibeacon_frames = st.builds(
    IBeaconFrame, st.uuids(), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(-128, 127)
)


def _must_be_frame_or_error(call: object) -> object:
    assert callable(call)
    try:
        return call()
    except EddystoneError:
        return None


# --- Round trips ---------------------------------------------------------------------------


@SETTINGS
@given(eddystone_frames)
def test_service_data_round_trip(frame: Frame) -> None:
    """parse_service_data(build_frame(f)) == f for every Eddystone frame type."""
    assert isinstance(frame, UidFrame | UrlFrame | TlmFrame | EtlmFrame | EidFrame | UnknownFrame)
    data = build_frame(frame)
    assert parse_service_data(data) == frame
    json.dumps(frame_to_json(frame))


@SETTINGS
@given(eddystone_frames, st.sampled_from([0x06, 0x04, None]))
def test_advertising_payload_round_trip(frame: Frame, flags: int | None) -> None:
    """Every frame fits a legacy advert and comes back from the raw payload."""
    assert not isinstance(frame, IBeaconFrame)
    payload = advertising_payload(build_frame(frame), flags=flags)
    assert len(payload) <= 31
    adv = parse_advertisement(payload)
    assert adv.flags == flags
    assert frames_in(adv) == [frame]


@SETTINGS
@given(ibeacon_frames)
def test_ibeacon_round_trip(frame: IBeaconFrame) -> None:
    """iBeacon manufacturer data round-trips, bare and inside a payload."""
    data = build_ibeacon(frame.uuid, frame.major, frame.minor, frame.measured_power)
    assert parse_manufacturer_data(0x004C, data) == frame
    payload = bytes([len(data) + 3, 0xFF, 0x4C, 0x00]) + data
    assert frames_in(parse_advertisement(b"\x02\x01\x06" + payload)) == [frame]


@SETTINGS
@given(urls)
def test_every_accepted_url_round_trips(url: str) -> None:
    """decode_url(encode_url(u)) == u for every URL the encoder accepts (lowercase host)."""
    try:
        encoded = encode_url(url)
    except UrlEncodingError:
        assume(False)
        return
    assert 2 <= len(encoded) <= 18
    assert decode_url(encoded) == url


def _shortest_length(body: str) -> int:
    """Brute-force minimum encoded body length (dynamic programming over all choices)."""
    best = [0] * (len(body) + 1)
    for i in range(len(body) - 1, -1, -1):
        options = [best[i + 1] + 1]
        options += [best[i + len(t)] + 1 for t in EXPANSIONS if body.startswith(t, i)]
        best[i] = min(options)
    return best[0]


@SETTINGS
@given(urls)
def test_encoder_is_shortest(url: str) -> None:
    """The encoder's body is as short as any mix of literals and expansion codes can make it."""
    scheme = max((s for s in SCHEMES if url.startswith(s)), key=len)
    body = url[len(scheme) :]
    try:
        encoded = encode_url(url)
    except UrlEncodingError:
        assert _shortest_length(body) > 17
        return
    assert len(encoded) - 1 == _shortest_length(body)


@SETTINGS
@given(st.text(max_size=40))
def test_any_text_encodes_or_is_refused_and_is_stable(text: str) -> None:
    """Any string encodes or raises UrlEncodingError; encoding is idempotent through decode."""
    try:
        encoded = encode_url(text)
    except UrlEncodingError:
        return
    assert encode_url(decode_url(encoded)) == encoded
    assert decode_url(encoded).lower() == text.lower()


@SETTINGS
@given(
    tlm_frames,
    st.binary(min_size=16, max_size=16),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 15),
    st.binary(min_size=2, max_size=2),
)
def test_etlm_round_trip(tlm: TlmFrame, ik: bytes, t: int, k: int, salt: bytes) -> None:
    """decrypt(encrypt(tlm)) == tlm, through the service-data bytes, anywhere in the window."""
    etlm = encrypt_tlm(ik, tlm, time_counter=t, k=k, salt=salt)
    parsed = parse_service_data(build_frame(etlm))
    assert isinstance(parsed, EtlmFrame)
    assert decrypt_etlm(ik, parsed, time_counter=(t >> k << k) + (1 << k) - 1, k=k) == tlm


@SETTINGS
@given(st.binary(min_size=16, max_size=16), st.integers(0, 0xFFFFFFFF), st.integers(0, 15))
def test_eid_constant_within_a_window(ik: bytes, t: int, k: int) -> None:
    """Every time counter inside one 2^K window gives the same EID."""
    start = t >> k << k
    assert compute_eid(ik, t, k) == compute_eid(ik, start, k)
    assert compute_eid(ik, t, k) == compute_eid(ik, start + (1 << k) - 1, k)


# --- Fuzzing -------------------------------------------------------------------------------


@SETTINGS
@given(st.binary(max_size=40))
def test_fuzz_service_data(data: bytes) -> None:
    """Arbitrary service data yields a frame or an EddystoneError, and the frame is JSON-able."""
    frame = _must_be_frame_or_error(lambda: parse_service_data(data))
    if frame is not None:
        assert isinstance(
            frame, UidFrame | UrlFrame | TlmFrame | EtlmFrame | EidFrame | UnknownFrame
        )
        json.dumps(frame_to_json(frame))


@SETTINGS
@given(st.sampled_from([0x00, 0x10, 0x20, 0x30]), st.integers(0, 1), st.binary(max_size=24))
def test_fuzz_service_data_known_types(frame_type: int, version: int, rest: bytes) -> None:
    """Arbitrary bytes behind each known frame-type byte (and TLM version) never escape."""
    _must_be_frame_or_error(lambda: parse_service_data(bytes([frame_type, version]) + rest))


@SETTINGS
@given(st.binary(max_size=62))
def test_fuzz_advertising_payload(payload: bytes) -> None:
    """Arbitrary payloads parse to frames or raise an EddystoneError."""

    def parse() -> list[Frame]:
        return frames_in(parse_advertisement(payload))

    frames = _must_be_frame_or_error(parse)
    if frames is not None:
        assert isinstance(frames, list)
        for frame in frames:
            json.dumps(frame_to_json(frame))


@st.composite
def ad_structure_payloads(draw: st.DrawFn) -> bytes:
    """Well-formed AD structure sequences with random types and values (more FEAA hits)."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        ad_type = draw(st.sampled_from([0x01, 0x03, 0x05, 0x07, 0x09, 0x0A, 0x16, 0x21, 0xFF]))
        prefix = draw(st.sampled_from([b"", b"\xaa\xfe", b"\x4c\x00\x02\x15"]))
        value = prefix + draw(st.binary(max_size=24))
        parts.append(bytes([len(value) + 1, ad_type]) + value)
    return b"".join(parts)


@SETTINGS
@given(ad_structure_payloads())
def test_fuzz_structured_payloads(payload: bytes) -> None:
    """Well-framed payloads with garbage values never raise anything but EddystoneError."""
    _must_be_frame_or_error(lambda: frames_in(parse_advertisement(payload)))


@SETTINGS
@given(st.integers(0, 0xFFFF), st.binary(max_size=30))
def test_fuzz_manufacturer_data(company: int, data: bytes) -> None:
    """Arbitrary manufacturer data is an iBeacon, None, or an EddystoneError."""
    _must_be_frame_or_error(lambda: parse_manufacturer_data(company, data))
    _must_be_frame_or_error(lambda: parse_manufacturer_data(0x004C, b"\x02\x15" + data))


@SETTINGS
@given(st.binary(max_size=24))
def test_fuzz_decode_url(data: bytes) -> None:
    """Arbitrary encoded URLs decode to text or raise UrlEncodingError."""
    try:
        text = decode_url(data)
    except UrlEncodingError:
        return
    assert text.isascii()


@SETTINGS
@given(eddystone_frames | ibeacon_frames, st.data())
def test_truncations_and_bit_flips(frame: Frame, data: st.DataObject) -> None:
    """Every truncation and a random bit flip of a valid payload: a frame or an EddystoneError."""
    if isinstance(frame, IBeaconFrame):
        mdata = build_ibeacon(frame.uuid, frame.major, frame.minor, frame.measured_power)
        payload = bytes([len(mdata) + 3, 0xFF, 0x4C, 0x00]) + mdata
        for cut in range(len(mdata)):
            _must_be_frame_or_error(lambda c=cut: parse_manufacturer_data(0x004C, mdata[:c]))
    else:
        service_data = build_frame(frame)
        payload = advertising_payload(service_data)
        for cut in range(len(service_data)):
            _must_be_frame_or_error(lambda c=cut: parse_service_data(service_data[:c]))
        bit = data.draw(st.integers(0, len(service_data) * 8 - 1))
        flipped = bytearray(service_data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        _must_be_frame_or_error(lambda: parse_service_data(bytes(flipped)))
    for cut in range(len(payload)):
        _must_be_frame_or_error(lambda c=cut: frames_in(parse_advertisement(payload[:c])))
    bit = data.draw(st.integers(0, len(payload) * 8 - 1))
    flipped = bytearray(payload)
    flipped[bit // 8] ^= 1 << (bit % 8)
    _must_be_frame_or_error(lambda: frames_in(parse_advertisement(bytes(flipped))))


@SETTINGS
@given(etlm_frames, st.binary(min_size=16, max_size=16), st.integers(0, 0xFFFFFFFF))
def test_fuzz_etlm_decrypt(frame: EtlmFrame, ik: bytes, t: int) -> None:
    """Random eTLM bytes under a random key: a TLM (1 in 65536) or IntegrityError, nothing else."""
    with contextlib.suppress(IntegrityError):
        decrypt_etlm(ik, frame, time_counter=t, k=10)


@SETTINGS
@given(st.builds(uuid.UUID, st.uuids().map(str)))
def test_uuid_strategy_sanity(value: uuid.UUID) -> None:
    """iBeacon UUIDs keep their dashed lowercase form in JSON."""
    frame = IBeaconFrame(value, 0, 0, -59)
    assert frame_to_json(frame)["uuid"] == str(value).lower()
