"""Where the gateway and the CRM's fleet contract meet (crm/fleet/schemas.py).

- Every remote config document the CRM can serve is accepted by the gateway's own parser
  (``beacon_gateway.config.config_from_mapping``), applied key by key over a local config — for
  the defaults, for typical overrides and for any override the CRM accepts (hypothesis) — and
  the gateway's batches then never exceed what the CRM's ingest takes (``limits``).
- The real gateway client (``beacon_gateway.fleet_client``, ``beacon_gateway.enrolment``)
  against the real CRM app: enrolment by claim code, config with ETag and 304, heartbeats, an
  office override making it stale.
- The pass health the gateway's real pipeline collects from TLM frames, in the identity form
  its events use, and its real outbox statistics, fit ``HeartbeatIn``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import text

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.clock import ManualClock
from beacon_gateway.config import GatewayConfig, GatewaySection, config_from_mapping
from beacon_gateway.enrolment import enroll
from beacon_gateway.events import device_json
from beacon_gateway.fleet_client import FleetClient
from beacon_gateway.outbox import Outbox
from beacon_gateway.pipeline import Pipeline
from beacon_gateway.remote_config import apply_remote as gateway_apply
from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.fleet import service as fleet_service
from crm.fleet.schemas import ConfigOverride, GatewayConfigDocument, HeartbeatAck, HeartbeatIn
from crm.fleet.service import check_limits, document_content
from crm.gateways.models import Gateway
from crm.main import create_app
from crm.visitors import service as visitors
from eddystone import build_tlm, build_uid

NAMESPACE = "a1b2c3d4e5f60718293a"
LOCAL = GatewayConfig()
MAX_EVENTS = Settings(_env_file=None).ingest_max_events  # type: ignore[call-arg]


def apply_remote(local: GatewayConfig, document: dict[str, Any]) -> GatewayConfig:
    """What the gateway must do with a served document: its keys over the local sections."""
    body = GatewayConfigDocument.model_validate(document)
    sections = {}
    for name in ("scan", "presence", "advertise", "upload"):
        mine = dataclasses.asdict(getattr(local, name))
        mine.update(getattr(body, name))
        sections[name] = mine
    return config_from_mapping(sections, base=local)


def served(
    override: dict[str, Any], namespaces: list[str], max_events: int = MAX_EVENTS
) -> dict[str, Any]:
    """The document the CRM serves for ``override`` (raises if the CRM refuses it)."""
    checked = ConfigOverride.model_validate(override).to_document()
    check_limits(checked, max_events=max_events)
    content = document_content(checked, namespaces, max_events=max_events)
    return {"gateway_id": "spa-gw1", "config_version": 7, **content}


@pytest.mark.parametrize(
    "override",
    [
        {},
        {"presence": {"enter_rssi_dbm": -68, "exit_rssi_dbm": -80, "exit_timeout_s": 90}},
        {"scan": {"mode": "passive", "reference_beacon": f"{'0' * 20}:{'1' * 12}"}},
        {"advertise": {"url": "https://goo.gl/abc", "uid": f"{NAMESPACE}:00000000002a"}},
        {"advertise": {"url": None}, "upload": {"batch_max": 5000, "interval_s": 0.5}},
        {"presence": {"rx_offset_db": -4.5, "path_loss_exponent": 3.1, "max_tracked": 2000}},
    ],
)
def test_served_documents_are_accepted_by_the_gateway(override: dict[str, Any]) -> None:
    document = served(override, [NAMESPACE])
    cfg = apply_remote(LOCAL, document)
    assert NAMESPACE in cfg.scan.namespaces
    for section, values in document.items():
        if section in ("gateway_id", "config_version", "limits"):
            continue
        for key, value in values.items():
            got = getattr(getattr(cfg, section), key)
            assert (list(got) if isinstance(got, tuple) else got) == value, (section, key)


def test_keys_the_crm_does_not_send_keep_their_local_value() -> None:
    local = dataclasses.replace(
        LOCAL,
        scan=dataclasses.replace(LOCAL.scan, adapter="hci1"),
        presence=dataclasses.replace(LOCAL.presence, rx_offset_db=-3.0),  # calibrated on site
    )
    cfg = apply_remote(local, served({"presence": {"enter_rssi_dbm": -70}}, []))
    assert cfg.scan.adapter == "hci1"
    assert cfg.presence.rx_offset_db == -3.0
    assert cfg.presence.enter_rssi_dbm == -70
    assert cfg.scan.namespaces == ()  # no registered pass: the CRM says nothing, keep all


_floats = st.floats(allow_nan=False, allow_infinity=False, width=32)


def _section(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


overrides = st.fixed_dictionaries(
    {},
    optional={
        "scan": _section(
            mode=st.sampled_from(["active", "passive"]),
            namespaces=st.lists(st.from_regex(r"\A[0-9a-f]{20}\Z"), max_size=3),
            watchdog_silence_s=_floats,
            restart_interval_s=_floats,
        ),
        "presence": _section(
            enter_rssi_dbm=st.floats(-130, 25),
            exit_rssi_dbm=st.floats(-130, 25),
            exit_timeout_s=st.floats(0, 4000),
            dwell_interval_s=st.floats(0, 90000),
            min_sightings=st.integers(-1, 120),
            smoothing_window_s=st.floats(-1, 130),
            rx_offset_db=st.floats(-60, 60),
            path_loss_exponent=st.floats(0, 7),
            max_tracked=st.integers(0, 2_000_000),
        ),
        "advertise": _section(tx_power_0m=st.integers(-110, 30), interval_ms=st.integers(0, 20000)),
        "upload": _section(
            batch_max=st.integers(0, 6000),
            interval_s=_floats,
            timeout_s=_floats,
            outbox_max_events=st.integers(0, 10**9),
            backoff_max_s=_floats,
        ),
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(override=overrides)
def test_whatever_the_crm_accepts_the_gateway_accepts(override: dict[str, Any]) -> None:
    try:
        document = served(override, [NAMESPACE])
    except (ValidationError, ValueError):
        return  # the office got a 422: nothing is served
    apply_remote(LOCAL, document)  # must not raise ConfigError


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    override=overrides,
    max_events=st.integers(1, 20_000),
    local_batch_max=st.integers(1, 50_000),
)
def test_the_gateway_never_sends_more_than_the_crm_takes(
    override: dict[str, Any], max_events: int, local_batch_max: int
) -> None:
    """Whatever the CRM's limit, its override and the gateway's own file say."""
    local = dataclasses.replace(
        LOCAL, upload=dataclasses.replace(LOCAL.upload, batch_max=local_batch_max)
    )
    try:
        document = served(override, [NAMESPACE], max_events)
    except (ValidationError, ValueError):
        return
    GatewayConfigDocument.model_validate(document)
    assert document["upload"]["batch_max"] <= max_events
    _, cfg = gateway_apply(local, document, "spa-gw1")  # the gateway's own code
    assert cfg.upload.batch_max <= max_events


def test_real_pipeline_health_and_outbox_stats_fit_the_heartbeat(tmp_path: Path) -> None:
    now = time.time()
    pipeline = Pipeline(LOCAL, lambda _at: "0" * 32)
    instance = bytes.fromhex("00000000002a")
    uid = build_uid(-18, bytes.fromhex(NAMESPACE), instance)
    tlms = [build_tlm(2950, 21.5, 1200, 3600.0), build_tlm(0, None, 5, 0.5)]
    for i, tlm in enumerate(tlms):
        address = f"C4:7C:8D:6A:1B:{i:02X}"
        pipeline.process(Advertisement(now + i, address, -60.0, {FEAA: uid}))
        pipeline.process(Advertisement(now + i + 0.1, address, -60.0, {FEAA: tlm}))
    assert pipeline.health, "the pipeline paired no TLM frame"
    outbox = Outbox(tmp_path / "outbox.sqlite")
    try:
        stats = outbox.stats()
    finally:
        outbox.close()
    passes = [
        {
            "device": device_json(identity),
            "battery_mv": frame.battery_mv,
            "temperature_c": frame.temperature_c,
            "adv_count": frame.adv_count,
            "uptime_s": frame.uptime_s,
        }
        for identity, frame in pipeline.health.items()
    ]
    body = {
        "gateway_id": LOCAL.gateway.id,
        "sent_at": "2026-11-25T17:00:12.503Z",
        "version": "0.1.0",
        "config_version": None,
        "config_hash": LOCAL.remote_hash(),
        "uptime_s": 12.5,
        "adverts_per_s": pipeline.counters.adverts / 2,
        "last_advert_age_s": 0.2,
        "outbox_depth": stats.depth,
        "outbox_oldest_age_s": stats.oldest_age_s,
        "outbox_dropped": stats.dropped_dwell + stats.dropped_other,
        "watchdog": {"scan_restarts": 0, "adapter_resets": 0, "exits": 0},
        "counters": {"malformed": pipeline.counters.malformed},
        "clock_synced": True,
        "passes": passes,
    }
    heartbeat = HeartbeatIn.model_validate(body)
    assert heartbeat.passes[-1].battery_mv == 0
    assert heartbeat.passes[-1].temperature_c is None
    # an address never fits anywhere in the contract
    with pytest.raises(ValidationError):
        HeartbeatIn.model_validate({**body, "passes": [{**passes[0], "address": "C4:7C"}]})


async def test_real_gateway_client_against_the_real_crm(tmp_path: Path, db: Database) -> None:
    """Claim → token → config (200, then 304) → heartbeat → override → stale → new config."""
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, "contract", "Contract")
        site = await destinations.add_site(session, destination.id, "spa", "Spa")
        await visitors.enrol(session, destination.id, pass_uid=f"{NAMESPACE}:00000000002a")
        _, code = await fleet_service.add_gateway_with_claim(session, "spa-gw1", site, utcnow())
        await session.commit()
    app = create_app(Settings(_env_file=None, scheduler_enabled=False), db=db)  # type: ignore[call-arg]
    clock = ManualClock(time.time())
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://crm.test"
    ) as client:
        enrolment = await enroll(client, "http://crm.test", code.lower())
        assert enrolment.gateway_id == "spa-gw1"
        local = GatewayConfig(
            gateway=GatewaySection(id="spa-gw1", crm_url="http://crm.test", data_dir=str(tmp_path))
        )
        pipeline = Pipeline(local, lambda _at: "0" * 32)
        uid = build_uid(-18, bytes.fromhex(NAMESPACE), bytes.fromhex("00000000002a"))
        now = clock.now()
        pipeline.process(Advertisement(now, "h:1", -60.0, {FEAA: uid}))
        pipeline.process(
            Advertisement(now + 0.1, "h:1", -60.0, {FEAA: build_tlm(2800, 20.0, 9, 9)})
        )
        applied: list[GatewayConfig] = []
        with Outbox(tmp_path / "outbox.db", wall=clock.wall) as outbox:
            fleet = FleetClient(
                local,
                client,
                token=enrolment.token,
                clock=clock,
                pipeline=pipeline,
                outbox=outbox,
                on_config=applied.append,
                version="0.1.0",
            )
            assert await fleet.fetch_config()
            assert not await fleet.fetch_config(), "304 on the second fetch"
            ack = await fleet.heartbeat()
            assert ack is not None, fleet.state.last_error
            assert HeartbeatAck.model_validate(ack).config_stale is False
            assert ack["passes_updated"] == 1

            async with db.session(system=True) as session:
                gateway = await session.get(Gateway, "spa-gw1")
                assert gateway is not None
                await fleet_service.set_override(
                    session,
                    "spa-gw1",
                    ConfigOverride.model_validate(
                        {"presence": {"enter_rssi_dbm": -66, "exit_rssi_dbm": -79}}
                    ),
                    max_events=MAX_EVENTS,
                )
                await session.commit()
            ack = await fleet.heartbeat()
            assert ack is not None and ack["config_stale"] is True
            assert await fleet.fetch_config()
            ack = await fleet.heartbeat()
            assert ack is not None and ack["config_stale"] is False

    assert applied[-1].presence.enter_rssi_dbm == -66.0
    assert applied[-1].scan.namespaces == (NAMESPACE,)
    async with db.session(system=True) as session:
        row = (
            await session.execute(
                text("SELECT heartbeat, config_version FROM gateway WHERE id = 'spa-gw1'")
            )
        ).one()
        health = (
            await session.execute(
                text("SELECT health FROM device WHERE identity = :i"),
                {"i": f"uid:{NAMESPACE}:00000000002a"},
            )
        ).scalar_one()
    stored, version = row
    assert stored["applied_config_version"] == version == 2
    assert stored["clock_synced"] is True
    assert health["battery_mv"] == 2800
