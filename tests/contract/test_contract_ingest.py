"""The gateway's own uploader output, validated against the CRM's ingest contract.

The gateway never imports the CRM; this test is where the two meet: real ``ProximityEvent``s go
through the real ``Outbox`` and ``Uploader`` (HTTP captured by a mock transport), and the body it
sends must parse as ``IngestBatch`` with every event a valid ``ProximityEventIn`` (``EVENT``).
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2

from beacon_gateway.clock import ManualClock
from beacon_gateway.config import UploadConfig
from beacon_gateway.events import ProximityEvent, eid_identity, uid_identity
from beacon_gateway.outbox import Outbox
from beacon_gateway.uploader import EVENTS_PATH, Uploader
from crm.ingest.schemas import EVENT, IngestBatch


def _events(now: float, exit_dwell_s: float) -> list[ProximityEvent]:
    uid = uid_identity(bytes.fromhex("a1b2c3d4e5f60718293a"), bytes.fromhex("00000000002a"))
    eid = eid_identity(bytes.fromhex("0102030405060708"))
    return [
        ProximityEvent(str(uuid.uuid4()), 0, "enter", now - 30, uid, -61.26, 0.8, "near", 0.0),
        ProximityEvent(str(uuid.uuid4()), 0, "dwell", now - 20, eid, -70.04, None, "far", 10.0),
        ProximityEvent(
            str(uuid.uuid4()), 0, "exit", now - 10, uid, -88.5, 12.3, "far", exit_dwell_s
        ),
    ]


async def _upload(tmp_path: Path, exit_dwell_s: float) -> tuple[list[Any], list[httpx2.Headers]]:
    """Run the real outbox and uploader once; return the JSON bodies and headers it sent."""
    now = time.time()
    clock = ManualClock(now)
    sent: list[dict[str, Any]] = []
    headers: list[httpx2.Headers] = []

    def crm(request: httpx2.Request) -> httpx2.Response:
        headers.append(request.headers)
        sent.append(json.loads(gzip.decompress(request.content)))
        return httpx2.Response(200, json={"accepted": 3, "duplicates": 0, "rejected": []})

    outbox = Outbox(tmp_path / "outbox.sqlite", wall=clock.wall)
    try:
        outbox.add(_events(now, exit_dwell_s))
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(crm)) as client:
            uploader = Uploader(
                outbox,
                client,
                gateway_id="spa-gw1",
                token="t0k3n",
                crm_url="http://crm.test",
                config=UploadConfig(),
                clock=clock,
            )
            await uploader.upload_once()
    finally:
        outbox.close()
    return sent, headers


async def test_uploader_batch_matches_the_ingest_contract(tmp_path: Path) -> None:
    sent, headers = await _upload(tmp_path, exit_dwell_s=20.0)
    assert len(sent) == 1
    assert headers[0]["content-encoding"] == "gzip"
    assert headers[0]["authorization"] == "Bearer t0k3n"
    batch = IngestBatch.model_validate(sent[0])
    assert batch.gateway_id == "spa-gw1"
    events = [EVENT.validate_python(e) for e in batch.events]
    assert [e["kind"] for e in events] == ["enter", "dwell", "exit"]
    uid = events[0]["device"]
    assert uid["type"] == "eddystone-uid" and uid["instance"] == "00000000002a"
    assert events[1]["device"]["type"] == "eddystone-eid"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert EVENTS_PATH == "/api/v1/gateway/events"


async def test_fractional_stay_matches_the_ingest_contract(tmp_path: Path) -> None:
    # a stay of fractional length, as the presence machine measures it
    sent, _ = await _upload(tmp_path, exit_dwell_s=20.25)
    events = [EVENT.validate_python(e) for e in IngestBatch.model_validate(sent[0]).events]
    assert events[-1]["dwell_s"] == 20.25
