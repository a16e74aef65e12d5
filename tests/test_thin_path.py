"""The thin path, every hop real: simulated gateways → HTTP ingest → PostgreSQL → a roadbook feed.

``crm demo`` seeds the demo destination in a database of the test's own, the CRM runs on a real
uvicorn, and ``beacon-gateway simulate`` runs in its own process: real pipeline, real outboxes,
real uploads with each gateway's token.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import psycopg
from sqlalchemy.engine import make_url

from tests.conftest import LiveServer


def test_simulated_visits_reach_the_visitors_feeds(live_crm: LiveServer, tmp_path: Path) -> None:
    live_server = live_crm
    env = {**os.environ, "DATABASE_URL": live_server.database_url}
    scenario = tmp_path / "scenario.json"
    seeded = subprocess.run(
        [
            sys.executable,
            "-m",
            "crm",
            "demo",
            "--scenario",
            str(scenario),
            "--base-url",
            live_server.url,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    feeds = dict(re.findall(r"^Feed of (\w+) \(\w\w\): (\S+)$", seeded.stdout, re.MULTILINE))
    assert feeds.keys() == {"Léa", "Tom", "Anke", "Daan", "Marc"}
    data = json.loads(scenario.read_text())
    data["data_dir"] = str(tmp_path / "gateways")
    scenario.write_text(json.dumps(data))

    simulated = subprocess.run(
        [
            sys.executable,
            "-m",
            "beacon_gateway",
            "simulate",
            "--scenario",
            str(scenario),
            "--speed",
            "240",
            "--duration",
            "25",
            "--seed",
            "7",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert simulated.returncode == 0, simulated.stderr[-2000:]
    # The scheduler's visits follower merges what ingest queued within about a second.
    dsn = (
        make_url(live_server.database_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    deadline = time.monotonic() + 15
    with psycopg.connect(dsn, autocommit=True) as conn:
        while conn.execute("SELECT count(*) FROM visit_queue").fetchone() != (0,):
            assert time.monotonic() < deadline, "the visits follower did not drain the queue"
            time.sleep(0.2)

    visits: dict[str, int] = {}
    for name, url in feeds.items():
        response = httpx2.get(url, timeout=10)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/feed+json")
        feed = response.json()
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["items"], "editorial items are always there"
        visits[name] = sum(1 for item in feed["items"] if item["_balise"]["kind"] == "visit")
    # ~100 simulated minutes: every consenting visitor has been somewhere.
    assert all(visits[name] >= 1 for name in ("Léa", "Tom", "Anke", "Daan")), visits
    # Marc gave no proximity consent: no visit, and no identity anywhere.
    assert visits["Marc"] == 0
    with psycopg.connect(dsn) as conn:
        marc = conn.execute(
            "SELECT id FROM device WHERE identity LIKE 'uid:%:000000000005'"
        ).fetchone()
        assert marc is not None
        stored = conn.execute(
            "SELECT count(*) FROM proximity_event WHERE device_id = %s", marc
        ).fetchone()
        counted = conn.execute("SELECT coalesce(sum(count), 0) FROM presence_count").fetchone()
        events = conn.execute("SELECT count(*) FROM proximity_event").fetchone()
        heartbeats = conn.execute(
            "SELECT heartbeat->>'gateway_id', heartbeat->>'applied_config_version' FROM gateway "
            "WHERE last_heartbeat_at IS NOT NULL"
        ).fetchall()
    assert stored == (0,)
    assert counted is not None and counted[0] > 0
    assert events is not None and events[0] > 0
    # The simulated gateways heartbeat like real ones (the fleet view shows them online), after
    # applying the remote config the CRM served them.
    assert sorted(gw for gw, _ in heartbeats) == sorted(g["id"] for g in data["gateways"])
    assert all(version is not None for _, version in heartbeats), heartbeats
