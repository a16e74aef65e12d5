"""``beacon-gateway decode`` (docs/architecture.md): run as ``python -m beacon_gateway`` in a
subprocess,
plus the same contract exercised in-process for the many small cases."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beacon_gateway.cli.decode import decode_command, decode_text

ROOT = Path(__file__).resolve().parents[2]

UID_FLAGS = "0201060303aafe1716aafe00ee8b0ca750095477cb3e770000000000010000"
URL_BROADCAST = "0303aafe1316aafe10ee03676f6f2e676c2f417131387a46"
TLM_FLAGS = "0201060303aafe1116aafe20000bb815800000004500000258"
EID_FLAGS = "0201060303aafe0d16aafe30ee7dd8169dae94258c"
ETLM_BROADCAST = "0303aafe1516aafe2001cc161d02394e2897acf4051a12347d2c"
IBEACON = "0201061aff4c000215f7826da64fa24e988024bc5b71e0893e0001002ac5"

UID_JSON = {
    "type": "eddystone-uid",
    "tx_power_0m": -18,
    "namespace": "8b0ca750095477cb3e77",
    "instance": "000000000001",
}
URL_JSON = {"type": "eddystone-url", "tx_power_0m": -18, "url": "https://goo.gl/Aq18zF"}
TLM_JSON = {
    "type": "eddystone-tlm",
    "version": 0,
    "battery_mv": 3000,
    "temperature_c": 21.5,
    "adv_count": 69,
    "uptime_s": 60.0,
}
EID_JSON = {"type": "eddystone-eid", "tx_power_0m": -18, "eid": "7dd8169dae94258c"}
ETLM_JSON = {
    "type": "eddystone-etlm",
    "version": 1,
    "ciphertext": "cc161d02394e2897acf4051a",
    "salt": "1234",
    "mic": "7d2c",
}
IBEACON_JSON = {
    "type": "ibeacon",
    "uuid": "f7826da6-4fa2-4e98-8024-bc5b71e0893e",
    "major": 1,
    "minor": 42,
    "measured_power": -59,
}

# Server-side packages the decode path must never import (it runs on a gateway-only install).
SERVER_MODULES = [
    "crm",
    "roadbook",
    "partners",
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "psycopg",
    "alembic",
    "uvicorn",
    "apscheduler",
    "jinja2",
]
RUNNER = (
    "import runpy, sys\n"
    "for name in sys.argv[1].split(','):\n"
    "    sys.modules[name] = None  # importing it now raises ImportError\n"
    "sys.argv = ['beacon-gateway', *sys.argv[2:]]\n"
    "runpy.run_module('beacon_gateway', run_name='__main__', alter_sys=True)\n"
)


def run_decode(*args: str, block_server: bool = False) -> tuple[int, list[object], str]:
    """Run ``python -m beacon_gateway decode ARGS``; return (exit code, JSON lines, stderr)."""
    if block_server:
        command = [sys.executable, "-c", RUNNER, ",".join(SERVER_MODULES), "decode", *args]
    else:
        command = [sys.executable, "-m", "beacon_gateway", "decode", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = done.stdout.splitlines()
    return done.returncode, [json.loads(line) for line in lines], done.stderr


def test_cli_decodes_raw_payloads() -> None:
    """One compact JSON object per input, in order, exit 0 — every frame type."""
    code, objects, stderr = run_decode(
        UID_FLAGS, URL_BROADCAST, TLM_FLAGS, EID_FLAGS, ETLM_BROADCAST, IBEACON
    )
    assert (code, stderr) == (0, "")
    assert objects == [UID_JSON, URL_JSON, TLM_JSON, EID_JSON, ETLM_JSON, IBEACON_JSON]


def test_cli_output_is_compact_lowercase_json() -> None:
    """Compact separators, lowercase hex even for uppercase input."""
    done = subprocess.run(
        [sys.executable, "-m", "beacon_gateway", "decode", EID_FLAGS.upper()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == ('{"type":"eddystone-eid","tx_power_0m":-18,"eid":"7dd8169dae94258c"}\n')


def test_cli_failure_sets_exit_status_and_keeps_going() -> None:
    """An undecodable input prints {"error": ...}; the others still print; exit status 1."""
    code, objects, _ = run_decode(UID_FLAGS, "not-hex", UID_FLAGS[:-2], EID_FLAGS)
    assert code == 1
    assert objects[0] == UID_JSON
    assert list(objects[1]) == ["error"]  # type: ignore[call-overload]
    assert list(objects[2]) == ["error"]  # type: ignore[call-overload]
    assert objects[3] == EID_JSON


def test_cli_service_data_mode() -> None:
    """--service-data takes bare 0xFEAA service data."""
    code, objects, _ = run_decode(
        "--service-data",
        "00ee8b0ca750095477cb3e770000000000010000",
        "20000bb880000000004500000258",
        "2001cc161d02394e2897acf4051a12347d2c",
    )
    assert code == 0
    assert objects == [UID_JSON, {**TLM_JSON, "temperature_c": None}, ETLM_JSON]


def test_cli_works_without_server_packages() -> None:
    """decode imports nothing of the server side: it runs with those modules unimportable."""
    code, objects, stderr = run_decode(UID_FLAGS, IBEACON, block_server=True)
    assert (code, objects) == (0, [UID_JSON, IBEACON_JSON]), stderr


# --- The same contract in-process -------------------------------------------------------------


def decode_one(text: str, *, service_data: bool = False) -> dict[str, object]:
    """Decode one input the way the command does."""
    return decode_text(text, service_data=service_data)


def test_zero_length_structure_ends_payload() -> None:
    """Padding after a zero length byte is ignored (a 31-byte padded advert)."""
    padded = EID_FLAGS + "00" * (31 - len(EID_FLAGS) // 2)
    assert decode_one(padded) == EID_JSON
    assert decode_one(EID_FLAGS + "00ffffff") == EID_JSON


def test_structure_past_the_end_is_an_error() -> None:
    """A length byte pointing past the end is an error, not a partial decode."""
    result = decode_one(EID_FLAGS[:-2])
    assert list(result) == ["error"]
    assert "AD structure" in str(result["error"])


def test_service_data_without_uuid_list() -> None:
    """0xFEAA service data is decoded even when the beacon omits the 16-bit UUID list."""
    assert decode_one("0d16aafe30ee7dd8169dae94258c") == EID_JSON


def test_several_frames_first_eddystone_then_also() -> None:
    """The first Eddystone frame leads; the rest (in payload order) are under "also"."""
    ibeacon_ad = IBEACON[6:]
    eid_ad = EID_FLAGS[14:]
    tlm_ad = "1116aafe20000bb815800000004500000258"
    assert decode_one(ibeacon_ad + eid_ad) == {**EID_JSON, "also": [IBEACON_JSON]}
    assert decode_one(tlm_ad + ibeacon_ad + eid_ad) == {
        **TLM_JSON,
        "also": [IBEACON_JSON, EID_JSON],
    }


def test_ibeacon_leads_when_no_eddystone_frame() -> None:
    """Without a decoded Eddystone frame the iBeacon leads, even after an unknown frame."""
    find_hub = "1916aafe40" + "11" * 20 + "00"
    assert decode_one(find_hub + IBEACON[6:]) == {
        **IBEACON_JSON,
        "also": [{"type": "eddystone-unknown", "frame_type": 0x40, "data": "11" * 20 + "00"}],
    }


def test_find_hub_frame_is_reported_not_an_error() -> None:
    """0x40/0x41 frames come out as eddystone-unknown with exit status 0."""
    assert decode_one("41aabb", service_data=True) == {
        "type": "eddystone-unknown",
        "frame_type": 0x41,
        "data": "aabb",
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("zz", "hex"),
        ("abc", "hex"),
        ("020106", "no Eddystone or iBeacon frame"),
        ("0201060303aafe", "no Eddystone or iBeacon frame"),
    ],
)
def test_errors_have_reasons(text: str, reason: str) -> None:
    """Undecodable inputs become {"error": "<reason>"}."""
    result = decode_one(text)
    assert list(result) == ["error"]
    assert reason in str(result["error"])


def test_hex_forms_accepted() -> None:
    """0x prefix, colons, dashes and spaces are tolerated."""
    spaced = " ".join(EID_FLAGS[i : i + 2] for i in range(0, len(EID_FLAGS), 2))
    assert decode_one(spaced) == EID_JSON
    assert decode_one("0x" + EID_FLAGS) == EID_JSON
    assert decode_one("30:ee:7d:d8:16:9d:ae:94:25:8c", service_data=True) == EID_JSON


def test_decode_command_status(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit status 0 when all inputs decode, 1 when any fails; one line per input."""
    assert decode_command([EID_FLAGS, UID_FLAGS], service_data=False) == 0
    assert decode_command([EID_FLAGS, "00"], service_data=True) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert json.loads(lines[3]) == {"error": "Eddystone-UID needs 18 or 20 bytes, got 1"}


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=80) | st.binary(max_size=40).map(bytes.hex), st.booleans())
def test_fuzz_decode_never_raises(text: str, service_data: bool) -> None:
    """Any input text gives a JSON-serialisable frame object or an error object."""
    result = decode_text(text, service_data=service_data)
    json.dumps(result)
    assert "type" in result or list(result) == ["error"]
