"""The CORS rule of the widget's roadbooks: an origin the destination lists (a port of ``*`` is
any port) is echoed in ``Access-Control-Allow-Origin``; any other gets no such header; every
answer varies on ``Origin``; credentials are never allowed."""

from __future__ import annotations

import httpx2
import pytest
from fastapi.responses import JSONResponse

from crm.core.db import Database
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.main import create_app
from crm.visitors import service as visitors
from roadbook.widget.cors import (
    ANY_PORT,
    Origin,
    VisitorEmbed,
    embed_headers,
    origin_allowed,
    parse_origin,
)

ALLOWED = ["https://www.example.org", "http://localhost:*", "http://127.0.0.1:8080"]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://www.example.org", True),
        ("https://www.example.org:443", True),  # the default port, named
        ("HTTPS://WWW.Example.ORG", True),  # schemes and host names ignore case
        ("http://www.example.org", False),  # another scheme
        ("https://www.example.org:8443", False),  # another port
        ("https://example.org", False),  # the parent domain
        ("https://evil.www.example.org", False),  # a subdomain
        ("https://www.example.org.evil.net", False),
        ("http://localhost:3000", True),  # port wildcard
        ("http://localhost:65535", True),
        ("http://localhost", True),  # "*" includes the default port
        ("https://localhost:3000", False),  # the wildcard keeps the scheme
        ("http://localhost:*", False),  # an Origin never holds a wildcard
        ("http://localhost:0", False),
        ("http://localhost:70000", False),
        ("http://127.0.0.1:8080", True),
        ("http://127.0.0.1:8081", False),
        ("null", False),  # sandboxed frames, file: pages
        ("https://www.example.org/", False),  # not an origin: a path
        ("", False),
    ],
)
def test_an_origin_is_allowed_only_when_listed(origin: str, allowed: bool) -> None:
    assert origin_allowed(origin, ALLOWED) is allowed


def test_parsing_normalises_and_refuses_what_is_not_an_origin() -> None:
    assert parse_origin("HTTP://LocalHost") == Origin("http", "localhost", 80)
    assert parse_origin("https://[::1]:8443") == Origin("https", "[::1]", 8443)
    wildcard = Origin("http", "localhost", ANY_PORT)
    assert parse_origin("http://localhost:*", wildcard=True) == wildcard
    assert parse_origin("http://localhost:*") is None
    assert parse_origin("ftp://example.org") is None
    assert parse_origin("https://user@example.org") is None
    assert parse_origin("https://exa mple.org") is None


def test_malformed_entries_match_nothing() -> None:
    assert not origin_allowed("https://example.org", ["example.org", "*", "https://*.org"])


def test_headers_echo_an_allowed_origin_and_always_vary() -> None:
    assert embed_headers("http://localhost:5173", ALLOWED) == {
        "Vary": "Origin",
        "Access-Control-Allow-Origin": "http://localhost:5173",
    }
    assert embed_headers("https://attacker.example", ALLOWED) == {"Vary": "Origin"}
    assert embed_headers(None, ALLOWED) == {"Vary": "Origin"}
    assert embed_headers("http://localhost:5173", []) == {"Vary": "Origin"}


async def test_a_token_route_answers_the_visitors_destination_origins(db: Database) -> None:
    async with db.session(system=True) as session:
        home = await destinations.create_destination(session, "embedtown", "Embedtown")
        home.embed_origins = ["https://www.embedtown.example", "http://localhost:*"]
        other = await destinations.create_destination(session, "elsewhere", "Elsewhere")
        other.embed_origins = ["https://www.elsewhere.example"]
        session.add_all([home, other])
        ann = await visitors.enrol(session, home.id, language="en", wishes=[])
        await session.commit()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db.url, scheduler_enabled=False, allowed_hosts=["t"]
    )
    app = create_app(settings, db=db)

    # A token route as the feed's: the dependency, its headers on the answer.
    @app.get("/r/{token}/probe.json")
    async def probe(cors: VisitorEmbed) -> JSONResponse:
        return JSONResponse({}, headers={"Cache-Control": "no-store", **cors})

    url = f"/r/{ann.roadbook_token}/probe.json"
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://t"
    ) as client:
        mine = await client.get(url, headers={"Origin": "http://localhost:4000"})
        theirs = await client.get(url, headers={"Origin": "https://www.elsewhere.example"})
        none = await client.get(url)
        unknown = await client.get("/r/" + "x" * 43 + "/probe.json", headers={"Origin": "x"})
    assert mine.headers["access-control-allow-origin"] == "http://localhost:4000"
    assert mine.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in mine.headers
    # Another destination's site may not read this visitor's roadbook.
    assert "access-control-allow-origin" not in theirs.headers
    assert theirs.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in none.headers
    assert none.headers["vary"] == "Origin"
    assert unknown.status_code == 404
    assert "access-control-allow-origin" not in unknown.headers
