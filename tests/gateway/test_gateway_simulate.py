"""simulate: scenario validation, the visitor world, and a short run through the real stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest

from beacon_gateway.config import GatewayConfig
from beacon_gateway.fleet_client import CONFIG_PATH, HEARTBEAT_PATH
from beacon_gateway.pipeline import Pipeline
from beacon_gateway.simulate import (
    ScenarioError,
    World,
    load_scenario,
    parse_scenario,
    run_simulation,
)
from beacon_gateway.uploader import EVENTS_PATH
from tests.gateway.upload_support import accept, gunzipped

NS = "00112233445566778899"
SIMULATE = [sys.executable, "-m", "beacon_gateway", "simulate"]


def scenario(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "crm_url": "http://crm.test",
        "data_dir": str(tmp_path / "sim"),
        "gateways": [
            {"id": "zoo-1", "token": "tok-zoo", "site": "zoo"},
            {"id": "spa-1", "token": "tok-spa", "site": "spa"},
        ],
        "passes": [
            {"type": "eddystone-uid", "namespace": NS, "instance": "000000000001"},
            {"type": "eddystone-uid", "namespace": NS, "instance": "000000000002"},
            {"type": "eddystone-eid", "identity_key": "ab" * 16, "k": 10},
        ],
        **extra,
    }


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"gateways": []}, "at least one gateway"),
        ({"gateways": [{"id": "x"}]}, "each needs id, token and site"),
        ({"passes": [{"type": "ibeacon"}]}, "passes[0].type"),
        ({"passes": [{"type": "eddystone-uid", "namespace": "zz", "instance": "00"}]}, "namespace"),
        ({"passes": [{"type": "eddystone-eid", "identity_key": "ab" * 16, "k": 20}]}, "k"),
        ({"presence": {"min_sightings": 0}}, "presence.min_sightings"),
    ],
)
def test_bad_scenarios_are_refused(tmp_path: Path, patch: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_scenario({**scenario(tmp_path), **patch})


def test_scenario_file_errors_name_the_file_as_given(tmp_path: Path) -> None:
    missing = f"{tmp_path}/./none.json"
    with pytest.raises(ScenarioError) as err:
        load_scenario(missing)
    assert str(err.value) == f"{missing}: no such scenario file"
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.json: not valid JSON: Expecting"):
        load_scenario(broken)


def test_world_visitors_enter_within_ten_simulated_minutes(tmp_path: Path) -> None:
    scen = parse_scenario(scenario(tmp_path))
    world = World(scen.gateways, scen.passes, seed=1, t0=0.0)
    pipes = [Pipeline(GatewayConfig(), make_id=lambda at: "x") for _ in scen.gateways]
    entered: dict[str, float] = {}
    kinds: list[str] = []
    t = 0.0
    while t < 4 * 3600:
        t += 6.0  # 0.1 s of wall time at x60
        for gi, adv in world.adverts_until(t):
            for e in pipes[gi].process(adv):
                kinds.append(e.kind)
                entered.setdefault(json.dumps(e.device, sort_keys=True), e.observed_at)
        for p in pipes:
            kinds += [e.kind for e in p.advance(t)]
    assert len(entered) >= 3  # every pass (EIDs rotate: maybe more ids)
    assert min(entered.values()) < 600.0
    uid_first = [v for k, v in entered.items() if "uid" in k]
    assert max(uid_first) < 600.0
    assert {"enter", "dwell", "exit"} <= set(kinds)
    # no flapping: per stay, dwell events dominate enters
    assert kinds.count("dwell") > kinds.count("enter")


async def test_short_run_uploads_enters_with_each_gateways_token(tmp_path: Path) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    beats: list[tuple[str, dict[str, Any]]] = []
    fetched: list[str] = []

    def crm(request: httpx2.Request) -> httpx2.Response:
        auth = request.headers["authorization"]
        if request.url.path == CONFIG_PATH:
            fetched.append(auth)
            return httpx2.Response(304)  # nothing new: the scenario's own settings stay
        body = gunzipped(request)
        if request.url.path == HEARTBEAT_PATH:
            beats.append((auth, body))
            return httpx2.Response(200, json={"config_stale": False})
        assert request.url.path == EVENTS_PATH
        seen.append((auth, body))
        return accept(body)

    scen = parse_scenario(scenario(tmp_path))
    final = await run_simulation(
        scen, speed=600.0, duration=2.0, seed=3, transport=httpx2.MockTransport(crm)
    )
    assert seen, "something was uploaded"
    tokens = {body["gateway_id"]: auth for auth, body in seen}
    assert set(tokens.items()) <= {("zoo-1", "Bearer tok-zoo"), ("spa-1", "Bearer tok-spa")}
    events = [e for _, body in seen for e in body["events"]]
    assert any(e["kind"] == "enter" for e in events)
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))
    assert all(s["outbox"] == 0 for s in final)  # flushed on shutdown
    # every presence closed on shutdown: as many exits as enters per gateway
    for gw in ("zoo-1", "spa-1"):
        mine = [e for auth, body in seen if body["gateway_id"] == gw for e in body["events"]]
        assert sum(e["kind"] == "enter" for e in mine) == sum(e["kind"] == "exit" for e in mine)
        seqs = [e["seq"] for e in mine]
        assert seqs == sorted(seqs)
    assert (tmp_path / "sim" / "zoo-1" / "outbox.db").exists()
    # each simulated gateway heartbeats with its own token, like a real one (the fleet shows it
    # online), after asking for its remote config
    assert {(body["gateway_id"], auth) for auth, body in beats} == {
        ("zoo-1", "Bearer tok-zoo"),
        ("spa-1", "Bearer tok-spa"),
    }
    assert sorted(fetched) == ["Bearer tok-spa", "Bearer tok-zoo"]
    assert [s["heartbeats"] for s in final] == [1, 1]


def test_nothing_uploaded_is_a_failure_named_by_url_and_state_stays_by_the_scenario(
    tmp_path: Path,
) -> None:
    """The scenario says one CRM, --crm-url another (nobody listens there): the run fails
    loudly naming that URL, and the outboxes are next to the scenario, not in the cwd."""
    folder, cwd = tmp_path / "demo", tmp_path / "elsewhere"
    folder.mkdir()
    cwd.mkdir()
    (folder / "scenario.json").write_text(
        json.dumps({**scenario(tmp_path), "data_dir": "gateways"}), encoding="utf-8"
    )
    done = subprocess.run(
        [
            *SIMULATE,
            "--scenario",
            "../demo/scenario.json",
            "--speed",
            "600",
            "--duration",
            "2",
            "--crm-url",
            "http://127.0.0.1:9",
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert done.returncode == 1, done.stderr
    message = " ".join(done.stderr.split())
    assert "nothing could be uploaded to the CRM at http://127.0.0.1:9:" in message
    assert f"under {folder / 'gateways'}" in message
    assert "CRM http://127.0.0.1:9" in message, "the status line names the URL used"
    assert list(cwd.iterdir()) == [], "no state in the current directory"
    assert sorted(p.name for p in (folder / "gateways").iterdir()) == ["spa-1", "zoo-1"]
