"""Links from the public URL, unknown hosts refused, security headers, and complete 405 ``Allow``.

The app under test is public at ``https://visit.example`` and also answers ``localhost``: every
request here names ``localhost`` (an accepted alias, unlike the public name), so a link that
followed the ``Host`` header would show it.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.core import urls
from crm.core.db import Database
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.visitors import notice
from crm.visitors.models import Visitor

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import app_settings
from office_support import Office

PUBLIC = "https://visit.example"
ALIAS = "http://localhost:8000"


def settings(db: Database, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db.url,
        "public_url": PUBLIC + "/",
        "allowed_hosts": ["localhost"],
        "ratelimit_ingest_per_s": 0,
        "ratelimit_roadbook_per_s": 0,
        **overrides,
    }
    return app_settings(**values)


def build(db: Database, **overrides: Any) -> FastAPI:
    from crm.main import create_app

    return create_app(settings(db, **overrides), db=db)


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=build(db))
    async with httpx2.AsyncClient(transport=transport, base_url=ALIAS) as c:
        yield c


@pytest.fixture
async def slug(db: Database) -> str:
    slug = f"hosts-{uuid.uuid4().hex[:8]}"
    async with db.session(system=True) as session:
        await destinations.create_destination(session, slug, "Amnéville")
        await session.commit()
    return slug


async def visitor_count(db: Database) -> int:
    async with db.session(system=True) as session:
        return int((await session.execute(select(func.count()).select_from(Visitor))).scalar_one())


# --- links ---------------------------------------------------------------------------------


async def test_enrolment_links_come_from_the_public_url(
    client: httpx2.AsyncClient, slug: str
) -> None:
    api = await client.post("/api/v1/enrol", json={"destination": slug, "language": "en"})
    assert api.status_code == 201, api.text
    token = api.json()["roadbook_token"]
    assert api.json()["roadbook_url"] == f"{PUBLIC}/r/{token}"

    reissued = await client.post(f"/r/{token}/token")
    assert reissued.status_code == 201, reissued.text
    new = reissued.json()["roadbook_token"]
    assert reissued.json()["roadbook_url"] == f"{PUBLIC}/r/{new}"

    page = await client.post(
        f"/enrol/{slug}", data={"language": "en", "notice_version": notice.CURRENT_VERSION}
    )
    assert page.status_code == 201, page.text
    links = re.findall(r'href="([^"]*/r/[^"]*)"', page.text)
    assert len(links) == 1
    assert re.fullmatch(re.escape(PUBLIC) + r"/r/[A-Za-z0-9_-]{43}", links[0])


async def test_desk_links_come_from_the_public_url(
    client: httpx2.AsyncClient, office: Office
) -> None:
    desk = await client.post(
        "/api/v1/visitors", json={"language": "de"}, headers=office.bearer("desk")
    )
    assert desk.status_code == 201, desk.text
    assert desk.json()["roadbook_url"] == f"{PUBLIC}/r/{desk.json()['roadbook_token']}"
    visitor_id = office.visitor_ids["a"]
    reissued = await client.post(
        f"/api/v1/office/visitors/{visitor_id}/token", headers=office.bearer("desk")
    )
    assert reissued.status_code == 201, reissued.text
    assert reissued.json()["roadbook_url"] == f"{PUBLIC}/r/{reissued.json()['roadbook_token']}"


# --- hosts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/notice"),
        ("GET", "/enrol/{slug}"),
        ("GET", "/docs"),
        ("GET", "/r/" + "A" * 43 + "/feed.json"),
        ("GET", "/healthz/"),  # only the exact probe paths are exempt
        ("GET", "/nowhere"),
    ],
)
async def test_an_unknown_host_is_refused(
    client: httpx2.AsyncClient, slug: str, method: str, path: str
) -> None:
    response = await client.request(
        method, path.format(slug=slug), headers={"Host": "evil.example"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "the Host header names no host of this server"
    assert "evil" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "location" not in response.headers


async def test_a_forged_host_writes_nothing(
    client: httpx2.AsyncClient, db: Database, slug: str
) -> None:
    before = await visitor_count(db)
    for host in ("evil.example", "visit.example.evil.example", "", "visit.example:x"):
        api = await client.post("/api/v1/enrol", json={"destination": slug}, headers={"Host": host})
        form = await client.post(f"/enrol/{slug}", data={}, headers={"Host": host})
        assert (api.status_code, form.status_code) == (400, 400), host
    assert await visitor_count(db) == before


@pytest.mark.parametrize(
    "host",
    ["visit.example", "VISIT.Example:443", "visit.example.", "localhost:8000", "LOCALHOST"],
)
async def test_the_public_host_and_the_aliases_are_answered(
    client: httpx2.AsyncClient, host: str
) -> None:
    response = await client.get("/api/v1/notice", headers={"Host": host})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_answer_a_load_balancer_calling_by_ip(
    client: httpx2.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers={"Host": "10.0.3.7:8000"})
    assert response.status_code == 200, response.text


async def test_a_request_without_host_is_refused(db: Database) -> None:
    """HTTP/1.0 may omit ``Host`` (httpx always sends one: call the ASGI app directly)."""
    app = build(db)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.0",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/notice",
        "raw_path": b"/api/v1/notice",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 400


def test_default_hosts_are_the_public_one_and_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BALISE_ALLOWED_HOSTS", raising=False)
    defaults = Settings(_env_file=None, public_url="https://crm.example.org:8443/")  # type: ignore[call-arg]
    assert urls.allowed_hosts(defaults) == {"crm.example.org", "localhost", "127.0.0.1", "::1"}
    monkeypatch.setenv("BALISE_ALLOWED_HOSTS", " CRM.internal , [fd00::1] ,")
    configured = Settings(_env_file=None, public_url="http://[::1]:8000")  # type: ignore[call-arg]
    assert urls.allowed_hosts(configured) == {"crm.internal", "fd00::1", "::1"}


NAME = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True)


@given(name=NAME, port=st.none() | st.integers(0, 65535), upper=st.booleans())
def test_host_name_drops_the_port_and_case(name: str, port: int | None, upper: bool) -> None:
    header = (name.upper() if upper else name) + ("" if port is None else f":{port}")
    assert urls.host_name(header) == name
    assert urls.host_name(f"[{name}]" + ("" if port is None else f":{port}")) == name


@given(junk=st.text(min_size=1, max_size=12).filter(lambda s: not s.strip().isdigit()))
def test_a_host_with_a_bad_port_matches_nothing(junk: str) -> None:
    assert urls.host_name(f"visit.example:{junk}") == ""
    assert urls.host_name(f"[::1]:{junk}") == ""


# --- headers -------------------------------------------------------------------------------


def directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_page_headers(response: httpx2.Response) -> None:
    policy = directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    # Nothing inline for the policy to block: styles come from the linked stylesheet.
    assert "<style" not in response.text and "<script" not in response.text
    assert " style=" not in response.text


async def test_the_consent_form_and_its_answers_carry_the_page_policy(
    client: httpx2.AsyncClient, slug: str
) -> None:
    form = await client.get(f"/enrol/{slug}?lang=fr")
    assert form.status_code == 200
    assert_page_headers(form)
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', form.text)
    assert stylesheets == ["/static/visitors/pages.css"]
    css = await client.get(stylesheets[0])
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "fieldset" in css.text
    invalid = await client.post(f"/enrol/{slug}", data={"adults": "x"})
    assert invalid.status_code == 422
    assert_page_headers(invalid)
    done = await client.post(f"/enrol/{slug}", data={"notice_version": notice.CURRENT_VERSION})
    assert done.status_code == 201
    assert_page_headers(done)


@pytest.mark.parametrize("path", ["/api/v1/notice", "/openapi.json", "/nowhere", "/metrics"])
async def test_data_answers_load_nothing_and_are_never_framed(
    client: httpx2.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    policy = directives(response.headers["content-security-policy"])
    assert policy == {"default-src": "'none'", "frame-ancestors": "'none'"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
async def test_the_api_documentation_cannot_be_framed(
    client: httpx2.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    policy = directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == "'none'"
    # Swagger UI and ReDoc load from their CDN and start with inline scripts: not restricted.
    assert "default-src" not in policy and "script-src" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"


# --- 405 -----------------------------------------------------------------------------------

SAMPLES = {"uuid": str(uuid.UUID(int=7)), "int": "7", "path": "x/y"}


def routed_methods(app: FastAPI) -> dict[str, set[str]]:
    """Each path template of the app and every method routed for it (walks ``app.routes``)."""
    from fastapi.routing import iter_route_contexts

    methods: dict[str, set[str]] = defaultdict(set)
    for route in iter_route_contexts(app.routes):
        if route.methods:
            methods[route.path_format] |= set(route.methods)
    return methods


def concrete(template: str) -> str:
    def sample(match: re.Match[str]) -> str:
        convertor = match.group(2) or "str"
        return SAMPLES.get(convertor, "A" * 43)

    return re.sub(r"\{(\w+)(?::(\w+))?\}", sample, template)


async def test_every_405_lists_every_method_routed_for_its_path(
    client: httpx2.AsyncClient, db: Database
) -> None:
    app = build(db)
    routed = routed_methods(app)
    # The shared paths the issue names are among them.
    assert routed["/r/{token}/consents"] == {"GET", "POST"}
    assert routed["/api/v1/office/gateways/{gateway_id}/config"] == {"GET", "PUT"}
    assert len(routed) > 30
    checked = 0
    for template, methods in sorted(routed.items()):
        method = next(m for m in ("PATCH", "DELETE", "PUT", "POST", "GET") if m not in methods)
        response = await client.request(method, concrete(template))
        assert response.status_code == 405, (template, method, response.text)
        assert set(response.headers["allow"].split(", ")) == methods, template
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 405
        checked += 1
    assert checked == len(routed)


async def test_the_stylesheets_405_lists_get_and_head(client: httpx2.AsyncClient) -> None:
    response = await client.post("/static/visitors/pages.css")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["content-type"] == "application/problem+json"
