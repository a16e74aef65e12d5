"""The gateway's fleet client against the CRM's fleet contract (``crm/fleet/schemas.py``).

The gateway never imports the CRM; here the two meet. The real ``FleetClient`` (real pipeline fed
real frames, real outbox and uploader) talks to a mock transport that answers with documents the
CRM's own code builds (``document_content``, ``GatewayConfigDocument``, ``etag_of``,
``EnrollOut``); what the gateway sends must validate as ``HeartbeatIn`` / ``EnrollIn``, and what
the CRM can serve must be accepted by the gateway's parser.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.clock import ManualClock
from beacon_gateway.config import ConfigError, GatewayConfig, GatewaySection, config_from_mapping
from beacon_gateway.enrolment import enroll
from beacon_gateway.fleet_client import CONFIG_PATH, HEARTBEAT_PATH, FleetClient
from beacon_gateway.ids import uuid7
from beacon_gateway.outbox import Outbox
from beacon_gateway.pipeline import Pipeline
from beacon_gateway.remote_config import apply_remote
from beacon_gateway.uploader import Uploader
from crm.fleet.schemas import (
    ConfigOverride,
    EnrollIn,
    EnrollOut,
    GatewayConfigDocument,
    HeartbeatAck,
    HeartbeatIn,
)
from crm.fleet.service import document_content, etag_of
from eddystone import build_tlm, build_uid

NS = "a1b2c3d4e5f60718293a"
GW = "spa-gw1"


def _document(
    override: dict[str, Any], version: int = 3, max_events: int = 5000
) -> GatewayConfigDocument:
    checked = ConfigOverride.model_validate(override).to_document()
    content = document_content(checked, [NS], max_events=max_events)
    return GatewayConfigDocument.model_validate(
        {"gateway_id": GW, "config_version": version, **content}
    )


class FakeCrm:
    """Answers heartbeat and config like the CRM, recording what the gateway sent."""

    def __init__(self, document: GatewayConfigDocument) -> None:
        self.document = document
        self.heartbeats: list[dict[str, Any]] = []
        self.config_requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        etag = etag_of(self.document)
        if request.url.path == CONFIG_PATH:
            self.config_requests.append(request)
            if request.headers.get("if-none-match") == etag:
                return httpx2.Response(304, headers={"ETag": etag})
            return httpx2.Response(
                200, json=self.document.model_dump(mode="json"), headers={"ETag": etag}
            )
        assert request.url.path == HEARTBEAT_PATH
        assert request.headers["content-encoding"] == "gzip"
        body = json.loads(gzip.decompress(request.content))
        self.heartbeats.append(body)
        beat = HeartbeatIn.model_validate(body)
        ack = HeartbeatAck(
            config_version=self.document.config_version,
            config_etag=etag,
            config_stale=beat.config_etag != etag,
            passes_updated=len(beat.passes),
            server_time=dt.datetime.now(dt.UTC),
        )
        return httpx2.Response(200, json=ack.model_dump(mode="json"))


def _local(tmp_path: Path) -> GatewayConfig:
    return config_from_mapping(
        {
            "gateway": {"id": GW, "crm_url": "http://crm.test", "data_dir": str(tmp_path)},
            "presence": {"rx_offset_db": 4.5},  # local calibration the CRM does not send
        }
    )


async def test_heartbeat_and_config_match_the_fleet_contract(tmp_path: Path) -> None:
    now = time.time()
    clock = ManualClock(now)
    local = _local(tmp_path)
    pipeline = Pipeline(local, lambda at: str(uuid7(int(at * 1000))))
    uid = build_uid(-18, bytes.fromhex(NS), bytes.fromhex("00000000002a"))
    for i in range(5):
        data = build_tlm(2950, 21.5, 100 + i, 60.0) if i == 4 else uid
        pipeline.process(Advertisement(now + i, "h:1", -60.0, {FEAA: data}, {}, None, None))
    thermal = tmp_path / "temp"
    thermal.write_text("48312\n")
    crm = FakeCrm(_document({"presence": {"enter_rssi_dbm": -70, "exit_timeout_s": 45}}))
    applied: list[GatewayConfig] = []
    with Outbox(tmp_path / "outbox.db", wall=clock.wall) as outbox:
        outbox.add(pipeline.advance(now + 5))
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(crm)) as client:
            uploader = Uploader(
                outbox,
                client,
                gateway_id=GW,
                token="t0k3n",
                crm_url="http://crm.test",
                config=local.upload,
                clock=clock,
            )
            fleet = FleetClient(
                local,
                client,
                token="t0k3n",
                clock=clock,
                pipeline=pipeline,
                outbox=outbox,
                uploader=uploader,
                on_config=applied.append,
                watchdog=lambda: {"scan_restarts": 1, "adapter_resets": 0, "exits": 0},
                version="0.1.0",
                thermal_zone=thermal,
                started_at=now - 100,
            )
            assert await fleet.fetch_config()
            clock.t = now + 10
            ack = await fleet.heartbeat()
            assert ack is not None and ack["config_stale"] is False
            assert not await fleet.fetch_config(), "304: nothing new"

    assert crm.config_requests[0].headers["authorization"] == "Bearer t0k3n"
    assert crm.config_requests[1].headers["if-none-match"] == etag_of(crm.document)
    (effective,) = applied
    assert effective.presence.enter_rssi_dbm == -70.0
    assert effective.presence.exit_timeout_s == 45.0
    assert effective.presence.rx_offset_db == 4.5, "keys the CRM does not send stay local"
    assert effective.scan.namespaces == (NS,)

    beat = HeartbeatIn.model_validate(crm.heartbeats[0])
    assert beat.gateway_id == GW
    assert beat.config_version == 3
    assert beat.config_etag == etag_of(crm.document)
    assert beat.config_hash == effective.remote_hash()
    assert beat.uptime_s == pytest.approx(110)
    assert beat.outbox_depth == outbox.depth
    assert beat.watchdog == {"scan_restarts": 1, "adapter_resets": 0, "exits": 0}
    assert beat.cpu_temperature_c == pytest.approx(48.312)
    assert beat.clock_synced is True
    assert beat.last_advert_age_s == pytest.approx(6)
    (health,) = beat.passes
    assert health.device["type"] == "eddystone-uid"
    assert health.battery_mv == 2950 and health.adv_count == 104
    assert not pipeline.health, "acknowledged pass health is not sent twice"


@pytest.mark.parametrize(
    "override",
    [
        {},
        {"scan": {"mode": "passive", "reference_beacon": f"{NS}:000000000001"}},
        {"scan": {"adapter": "hci1", "watchdog_silence_s": 3600, "restart_interval_s": 0.5}},
        {"presence": {"enter_rssi_dbm": -127 + 1, "exit_rssi_dbm": -127, "min_sightings": 100}},
        {"presence": {"exit_timeout_s": 3600, "dwell_interval_s": 5, "smoothing_window_s": 120}},
        {"presence": {"rx_offset_db": -50, "path_loss_exponent": 6, "max_tracked": 1}},
        {"advertise": {"url": "https://balise.fr/s", "uid": f"{NS}:0000000000ff"}},
        {"advertise": {"tx_power_0m": -100, "interval_ms": 20, "url": None, "uid": None}},
        {"upload": {"batch_max": 5000, "interval_s": 3600, "outbox_max_events": 1000}},
        {"upload": {"timeout_s": 600, "backoff_max_s": 86400}},
    ],
)
def test_every_document_the_crm_serves_is_accepted(
    tmp_path: Path, override: dict[str, Any]
) -> None:
    document = _document(override).model_dump(mode="json")
    version, cfg = apply_remote(_local(tmp_path), document, GW)
    assert version == 3
    for section, values in ConfigOverride.model_validate(override).to_document().items():
        for key, value in values.items():
            got = getattr(getattr(cfg, section), key)
            if key == "namespaces":
                continue
            assert got == (value if not isinstance(value, int | float) else pytest.approx(value))


def test_a_document_for_another_gateway_or_with_bad_values_is_refused(tmp_path: Path) -> None:
    document = _document({}).model_dump(mode="json")
    with pytest.raises(ConfigError, match="meant for gateway"):
        apply_remote(_local(tmp_path), {**document, "gateway_id": "other"}, GW)
    bad = {**document, "presence": {"min_sightings": 0}}
    with pytest.raises(ConfigError, match=r"presence\.min_sightings"):
        apply_remote(_local(tmp_path), bad, GW)


async def test_enroll_speaks_the_contract(tmp_path: Path) -> None:
    document = _document({"advertise": {"url": "https://balise.fr/s"}}, version=1)
    sent: list[dict[str, Any]] = []

    def crm(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        out = EnrollOut(
            gateway_id=GW, token="s3cr3t", config=document, config_etag=etag_of(document)
        )
        return httpx2.Response(200, json=out.model_dump(mode="json"))

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(crm)) as client:
        got = await enroll(client, "http://crm.test/", " 7KQ2-M9XD-4HTA-PW3C ")
    EnrollIn.model_validate(sent[0])
    assert got.gateway_id == GW and got.token == "s3cr3t"
    assert got.config.version == 1 and got.config.etag == etag_of(document)
    local = GatewayConfig(gateway=GatewaySection(id=GW, data_dir=str(tmp_path)))
    _, cfg = apply_remote(local, got.config.document, GW)
    assert cfg.advertise.url == "https://balise.fr/s"
