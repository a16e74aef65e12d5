"""The ``crm`` command line as installers script it (docs/architecture.md), in real subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from typing import Any, get_args

import httpx2
import psycopg
import pytest
from cli_support import dsn, insert_destination, query, run_crm
from ingest_support import batch, uid_event

from crm import cli
from crm.core.models import utcnow
from crm.destinations.schemas import DestinationCreate, SiteCreate, SiteKind
from tests.conftest import Databases, LiveServer


@pytest.fixture
def seeded(committed_db_url: str) -> str:
    result = run_crm(committed_db_url, "demo", "--scenario", "/dev/null")
    assert result.returncode == 0, result.stderr
    return committed_db_url


def test_demo_prints_labelled_urls(committed_db_url: str, tmp_path: object) -> None:
    result = run_crm(committed_db_url, "demo", "--scenario", "/dev/null")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    lea = [
        line for line in lines if line.startswith("Roadbook of Léa (fr): http://127.0.0.1:8000/r/")
    ]
    assert len(lea) == 1
    assert "API documentation: http://127.0.0.1:8000/docs" in lines


def test_site_list_json(seeded: str) -> None:
    result = run_crm(seeded, "site", "list", "--json")
    assert result.returncode == 0, result.stderr
    sites = json.loads(result.stdout)
    by_slug = {s["slug"]: s for s in sites}
    assert {"zoo", "thermapolis", "snowhall", "galaxie", "casino", "golf"} <= by_slug.keys()
    assert by_slug["zoo"]["name"] == "Zoo d'Amnéville"
    assert len(by_slug["zoo"]["id"]) == 36


def test_gateway_add_prints_token_once_and_keeps_only_its_hash(seeded: str) -> None:
    result = run_crm(seeded, "gateway", "add", "zoo-north", "--site", "zoo")
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
    again = run_crm(seeded, "gateway", "add", "zoo-north", "--site", "zoo")
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_gateway_add_unknown_site_is_a_clear_error(seeded: str) -> None:
    result = run_crm(seeded, "gateway", "add", "gw-x", "--site", "nowhere")
    assert result.returncode == 1
    assert "no site 'nowhere'" in result.stderr


def test_visitor_add_json(seeded: str) -> None:
    result = run_crm(
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
    result = run_crm(seeded, "visitor", "add", *args, "--json")
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stdout == ""


# --- Several destinations: destination add, site add, gateway add across destinations ----------


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(url: str, args: list[str], status: int, message: str) -> None:
    """``crm ARGS`` exits with ``status``, says ``message`` on stderr and prints nothing."""
    result = run_crm(url, *args)
    assert result.returncode == status, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def crm_json(url: str, *args: str) -> Any:
    return json.loads(ok(run_crm(url, *args)))


def test_destination_add_then_site_add(committed_db_url: str) -> None:
    url = committed_db_url
    added = crm_json(url, "destination", "add", "thionville", "--name", "Thionville", "--json")
    assert added.keys() >= {"id", "slug", "name", "timezone"}
    assert (added["slug"], added["name"], added["timezone"]) == (
        "thionville",
        "Thionville",
        "Europe/Paris",
    )
    assert crm_json(url, "destination", "list", "--json") == [added]

    # one destination: --destination may be left out
    place = ["--name", "Beffroi de Thionville", "--lat", "49.3579", "--lon", "-6.1683"]
    site = crm_json(url, "site", "add", "beffroi", *place, "--kind", "office", "--json")
    assert crm_json(url, "site", "list", "--json") == [site]
    assert site["destination_id"] == added["id"]
    assert (site["slug"], site["name"], site["kind"]) == (
        "beffroi",
        "Beffroi de Thionville",
        "office",
    )
    assert (site["latitude"], site["longitude"]) == (49.3579, -6.1683)
    assert query(url, "SELECT destination_id::text, slug, latitude, longitude FROM site") == [
        (added["id"], "beffroi", 49.3579, -6.1683)
    ]

    text = ok(
        run_crm(
            url, "destination", "add", "metz", "--name", "Metz", "--timezone", "Europe/Luxembourg"
        )
    )
    assert text.startswith("Destination metz (Metz, Europe/Luxembourg) created: ")
    assert query(url, "SELECT timezone FROM destination WHERE slug = 'metz'") == [
        ("Europe/Luxembourg",)
    ]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ["amneville", "--name", "Again"],
            1,
            "another destination already has the slug 'amneville'",
        ),
        (
            ["thionville", "--name", "T", "--timezone", "Europe/Atlantis"],
            2,
            "--timezone: unknown time zone 'Europe/Atlantis': give an IANA name such as "
            "Europe/Paris",
        ),
        (
            ["Thion ville", "--name", "T"],
            2,
            "SLUG: a slug is 1 to 64 of a-z, 0-9 and '-', starting and ending with a letter or "
            "digit (got 'Thion ville')",
        ),
        (["--name", "T", "--", "-thionville"], 2, "SLUG: a slug is"),
        (["thionville", "--name", ""], 2, "--name: String should have at least 1 character"),
    ],
)
def test_destination_add_refuses_bad_input(
    committed_db_url: str, args: list[str], status: int, message: str
) -> None:
    insert_destination(committed_db_url, "amneville")
    refused(committed_db_url, ["destination", "add", "--json", *args], status, message)
    assert query(committed_db_url, "SELECT slug FROM destination") == [("amneville",)]


def test_destination_origins_lists_allows_and_stops_allowing(committed_db_url: str) -> None:
    url = committed_db_url
    origin, local = "https://www.thionville.example", "http://localhost:*"
    ok(run_crm(url, "destination", "add", "thionville", "--name", "T", "--embed-origin", origin))
    assert ok(run_crm(url, "destination", "origins", "thionville")) == (
        f"thionville allows 1 origin(s) to embed its widget:\n  {origin}\n"
    )
    row = crm_json(url, "destination", "origins", "thionville", "--add", local, "--json")
    assert row["embed_origins"] == [origin, local]
    again = ["destination", "origins", "thionville", "--add", origin, "--remove", local, "--json"]
    assert crm_json(url, *again)["embed_origins"] == [origin]
    assert query(url, "SELECT embed_origins FROM destination") == [([origin],)]
    text = ok(run_crm(url, "destination", "origins", "thionville", "--remove", origin))
    assert text == "thionville allows 0 origin(s) to embed its widget.\n"
    assert query(url, "SELECT embed_origins FROM destination") == [([],)]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["metz"], 1, "no destination 'metz' (there are: thionville)"),
        (
            ["thionville", "--add", "https://ok.example", "--add", "https://www.x.example/path"],
            2,
            "--add: 'https://www.x.example/path' is not a web origin",
        ),
        (
            ["thionville", "--add", "https://ok.example", "--remove", "https://other.example"],
            1,
            "thionville does not allow 'https://other.example' (it allows: "
            "https://www.thionville.example)",
        ),
    ],
)
def test_destination_origins_refuses_bad_input(
    committed_db_url: str, args: list[str], status: int, message: str
) -> None:
    url = committed_db_url
    ok(run_crm(url, "destination", "add", "thionville", "--name", "T", "--embed-origin",
               "https://www.thionville.example"))  # fmt: skip
    refused(url, ["destination", "origins", "--json", *args], status, message)
    assert query(url, "SELECT embed_origins FROM destination") == [
        (["https://www.thionville.example"],)
    ]


SITE = ["--name", "Somewhere", "--lat", "49.35", "--lon", "6.16"]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ["beffroi", *SITE],
            1,
            "there are several destinations (amneville, thionville): "
            "name one with --destination SLUG",
        ),
        (
            ["beffroi", *SITE, "--destination", "metz"],
            1,
            "no destination 'metz' (there are: amneville, thionville)",
        ),
        (
            ["zoo", *SITE, "--destination", "amneville"],
            1,
            "another site already has the slug 'zoo'",
        ),
        (
            ["beffroi", "--name", "B", "--lat", "91", "--lon", "6", "--destination", "thionville"],
            2,
            "--lat: Input should be less than or equal to 90 (got 91.0)",
        ),
        (
            [
                "beffroi",
                "--name",
                "B",
                "--lat",
                "49",
                "--lon",
                "-180.5",
                "--destination",
                "thionville",
            ],
            2,
            "--lon: Input should be greater than or equal to -180 (got -180.5)",
        ),
        (["Beffroi!", *SITE, "--destination", "thionville"], 2, "SLUG: a slug is 1 to 64"),
        (
            ["beffroi", *SITE, "--kind", "castle", "--destination", "thionville"],
            2,
            "--kind: Input should be 'venue', 'office'",
        ),
        (
            ["beffroi", "--name", "B", "--lat", "north", "--lon", "6"],
            2,
            "Invalid value for '--lat'",
        ),
    ],
)
def test_site_add_refuses_bad_input(
    committed_db_url: str, args: list[str], status: int, message: str
) -> None:
    insert_destination(committed_db_url, "amneville", "zoo")
    insert_destination(committed_db_url, "thionville")
    refused(committed_db_url, ["site", "add", "--json", *args], status, message)
    assert query(committed_db_url, "SELECT slug FROM site") == [("zoo",)]


def test_gateway_add_finds_the_site_in_any_destination(committed_db_url: str) -> None:
    url = committed_db_url
    amneville, amneville_sites = insert_destination(url, "amneville", "office")
    thionville, thionville_sites = insert_destination(url, "thionville", "office", "beffroi")

    def gateway(name: str) -> list[tuple[Any, ...]]:
        return query(
            url, "SELECT destination_id::text, site_id::text FROM gateway WHERE id = %s", name
        )

    ambiguous = run_crm(url, "gateway", "add", "gw-1", "--site", "office")
    assert ambiguous.returncode == 1
    assert (
        "'office' names sites in several destinations (amneville, thionville): "
        "name one with --destination SLUG, or give the site's id"
    ) in ambiguous.stderr
    assert ambiguous.stdout == ""
    assert query(url, "SELECT count(*) FROM gateway") == [(0,)]

    out = ok(
        run_crm(url, "gateway", "add", "gw-1", "--site", "office", "--destination", "thionville")
    )
    assert "registered at office (thionville)" in out
    assert gateway("gw-1") == [(thionville, thionville_sites["office"])]
    token = out.splitlines()[-1]
    assert query(
        url,
        "SELECT subject FROM credential WHERE token_hash = %s",
        hashlib.sha256(token.encode()).digest(),
    ) == [("gw-1",)]

    # a site id works whatever its destination, a slug of one destination only too
    ok(run_crm(url, "gateway", "add", "gw-2", "--site", amneville_sites["office"]))
    assert gateway("gw-2") == [(amneville, amneville_sites["office"])]
    ok(run_crm(url, "gateway", "add", "gw-3", "--site", "beffroi"))
    assert gateway("gw-3") == [(thionville, thionville_sites["beffroi"])]

    elsewhere = run_crm(
        url, "gateway", "add", "gw-4", "--site", "beffroi", "--destination", "amneville"
    )
    assert elsewhere.returncode == 1
    assert "no site 'beffroi' in destination 'amneville'" in elsewhere.stderr
    nowhere = run_crm(url, "gateway", "add", "gw-4", "--site", "office", "--destination", "metz")
    assert nowhere.returncode == 1
    assert "no destination 'metz' (there are: amneville, thionville)" in nowhere.stderr
    assert query(url, "SELECT count(*) FROM gateway") == [(3,)]


def test_second_destination_end_to_end(live_server: LiveServer) -> None:
    """A neighbouring office joins: its gateway's events land in its own destination."""
    url = live_server.database_url
    insert_destination(url, "amneville", "office")
    thionville = crm_json(url, "destination", "add", "thionville", "--name", "T", "--json")
    place = ["--name", "Office de tourisme", "--lat", "49.3579", "--lon", "6.1683"]
    site = crm_json(url, "site", "add", "office", *place, "--destination", "thionville", "--json")
    namespace, instance = "a1b2c3d4e5f60718293a", "00000000c0de"
    pass_uid = f"{namespace}:{instance}"
    desk = ["--destination", "thionville", "--consent", "proximity", "--pass-uid", pass_uid]
    visitor = crm_json(url, "visitor", "add", *desk, "--json")
    added = ok(
        run_crm(
            url, "gateway", "add", "thionville-1", "--site", "office", "--destination", "thionville"
        )
    )
    token = added.splitlines()[-1]

    event = uid_event(instance, utcnow(), "enter", namespace=namespace)
    answer = httpx2.post(
        f"{live_server.url}/api/v1/gateway/events",
        json=batch("thionville-1", [event]),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert query(
        url,
        "SELECT destination_id::text, site_id::text, visitor_id::text FROM proximity_event"
        " WHERE id = %s",
        uuid.UUID(event["id"]),
    ) == [(thionville["id"], site["id"], visitor["visitor_id"])]


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["destination", "add"], ["SLUG", "--name", "--timezone", "Europe/Paris", "--json"]),
        (["destination", "origins"], ["SLUG", "--add", "--remove", "--json"]),
        (["site", "add"], ["SLUG", "--lat", "--lon", "--kind", "--destination", "--json"]),
        (["gateway", "add"], ["--site", "--destination", "--claim"]),
    ],
)
def test_help_names_every_option(command: list[str], words: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crm", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    for word in words:
        assert word in result.stdout, word


def test_help_texts_match_the_models() -> None:
    """The help names kinds and defaults without importing the models: they must agree."""
    assert ", ".join(get_args(SiteKind)) == cli.SITE_KINDS
    assert SiteCreate.model_fields["kind"].default == cli.DEFAULT_KIND
    assert DestinationCreate.model_fields["timezone"].default == cli.DEFAULT_TIMEZONE


def test_an_empty_database_is_named_then_migrated_in_one_line(databases: Databases) -> None:
    url = databases.clone("template0")
    before = run_crm(url, "destination", "list")
    assert before.returncode == 1
    assert before.stderr.strip().endswith("run 'crm migrate' first"), before.stderr
    assert "Traceback" not in before.stderr

    first = run_crm(url, "migrate")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("database schema is up to date (")
    assert "migrations applied, now at " in first.stdout
    # Only the summary: Alembic's line per migration is not logged (``--verbose`` shows it).
    assert "Running upgrade" not in first.stderr + first.stdout
    again = run_crm(url, "migrate")
    assert again.stdout.strip() == "database schema is up to date"
    assert run_crm(url, "destination", "list").returncode == 0
