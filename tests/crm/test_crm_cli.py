"""The ``crm`` command line as installers script it (DESIGN.md §4), in real subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import psycopg
import pytest
from sqlalchemy.engine import make_url


def crm(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "crm", *args], capture_output=True, text=True, env=env, timeout=120
    )


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def seeded(committed_db_url: str) -> str:
    result = crm(committed_db_url, "demo", "--scenario", "/dev/null")
    assert result.returncode == 0, result.stderr
    return committed_db_url


def test_demo_prints_labelled_urls(committed_db_url: str, tmp_path: object) -> None:
    result = crm(committed_db_url, "demo", "--scenario", "/dev/null")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    lea = [
        line for line in lines if line.startswith("Roadbook of Léa (fr): http://127.0.0.1:8000/r/")
    ]
    assert len(lea) == 1
    assert "API documentation: http://127.0.0.1:8000/docs" in lines


def test_site_list_json(seeded: str) -> None:
    result = crm(seeded, "site", "list", "--json")
    assert result.returncode == 0, result.stderr
    sites = json.loads(result.stdout)
    by_slug = {s["slug"]: s for s in sites}
    assert {"zoo", "thermapolis", "snowhall", "galaxie", "casino", "golf"} <= by_slug.keys()
    assert by_slug["zoo"]["name"] == "Zoo d'Amnéville"
    assert len(by_slug["zoo"]["id"]) == 36


def test_gateway_add_prints_token_once_and_keeps_only_its_hash(seeded: str) -> None:
    result = crm(seeded, "gateway", "add", "zoo-north", "--site", "zoo")
    assert result.returncode == 0, result.stderr
    token = result.stdout.splitlines()[-1]
    assert len(token) >= 43 and " " not in token
    with psycopg.connect(dsn(seeded)) as conn:
        row = conn.execute(
            "SELECT kind, subject FROM credential WHERE token_hash = %s",
            (hashlib.sha256(token.encode()).digest(),),
        ).fetchone()
        dumped = conn.execute(
            "SELECT count(*) FROM credential WHERE position(%s::bytea in token_hash) > 0",
            (token.encode(),),
        ).fetchone()
    assert row == ("gateway", "zoo-north")
    assert dumped == (0,)
    again = crm(seeded, "gateway", "add", "zoo-north", "--site", "zoo")
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_gateway_add_unknown_site_is_a_clear_error(seeded: str) -> None:
    result = crm(seeded, "gateway", "add", "gw-x", "--site", "nowhere")
    assert result.returncode == 1
    assert "no site 'nowhere'" in result.stderr


def test_visitor_add_json(seeded: str) -> None:
    result = crm(
        seeded,
        "visitor",
        "add",
        "--lang",
        "fr",
        "--wishes",
        "wellness,family",
        "--consent",
        "proximity,personalisation",
        "--pass-uid",
        "00112233445566778899:a1b2c3d4e5f6",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer.keys() == {"visitor_id", "roadbook_token"}
    with psycopg.connect(dsn(seeded)) as conn:
        device = conn.execute(
            "SELECT identity, kind FROM device WHERE visitor_id = %s", (answer["visitor_id"],)
        ).fetchone()
        scopes = conn.execute(
            "SELECT array_agg(scope ORDER BY scope) FROM consent WHERE visitor_id = %s AND granted",
            (answer["visitor_id"],),
        ).fetchone()
    assert device == ("uid:00112233445566778899:a1b2c3d4e5f6", "eddystone-uid")
    assert scopes == (["personalisation", "proximity"],)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wishes", "surfing"], "unknown wishes ['surfing']"),
        (["--lang", "es"], "language must be one of fr, en, de, nl"),
        (["--pass-uid", "nothex:zz"], "is not NAMESPACE:INSTANCE in hex"),
        (["--consent", "tracking"], "unknown consent scopes ['tracking']"),
    ],
)
def test_visitor_add_refuses_bad_input(seeded: str, args: list[str], message: str) -> None:
    result = crm(seeded, "visitor", "add", *args, "--json")
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stdout == ""
