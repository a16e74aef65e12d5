"""Fleet client: remote config applied live and kept on disk, refused whole when invalid."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import stat
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from beacon_gateway.clock import ManualClock, SystemClock
from beacon_gateway.config import ConfigError, GatewayConfig, config_from_mapping
from beacon_gateway.files import write_atomic
from beacon_gateway.fleet_client import CONFIG_PATH, HEARTBEAT_PATH, FleetClient, cpu_temperature_c
from beacon_gateway.ids import uuid7
from beacon_gateway.outbox import Outbox
from beacon_gateway.pipeline import Pipeline
from beacon_gateway.remote_config import ConfigStore, RemoteConfig, apply_remote
from beacon_gateway.runtime import run_gateway
from tests.gateway.test_gateway_runtime import FakeScanner
from tests.gateway.upload_support import accept, gunzipped

GW = "zoo-1"


def _doc(version: int, **sections: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {"scan": {}, "presence": {}, "advertise": {}, "upload": {}}
    return {"gateway_id": GW, "config_version": version, **base, **sections}


class Crm:
    """A CRM double for the fleet endpoints (and the events endpoint: accepts all)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.heartbeats: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.down = False

    def etag(self) -> str:
        return f'"v{self.document["config_version"]}"'

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if self.down:
            raise httpx2.ConnectError("connection refused", request=request)
        if request.url.path == CONFIG_PATH:
            if request.headers.get("if-none-match") == self.etag():
                return httpx2.Response(304)
            return httpx2.Response(200, json=self.document, headers={"ETag": self.etag()})
        body = gunzipped(request)
        if request.url.path == HEARTBEAT_PATH:
            self.heartbeats.append(body)
            stale = body["config_etag"] != self.etag()
            return httpx2.Response(200, json={"config_stale": stale, "config_version": 0})
        self.events.extend(body["events"])
        return accept(body)


def _cfg(tmp_path: Path, **extra: dict[str, Any]) -> GatewayConfig:
    return config_from_mapping(
        {
            "gateway": {"id": GW, "crm_url": "http://crm.test", "data_dir": str(tmp_path)},
            "scan": {"restart_interval_s": 0.3},
            "presence": {"dwell_interval_s": 0.5, "exit_timeout_s": 1.0},
            "upload": {"interval_s": 0.2},
            **extra,
        }
    )


@contextlib.asynccontextmanager
async def _fleet_client(
    tmp_path: Path, cfg: GatewayConfig, crm: Crm, applied: list[GatewayConfig]
) -> AsyncIterator[FleetClient]:
    """A fleet client of ``cfg`` talking to ``crm`` (no CPU temperature to read); every config
    it applies is appended to ``applied``."""
    with Outbox(tmp_path / "outbox.db") as outbox:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(crm)) as client:
            yield FleetClient(
                cfg,
                client,
                token="tok",
                clock=ManualClock(time.time()),
                pipeline=Pipeline(cfg, lambda at: str(uuid7(int(at * 1000)))),
                outbox=outbox,
                on_config=applied.append,
                thermal_zone=tmp_path / "no-such-zone",
            )


async def _run_for(seconds: float, tmp_path: Path, crm: Crm, heartbeat_s: float) -> dict[str, Any]:
    """The gateway against ``crm`` for ``seconds``, hearing the fake card's 20 reports (its own
    clock is unused: this gateway runs on the system's)."""
    FakeScanner.clock, FakeScanner.reports = ManualClock(time.time()), 0
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    return await run_gateway(
        _cfg(tmp_path),
        "tok",
        clock=SystemClock(synchronized=lambda: True),
        scanner_factory=FakeScanner,
        transport=httpx2.MockTransport(crm),
        stop=stop,
        heartbeat_interval_s=heartbeat_s,
    )


async def test_run_applies_the_remote_config_live_and_reports_it(tmp_path: Path) -> None:
    # The CRM raises enter_rssi_dbm above what the card (-60 dBm) reaches: no visit is opened.
    crm = Crm(_doc(7, presence={"enter_rssi_dbm": -40.0, "exit_rssi_dbm": -95.0}))
    result = await _run_for(1.2, tmp_path, crm, heartbeat_s=0.3)
    assert result["config_version"] == 7
    assert result["heartbeats"] >= 2
    assert result["adverts"] > 10
    assert crm.events == [], "the live config forbade entering"
    assert all(b["config_version"] == 7 for b in crm.heartbeats)
    # the card falls silent after its 20 reports: a heartbeat while it was heard counts them
    assert max(b["adverts_per_s"] for b in crm.heartbeats) > 0
    stored = ConfigStore(tmp_path).load()
    assert stored is not None and stored.version == 7 and stored.etag == '"v7"'


async def test_last_good_config_applies_at_start_without_network(tmp_path: Path) -> None:
    doc = _doc(4, presence={"enter_rssi_dbm": -40.0, "exit_rssi_dbm": -95.0})
    ConfigStore(tmp_path).save(RemoteConfig(4, '"v4"', doc))
    crm = Crm(doc)
    crm.down = True
    result = await _run_for(0.8, tmp_path, crm, heartbeat_s=0.2)
    assert result["config_version"] == 4
    assert result["events"]["enter"] == 0


async def test_an_invalid_config_is_refused_whole_and_reported(tmp_path: Path) -> None:
    crm = Crm(_doc(1, presence={"enter_rssi_dbm": -70.0}))
    applied: list[GatewayConfig] = []
    async with _fleet_client(tmp_path, _cfg(tmp_path), crm, applied) as fleet:
        assert await fleet.fetch_config()
        crm.document = _doc(2, presence={"min_sightings": 0}, bogus={})
        crm.document.pop("bogus")
        assert not await fleet.fetch_config()
        await fleet.heartbeat()
    assert [c.presence.enter_rssi_dbm for c in applied] == [-70.0]
    assert fleet.effective.presence.enter_rssi_dbm == -70.0
    beat = crm.heartbeats[-1]
    assert beat["config_version"] == 1
    assert "presence.min_sightings" in beat["config_error"]
    assert beat["cpu_temperature_c"] is None
    stored = ConfigStore(tmp_path).load()
    assert stored is not None and stored.version == 1, "the bad one never reached the disk"


def test_cpu_temperature_and_secret_file(tmp_path: Path) -> None:
    zone = tmp_path / "temp"
    zone.write_text("51234\n")
    assert cpu_temperature_c(zone) == 51.234
    zone.write_text("garbage")
    assert cpu_temperature_c(zone) is None
    token = tmp_path / "etc" / "token"
    write_atomic(token, "s3cr3t")
    assert token.read_text() == "s3cr3t"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


def test_batch_max_is_fitted_to_the_crms_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = _cfg(tmp_path, upload={"batch_max": 8000})
    with caplog.at_level(logging.WARNING, logger="beacon_gateway.remote_config"):
        _, cfg = apply_remote(local, {**_doc(3), "limits": {"max_events_per_batch": 5000}}, GW)
    assert cfg.upload.batch_max == 5000
    assert "upload.batch_max = 8000 is above what the CRM accepts (5000" in caplog.text
    # the CRM's own value is fitted too, and a roomier limit changes nothing
    served = {**_doc(4, upload={"batch_max": 900}), "limits": {"max_events_per_batch": 600}}
    assert apply_remote(local, served, GW)[1].upload.batch_max == 600
    roomy = {**_doc(5), "limits": {"max_events_per_batch": 10_000}}
    assert apply_remote(local, roomy, GW)[1].upload.batch_max == 8000
    # a CRM that says nothing about its limits: the value stays (its 413s still halve batches)
    assert apply_remote(local, _doc(6), GW)[1].upload.batch_max == 8000


@pytest.mark.parametrize(
    "limits",
    [
        [],
        {"max_events_per_batch": 0},
        {"max_events_per_batch": True},
        {"max_events_per_batch": "5000"},
        {},
    ],
)
def test_nonsense_limits_refuse_the_document(tmp_path: Path, limits: object) -> None:
    with pytest.raises(ConfigError, match="limits"):
        apply_remote(_cfg(tmp_path), {**_doc(3), "limits": limits}, GW)


async def test_the_fitted_batch_max_is_what_the_gateway_applies(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, upload={"batch_max": 8000, "interval_s": 0.2})
    crm = Crm({**_doc(2), "limits": {"max_events_per_batch": 250}})
    applied: list[GatewayConfig] = []
    async with _fleet_client(tmp_path, cfg, crm, applied) as fleet:
        assert await fleet.fetch_config()
    assert [c.upload.batch_max for c in applied] == [250]
    assert fleet.effective.upload.batch_max == 250
    assert fleet.state.config_error is None
