"""The authorisation matrix: EVERY route of the app x every kind of caller.

Routes are read from ``app.routes`` at collection time, so a route added later is covered
automatically — and fails here until it is classified in ``MATRIX``. Callers: anonymous,
visitor A and visitor B (roadbook tokens), a gateway token, staff admin / marketing / desk, and
another destination's admin. For each (route class, caller) the expected answer is fixed; no
response of a caller leaks another caller's secrets or (for the other destination's admin, or
visitor B) this destination's / visitor A's ids; and the requests of every caller who must be
refused leave this destination's rows exactly as they were (checked with a checksum of every
tenant table, ``destination`` and ``credential``).

How to classify a route (key ``"METHOD /path"``, as FastAPI spells the path):

- ``PUBLIC`` — anyone (health, docs, the privacy notice); ``PUBLIC_WRITE`` when anyone may
  also change data through it (self-enrolment: the "nothing changes" check is skipped);
  ``PUBLIC_CATALOGUE`` when it shows the destination's published catalogue (the widget's site
  mode: the catalogue item's id is not counted as a leak, every other id still is).
- ``SECRET`` — public, but only with a secret in the body that no caller here holds (login,
  claim-code enrolment): every caller gets a 4xx and nothing changes.
- ``GATEWAY`` — a gateway token only; everyone else 401.
- ``VISITOR`` — ``/r/{token}/...``: the token's owner only; everyone else 404.
- ``Staff("marketing", "desk", ...)`` — staff of this destination with one of these roles
  (admin always); ``Staff()`` is any staff member, ``Staff("admin")`` admins only. Other roles
  get 403, non-staff 401, another destination's admin 404 on this destination's objects (or,
  on collections, only their own destination's rows). ``Staff(..., page=True)`` for an HTML
  page: non-staff may be redirected to the login page instead of 401.
- ``FORM`` — an HTML form's POST that needs a CSRF token no caller here holds (the office's
  sign-in and sign-out): every caller is refused (403) or sent to the sign-in page (303), and
  nothing changes.
- ``PARTNER`` — a partner user's credential (the portal): no caller here holds one, so all
  get 401/403/404 and nothing changes. Add a partner caller to ``callers`` to test the portal
  from the inside.

Give a write route a valid body in ``BODIES`` (else ``{}`` is sent, which only proves that the
refusal comes before validation) and a value for any new path parameter in ``PARAMS``.
"""

from __future__ import annotations

import json
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import routing
from sqlalchemy import text
from starlette.routing import Mount, Route, WebSocketRoute

from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.schema import tenant_tables
from crm.ingest.schemas import rfc3339

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import app_settings, make_client
from office_support import Office, seed_office


@dataclass(frozen=True)
class Access:
    kind: str  # public | public_write | secret | gateway | visitor | staff | partner | mount
    roles: frozenset[str] = field(default_factory=frozenset)  # staff: allowed roles
    page: bool = False  # an HTML page: refusals may redirect to the login page instead of 401
    # Shows the destination's published catalogue to anyone (its items' ids are no leak).
    catalogue: bool = False


PUBLIC = Access("public")
PUBLIC_WRITE = Access("public_write")
PUBLIC_CATALOGUE = Access("public", catalogue=True)
SECRET = Access("secret")
GATEWAY = Access("gateway")
VISITOR = Access("visitor")
MOUNT = Access("mount")
PARTNER = Access("partner")
FORM = Access("form")


def Staff(*roles: str, page: bool = False) -> Access:
    """Staff with one of ``roles`` (admin always); no roles = any staff member."""
    allowed = frozenset({"admin", *roles}) if roles else frozenset(ROLES)
    return Access("staff", allowed, page)


ROLES = ("admin", "marketing", "desk")
READ = Staff("marketing", "desk")
ADMIN = Staff("admin")
DESK = Staff("desk")

MATRIX: dict[str, Access] = {
    # operations and documentation
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    # gateways
    "POST /api/v1/gateway/events": GATEWAY,
    "POST /api/v1/gateway/heartbeat": GATEWAY,
    "GET /api/v1/gateway/config": GATEWAY,
    "POST /api/v1/gateway/enroll": SECRET,
    # staff sessions and accounts
    "POST /api/v1/auth/login": SECRET,
    "POST /api/v1/auth/logout": Staff(),
    "GET /api/v1/auth/me": Staff(),
    "GET /api/v1/office/staff": ADMIN,
    "POST /api/v1/office/staff": ADMIN,
    "PATCH /api/v1/office/staff/{staff_id}": ADMIN,
    # office: sites, partners, gateways, passes
    "GET /api/v1/office/sites": READ,
    "POST /api/v1/office/sites": ADMIN,
    "GET /api/v1/office/sites/{site_id}": READ,
    "PATCH /api/v1/office/sites/{site_id}": ADMIN,
    "GET /api/v1/office/partners": READ,
    "POST /api/v1/office/partners": ADMIN,
    "GET /api/v1/office/partners/{partner_id}": READ,
    "PATCH /api/v1/office/partners/{partner_id}": ADMIN,
    "GET /api/v1/office/gateways": READ,
    "POST /api/v1/office/gateways": ADMIN,
    "GET /api/v1/office/gateways/{gateway_id}": READ,
    "POST /api/v1/office/gateways/{gateway_id}/token": ADMIN,
    "DELETE /api/v1/office/gateways/{gateway_id}/token": ADMIN,
    "GET /api/v1/office/gateways/{gateway_id}/config": ADMIN,
    "PUT /api/v1/office/gateways/{gateway_id}/config": ADMIN,
    "POST /api/v1/office/gateways/{gateway_id}/claim": ADMIN,
    "GET /api/v1/office/passes": READ,
    "POST /api/v1/office/passes": DESK,
    "PATCH /api/v1/office/passes/{pass_id}": DESK,
    # visitors: enrolment, consent, rights
    "GET /api/v1/notice": PUBLIC,
    "POST /api/v1/enrol": PUBLIC_WRITE,
    "POST /api/v1/visitors": DESK,
    "GET /api/v1/office/visitors/{visitor_id}": DESK,
    "GET /api/v1/office/visitors/{visitor_id}/consents": DESK,
    "POST /api/v1/office/visitors/{visitor_id}/consents": DESK,
    "GET /api/v1/office/visitors/{visitor_id}/export.json": DESK,
    "DELETE /api/v1/office/visitors/{visitor_id}": DESK,
    "POST /api/v1/office/visitors/{visitor_id}/token": DESK,
    # the self-enrolment page (QR code / desk tablet)
    "GET /enrol/{destination}": PUBLIC,
    "POST /enrol/{destination}": PUBLIC_WRITE,
    "MOUNT /static/visitors": MOUNT,  # the pages' stylesheet
    # the office back-office's pages (callers carry their secret as the office cookie too)
    "GET /office/sign-in": PUBLIC,
    "POST /office/sign-in": FORM,
    "POST /office/sign-out": FORM,
    "GET /office": Staff(page=True),
    "GET /office/gateways": Staff(page=True),
    "GET /office/staff": Staff("admin", page=True),
    "GET /office/static/{package}/{name}": PUBLIC,
    # roadbook's catalogue pages (roadbook/office/router.py)
    "GET /office/catalogue": Staff("marketing", page=True),
    "GET /office/catalogue/new": Staff("marketing", page=True),
    "POST /office/catalogue/new": FORM,
    "GET /office/catalogue/{item_id}": Staff("marketing", page=True),
    "POST /office/catalogue/{item_id}": FORM,
    "POST /office/catalogue/{item_id}/revert": FORM,
    "POST /office/catalogue/{item_id}/publication": FORM,
    # partners' offer pages (partners/office/router.py)
    "GET /office/offers": Staff("marketing", page=True),
    "GET /office/offers/new": Staff("marketing", page=True),
    "POST /office/offers/new": FORM,
    "GET /office/offers/{offer_id}": Staff("marketing", page=True),
    "POST /office/offers/{offer_id}": FORM,
    "POST /office/offers/{offer_id}/status": FORM,
    # the visitor's own URLs
    "GET /about/feed": PUBLIC,
    "GET /r/{token}": VISITOR,
    "GET /r/{token}/feed.json": VISITOR,
    "GET /r/{token}/roadbook.ics": VISITOR,
    "GET /r/{token}/trip.jsonld": VISITOR,
    "GET /r/{token}/route.geojson": VISITOR,
    "GET /r/{token}/go/{item}": VISITOR,
    "GET /r/{token}/consents": VISITOR,
    "POST /r/{token}/consents": VISITOR,
    "GET /r/{token}/export.json": VISITOR,
    "DELETE /r/{token}": VISITOR,
    "POST /r/{token}/token": VISITOR,
    # the roadbook app (roadbook/pwa/router.py): its files, manifest and "My data" page
    "GET /pwa/{asset}": PUBLIC,
    "GET /r/{token}/manifest.webmanifest": VISITOR,
    "GET /r/{token}/privacy": VISITOR,
    "POST /r/{token}/privacy": VISITOR,
    # the roadbook's live events (roadbook/live/router.py): the token owner's stream (without
    # the app's lifespan, as here, it answers 204), and the page's script
    "GET /r/{token}/events": VISITOR,
    "GET /live/live.js": PUBLIC,
    # the roadbook widget (roadbook/widget/router.py): its script, the anonymous site mode
    "GET /widget.js": PUBLIC,
    "GET /widget/site/{destination}/{site}.json": PUBLIC_CATALOGUE,
}


@dataclass
class Caller:
    name: str
    headers: dict[str, str]
    path_token: str  # what it puts in /r/{token}
    secret: str | None  # its own secret (may appear in its own responses)
    role: str | None = None  # staff role, for callers of this destination


def callers(this: Office, other: Office) -> list[Caller]:
    def bearer(token: str) -> dict[str, str]:
        # The office pages read their own cookie (path /office), never the Authorization header.
        return {"Authorization": f"Bearer {token}", "Cookie": f"balise_office={token}"}

    a, b = this.roadbook_tokens["a"], this.roadbook_tokens["b"]
    foreign = other.staff_tokens["admin"]
    result = [
        Caller("anonymous", {}, "x" * 43, None),
        Caller("visitor_a", bearer(a), a, a),
        Caller("visitor_b", bearer(b), b, b),
        Caller("gateway", bearer(this.gateway_token), this.gateway_token, this.gateway_token),
        Caller("other_admin", bearer(foreign), foreign, foreign),
    ]
    for role in ROLES:
        token = this.staff_tokens[role]
        result.append(Caller(role, bearer(token), token, token, role))
    return result


PARAMS: dict[str, Callable[[Office, Caller], str]] = {
    "token": lambda office, caller: caller.path_token,
    "site_id": lambda office, caller: str(office.site_id),
    "partner_id": lambda office, caller: str(office.partner_id),
    "gateway_id": lambda office, caller: office.gateway_id,
    "staff_id": lambda office, caller: str(office.staff_ids["desk"]),
    "visitor_id": lambda office, caller: str(office.visitor_ids["a"]),
    "pass_id": lambda office, caller: str(office.pass_id),
    "item_id": lambda office, caller: str(office.item_id),
    "item": lambda office, caller: f"place:{office.item_id}",
    "offer_id": lambda office, caller: str(office.offer_id),
    "destination": lambda office, caller: office.slug,
    "site": lambda office, caller: "zoo",
    "package": lambda office, caller: "shell",
    "name": lambda office, caller: "office.css",
    "asset": lambda office, caller: "roadbook.css",
}

BODIES: dict[str, Callable[[Office, Caller], Any]] = {
    "POST /api/v1/gateway/events": lambda o, c: {
        "gateway_id": o.gateway_id,
        "sent_at": rfc3339(utcnow()),
        "events": [],
    },
    "POST /api/v1/auth/login": lambda o, c: {
        "destination": o.slug,
        "email": o.emails["admin"],
        "password": "not the password",
    },
    "POST /api/v1/gateway/enroll": lambda o, c: {"code": "ABCD-EFGH-JKLM"},
    "POST /api/v1/office/staff": lambda o, c: {
        "email": f"new-{c.name}@office.example",
        "role": "desk",
        "password": "a long enough password",
    },
    "PATCH /api/v1/office/staff/{staff_id}": lambda o, c: {"name": "Renamed"},
    "POST /api/v1/office/sites": lambda o, c: {
        "slug": f"site-{c.name.replace('_', '-')}",
        "name": "New site",
        "partner_id": str(o.partner_id),
        "latitude": 49.0,
        "longitude": 6.0,
        "opening_hours": {"mon": [["09:00", "18:00"]]},
    },
    "PATCH /api/v1/office/sites/{site_id}": lambda o, c: {"name": "Renamed", "wishes": ["family"]},
    "POST /api/v1/office/partners": lambda o, c: {
        "slug": f"p-{c.name.replace('_', '-')}",
        "name": "P",
    },
    "PATCH /api/v1/office/partners/{partner_id}": lambda o, c: {"name": "Renamed"},
    "POST /api/v1/office/gateways": lambda o, c: {
        "id": f"gw-{uuid.uuid4().hex[:10]}",
        "site_id": str(o.site_id),
    },
    "PUT /api/v1/office/gateways/{gateway_id}/config": lambda o, c: {},
    "POST /api/v1/office/passes": lambda o, c: {
        "uid": f"a1b2c3d4e5f60718293a:{uuid.uuid4().hex[:12]}"
    },
    "PATCH /api/v1/office/passes/{pass_id}": lambda o, c: {"visitor_id": str(o.visitor_ids["b"])},
    "POST /api/v1/enrol": lambda o, c: {"destination": o.slug, "consents": ["personalisation"]},
    "POST /api/v1/visitors": lambda o, c: {"consents": ["proximity"]},
    "POST /api/v1/office/visitors/{visitor_id}/consents": lambda o, c: {
        "scope": "marketing",
        "granted": True,
    },
    "POST /r/{token}/consents": lambda o, c: {"scope": "marketing", "granted": True},
}


def app_route_keys() -> list[tuple[str, str, str]]:
    """(key, method, path) of every route of the app, mounts and websockets included."""
    from crm.main import create_app

    app = create_app(app_settings())
    keys: list[tuple[str, str, str]] = []
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or getattr(route, "path", "")
        if isinstance(route, Mount):
            keys.append((f"MOUNT {path}", "GET", path))
        elif isinstance(route, WebSocketRoute | routing.APIWebSocketRoute):
            keys.append((f"WS {path}", "WS", path))
        elif isinstance(route, Route | routing.APIRoute):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                keys.append((f"{method} {path}", method, path))
    return keys


ROUTES = app_route_keys()
HOW_TO = (
    "classify it in MATRIX of tests/crm/test_authz_matrix.py as PUBLIC, PUBLIC_WRITE, SECRET, "
    'GATEWAY, VISITOR, PARTNER or Staff("role", ...) (see the module docstring), and give it '
    "a valid body in BODIES if it takes one"
)


def test_every_route_is_classified() -> None:
    keys = {key for key, _, _ in ROUTES}
    missing = sorted(key for key in keys if key not in MATRIX and not key.startswith("WS "))
    assert not missing, f"unclassified routes {missing}: {HOW_TO}"


async def fingerprint(db: Database, destination_id: uuid.UUID) -> dict[str, str]:
    """A checksum of every row of the destination (tenant tables, itself, its credentials)."""
    sums: dict[str, str] = {}
    async with db.session(system=True) as session:
        for table in (*tenant_tables(), "credential"):
            sums[table] = await session.scalar(
                text(
                    f"SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
                    f"FROM {table} t WHERE destination_id = :d"
                ),
                {"d": destination_id},
            )
        sums["destination"] = await session.scalar(
            text("SELECT md5(t::text) FROM destination t WHERE id = :d"), {"d": destination_id}
        )
    return sums


def expectation(access: Access, caller: Caller, on_item: bool) -> tuple[str, set[int] | None]:
    """("deny", statuses) | ("foreign", statuses or None) | ("allow", None)."""
    kind = access.kind
    if kind in ("public", "public_write", "mount"):
        return "allow", None
    if kind == "secret":
        return "deny", {400, 401, 403, 404, 409, 410, 422, 429}
    if kind == "gateway":
        return ("allow", None) if caller.name == "gateway" else ("deny", {401})
    if kind == "visitor":
        if caller.name in ("visitor_a", "visitor_b"):
            return "allow", None
        return "deny", {401, 404}
    if kind == "form":  # no caller here holds the form's CSRF token
        return "deny", {303, 403}
    if kind == "partner":  # no caller here holds a partner user's credential
        return "deny", {401, 403, 404}
    assert kind == "staff"
    if caller.name == "other_admin":
        return "foreign", ({403, 404} if on_item else None)
    if caller.role is None:
        return "deny", {401, 302, 303, 307} if access.page else {401}
    if caller.role not in access.roles:
        return "deny", {403}
    return "allow", None


ORDER = [
    "anonymous",
    "gateway",
    "other_admin",
    "visitor_b",
    "desk",
    "marketing",
    "visitor_a",
    "admin",
]


@pytest.mark.parametrize(("key", "method", "path"), ROUTES, ids=[k for k, _, _ in ROUTES])
async def test_route_answers_each_caller_as_classified(
    db: Database, key: str, method: str, path: str
) -> None:
    # No route may go unchecked: a websocket route needs its own case here before it lands.
    assert not key.startswith("WS "), f"{key}: websocket routes need a websocket case in this test"
    access = MATRIX.get(key)
    assert access is not None, f"unclassified route {key}: {HOW_TO}"
    this, other = await seed_office(db), await seed_office(db)
    everyone = callers(this, other)
    secrets = {c.secret for c in everyone if c.secret} | set(this.roadbook_tokens.values())
    # Parameters may share a segment with text ("/widget/site/{destination}/{site}.json").
    names = re.findall(r"\{(\w+)", path)
    for name in names:
        assert name in PARAMS, f"{key}: no value for path parameter {name!r}: add it to PARAMS"
    on_item = any(name != "token" for name in names)
    settings = app_settings(ratelimit_ingest_per_s=0, ratelimit_roadbook_per_s=0)

    async def call(client: httpx2.AsyncClient, caller: Caller) -> httpx2.Response:
        url = path
        for name in names:
            url = url.replace("{" + name + "}", PARAMS[name](this, caller))
        body = (
            BODIES[key](this, caller)
            if key in BODIES
            else ({} if method in ("POST", "PUT", "PATCH") else None)
        )
        response = await client.request(method, url, headers=caller.headers, json=body)
        assert response.status_code < 500, (
            f"{key} as {caller.name}: {response.status_code} {response.text}"
        )
        # Secrets of others never show; what the caller sent (URL, body) may be echoed back.
        sent = url + json.dumps(body)
        shown = response.text.replace(url, "")
        for secret in secrets - {caller.secret}:
            assert secret not in shown, f"{key} as {caller.name} shows someone else's secret"
        if caller.name == "other_admin":
            public = {str(this.item_id)} if access.catalogue else set()
            for leaked in this.ids() - public - {i for i in this.ids() if i in sent}:
                assert leaked not in shown, f"{key} as another destination's admin shows {leaked}"
        if caller.name == "visitor_b":
            for leaked in (str(this.visitor_ids["a"]), this.roadbook_tokens["a"]):
                assert leaked not in shown, f"{key} as visitor B shows visitor A's {leaked}"
        return response

    plan = {c.name: (c, expectation(access, c, on_item)) for c in everyone}
    refused = [n for n in ORDER if plan[n][1][0] in ("deny", "foreign")]
    allowed = [n for n in ORDER if plan[n][1][0] == "allow"]
    async with make_client(db, settings) as client:
        before = await fingerprint(db, this.destination_id)
        for name in refused:
            caller, (_, statuses) = plan[name]
            response = await call(client, caller)
            if statuses is None:  # another destination's admin, on a collection: its own rows
                assert response.status_code not in (401, 403), (
                    f"{key} as {name}: refused ({response.status_code} {response.text})"
                )
            else:
                assert response.status_code in statuses, (
                    f"{key} as {name}: expected one of {sorted(statuses)}, "
                    f"got {response.status_code} {response.text}"
                )
        if access.kind != "public_write":
            after = await fingerprint(db, this.destination_id)
            changed = sorted(t for t in before if before[t] != after[t])
            assert not changed, f"{key}: refused callers ({', '.join(refused)}) changed {changed}"
        for name in allowed:
            caller = plan[name][0]
            response = await call(client, caller)
            assert response.status_code not in (401, 403), (
                f"{key} as {name}: refused ({response.status_code} {response.text})"
            )
            if method == "GET" and access.kind != "mount":
                assert response.status_code < 400, (
                    f"{key} as {name}: {response.status_code} {response.text}"
                )
