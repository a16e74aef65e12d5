"""The office back-office's shell over HTTP: sign-in and sign-out, the session cookie, CSRF, the
shared login throttle, role-based navigation, the four languages, and bad input."""

from __future__ import annotations

import html
import re
import sys
from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import update
from sqlmodel import col

from crm.core.clock import FrozenClock
from crm.core.credentials import Credential, token_hash
from crm.core.db import Database
from crm.core.models import utcnow
from crm.gateways.models import Gateway
from crm.main import create_app
from crm.office import nav
from crm.office.assets import add_static_directory, remove_static_directory
from crm.office.render import add_template_directory, render_office_page
from crm.office.session import OfficeDep

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import app_settings, make_client
from office_support import PASSWORD, Office

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FORBIDDEN_FORM_FR = "Ce formulaire a expiré"


def csrf_of(page: httpx2.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return html.unescape(found.group(1))


async def sign_in(
    client: httpx2.AsyncClient,
    office: Office,
    role: str = "admin",
    password: str = PASSWORD,
    **extra: str,
) -> httpx2.Response:
    form = await client.get("/office/sign-in")
    assert form.status_code == 200, form.text
    return await client.post(
        "/office/sign-in",
        data={
            "csrf": csrf_of(form),
            "destination": office.slug,
            "email": office.emails[role],
            "password": password,
            **extra,
        },
    )


def session_cookie(response: httpx2.Response) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("balise_office="):
            return header
    raise AssertionError(f"no session cookie in {response.headers.get_list('set-cookie')}")


def nav_labels(page: httpx2.Response) -> list[str]:
    menu = page.text.split('class="menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<a href=\"[^\"]+\"[^>]*>([^<]+)</a>", menu)


async def test_sign_in_sets_an_httponly_session_cookie_and_shows_the_home_page(
    client: httpx2.AsyncClient, office: Office, db: Database, crm_clock: FrozenClock
) -> None:
    response = await sign_in(client, office, "marketing")
    assert response.status_code == 303
    assert response.headers["location"] == "/office"
    assert response.headers["cache-control"] == "no-store"
    cookie = session_cookie(response)
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/office" in lowered
    assert "max-age=43200" in lowered
    assert "secure" not in lowered  # plain http here; https below
    secret = cookie.split(";", 1)[0].split("=", 1)[1]
    # A staff credential: only its hash is kept, for this account, for 12 hours.
    async with db.session(system=True) as session:
        row = await session.get(Credential, token_hash(secret))
    assert row is not None and row.kind == "staff" and row.revoked_at is None
    assert row.subject == str(office.staff_ids["marketing"])
    assert row.expires_at is not None
    assert row.expires_at == crm_clock.now() + timedelta(hours=12)

    home = await client.get("/office")
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert home.headers["cache-control"] == "no-store"
    assert "default-src 'self'" in home.headers["content-security-policy"]
    assert '<html lang="fr">' in home.text
    assert "Bonjour Marketing" in home.text
    assert office.emails["marketing"] in home.text
    assert '<dd id="role">Marketing</dd>' in home.text
    assert f"<dd>{office.slug.title()}</dd>" in home.text  # the destination's name
    assert '<a class="skip" href="#main">Aller au contenu</a>' in home.text


async def test_cookies_are_secure_when_the_public_url_is_https(
    db: Database, office: Office
) -> None:
    app = create_app(app_settings(public_url="https://crm.example"), db=db)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="https://test") as client:
        form = await client.get("/office/sign-in")
        assert "secure" in form.headers["set-cookie"].lower()  # the sign-in nonce
        response = await sign_in(client, office)
    assert response.status_code == 303
    assert "secure" in session_cookie(response).lower()


async def test_a_page_without_a_session_leads_to_sign_in_and_back(
    client: httpx2.AsyncClient, office: Office
) -> None:
    response = await client.get("/office/gateways")
    assert response.status_code == 303
    assert response.headers["location"] == "/office/sign-in?next=%2Foffice%2Fgateways"
    home = await client.get("/office")
    assert home.headers["location"] == "/office/sign-in"
    signed = await sign_in(client, office, next="/office/gateways")
    assert signed.headers["location"] == "/office/gateways"
    # Signed in, the sign-in form sends to the home page.
    again = await client.get("/office/sign-in")
    assert again.status_code == 303 and again.headers["location"] == "/office"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/office",
        "/api/v1/auth/me",
        "/office\\x",
        "/office/../api/v1/auth/me",
        "/office/%2E%2e/api/v1/auth/me",
        "/officer",
    ],
)
async def test_sign_in_never_redirects_outside_the_office(
    client: httpx2.AsyncClient, office: Office, target: str
) -> None:
    response = await sign_in(client, office, next=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/office"


async def test_failed_sign_in_says_the_same_whatever_was_wrong(
    client: httpx2.AsyncClient, office: Office
) -> None:
    wrong_password = await sign_in(client, office, password="not the password at all")
    unknown_account = await client.post(
        "/office/sign-in",
        data={
            "csrf": csrf_of(await client.get("/office/sign-in")),
            "destination": office.slug,
            "email": "nobody@example.org",
            "password": PASSWORD,
        },
    )
    unknown_destination = await client.post(
        "/office/sign-in",
        data={
            "csrf": csrf_of(await client.get("/office/sign-in")),
            "destination": "nowhere",
            "email": office.emails["admin"],
            "password": PASSWORD,
        },
    )
    messages = set()
    for response in (wrong_password, unknown_account, unknown_destination):
        assert response.status_code == 401
        assert "balise_office=" not in response.headers.get("set-cookie", "")
        found = re.search(r'<p class="error" id="password-error">([^<]+)</p>', response.text)
        assert found, response.text
        messages.add(found.group(1))
        assert 'id="password" name="password" type="password"' in response.text
        assert PASSWORD not in response.text  # the password is never echoed
    # One destination here: the form does not ask for it, nor does the message name it.
    assert [html.unescape(m) for m in messages] == [
        "Identifiants incorrects : vérifiez l'adresse e-mail et le mot de passe."
    ]
    assert 'type="hidden" name="destination" value="' + office.slug in unknown_destination.text
    # What was typed stays, so only the password needs typing again.
    assert 'value="nobody@example.org"' in unknown_account.text


async def test_sign_in_without_or_with_a_wrong_csrf_token_is_refused(
    client: httpx2.AsyncClient, db: Database, office: Office
) -> None:
    fields = {"destination": office.slug, "email": office.emails["admin"], "password": PASSWORD}
    await client.get("/office/sign-in")  # the browser holds a nonce
    missing = await client.post("/office/sign-in", data=fields)
    wrong = await client.post("/office/sign-in", data={**fields, "csrf": "x" * 43})
    # A token another browser was given does not fit this browser's nonce (login CSRF).
    async with make_client(db) as elsewhere:
        foreign = csrf_of(await elsewhere.get("/office/sign-in"))
    forged = await client.post("/office/sign-in", data={**fields, "csrf": foreign})
    client.cookies.clear()
    no_nonce = await client.post("/office/sign-in", data={**fields, "csrf": foreign})
    for response in (missing, wrong, forged, no_nonce):
        assert response.status_code == 403
        assert FORBIDDEN_FORM_FR in html.unescape(response.text)
        assert "balise_office=" not in response.headers.get("set-cookie", "")


async def test_sign_out_needs_the_session_csrf_token_then_revokes_the_credential(
    client: httpx2.AsyncClient, db: Database, office: Office
) -> None:
    signed = await sign_in(client, office)
    secret = session_cookie(signed).split(";", 1)[0].split("=", 1)[1]
    home = await client.get("/office")
    token = csrf_of(home)
    for bad in ({}, {"csrf": "forged"}, {"csrf": token[:-1] + ("A" if token[-1] != "A" else "B")}):
        refused = await client.post("/office/sign-out", data=bad)
        assert refused.status_code == 403
        assert "Ce formulaire a expiré" in html.unescape(refused.text)
        assert (await client.get("/office")).status_code == 200  # still signed in

    out = await client.post("/office/sign-out", data={"csrf": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/office/sign-in?signed_out=1"
    cleared = session_cookie(out).lower()
    assert 'balise_office="";' in cleared or "max-age=0" in cleared
    async with db.session(system=True) as session:
        row = await session.get(Credential, token_hash(secret))
    assert row is not None and row.revoked_at is not None
    # The old secret opens nothing any more, here or on the API.
    client.cookies.clear()
    stale = await client.get("/office", headers={"Cookie": f"balise_office={secret}"})
    assert stale.status_code == 303 and stale.headers["location"] == "/office/sign-in"
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 401
    page = await client.get("/office/sign-in?signed_out=1")
    assert "Vous êtes déconnecté·e." in page.text


async def test_failed_sign_ins_are_throttled_with_the_api_login(
    db: Database, office: Office
) -> None:
    settings = app_settings(
        ratelimit_login_failures_burst=2, ratelimit_login_failures_per_s=1 / 600
    )
    async with make_client(db, settings) as client:
        for _ in range(2):
            assert (await sign_in(client, office, password="wrong password!")).status_code == 401
        refused = await sign_in(client, office)  # even the right password waits
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 500
        assert "Trop de tentatives de connexion échouées" in html.unescape(refused.text)
        assert "Réessayez dans 10 min." in html.unescape(refused.text)
        assert "balise_office=" not in refused.headers.get("set-cookie", "")
        # The form and the API spend one budget per address and account.
        api = await client.post(
            "/api/v1/auth/login",
            json={
                "destination": office.slug,
                "email": office.emails["admin"],
                "password": PASSWORD,
            },
        )
        assert api.status_code == 429
        # Another account from the same address is not locked out by these failures.
        assert (await sign_in(client, office, "desk")).status_code == 303


async def test_the_menu_follows_the_role_and_pages_check_it(
    client: httpx2.AsyncClient, db: Database, office: Office
) -> None:
    await sign_in(client, office, "desk")
    home = await client.get("/office")
    assert nav_labels(home) == ["Accueil", "Passerelles"]
    assert 'aria-current="page">Accueil' in home.text
    denied = await client.get("/office/staff")
    assert denied.status_code == 403
    assert "Cette page est réservée aux rôles : Administration. Votre rôle : Accueil." in (
        html.unescape(denied.text)
    )
    async with make_client(db) as admin:
        await sign_in(admin, office, "admin")
        page = await admin.get("/office/staff")
        assert page.status_code == 200
        # The catalogue is roadbook's entry (roadbook/plugin.py).
        assert nav_labels(page) == ["Accueil", "Catalogue", "Offres", "Passerelles", "Équipe"]
        assert 'aria-current="page">Équipe' in page.text
        for email in office.emails.values():
            assert email in page.text


async def test_a_package_adds_a_menu_entry_and_a_page_inside_the_layout(
    db: Database, office: Office, tmp_path: Path
) -> None:
    """How roadbook's catalogue joins: a nav entry, a template directory, a page handler."""
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "list.html").write_text(
        '{% extends "office/layout.html" %}{% block content %}'
        "<h1>{{ title }}</h1><p id=items>{{ items|join(', ') }}</p>{% endblock %}"
    )
    add_template_directory(tmp_path)
    nav.register(
        nav.NavEntry(
            key="test-catalogue",
            path="/office/test-catalogue",
            labels={"fr": "Catalogue", "en": "Catalogue", "de": "Katalog", "nl": "Catalogus"},
            order=20,
            roles=frozenset({"marketing"}),
        )
    )
    try:
        app = create_app(app_settings(), db=db)

        @app.get("/office/test-catalogue", response_class=HTMLResponse)
        async def catalogue(request: Request, office: OfficeDep) -> HTMLResponse:
            return render_office_page(
                request, office, "catalogue/list.html", {"items": ["Zoo", "Spa"]}, title="Catal"
            )

        transport = httpx2.ASGITransport(app=app)
        for role, sees in (("marketing", True), ("desk", False), ("admin", True)):
            async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
                await sign_in(client, office, role)
                home = await client.get("/office?lang=de")
                assert ("Katalog" in nav_labels(home)) is sees, (role, nav_labels(home))
                page = await client.get("/office/test-catalogue")
                assert page.status_code == 200
                assert "<p id=items>Zoo, Spa</p>" in page.text
                # The menu marks the page (in the language picked on the home page).
                assert ('aria-current="page">Katalog' in page.text) is sees
                assert 'name="csrf"' in page.text  # the layout's sign-out form
    finally:
        nav.unregister("test-catalogue")


def test_navigation_entries_are_checked() -> None:
    with pytest.raises(ValueError, match="into /office"):
        nav.NavEntry(key="x", path="/elsewhere", labels={"fr": "X"})
    with pytest.raises(ValueError, match="unknown staff roles"):
        nav.NavEntry(key="x", path="/office/x", labels={"fr": "X"}, roles=frozenset({"boss"}))
    entry = nav.NavEntry(key="x", path="/office/x", labels={"fr": "Ex", "en": "Ax"})
    assert entry.label("de") == "Ex" and entry.label("en") == "Ax"


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"}, "", "de"),
        ({"Accept-Language": "ja, nl;q=0.5, en;q=0.7"}, "", "en"),
        ({"Accept-Language": "en;q=0, nl"}, "", "nl"),
        ({"Accept-Language": "ja"}, "", "fr"),
        ({}, "", "fr"),
        ({"Accept-Language": "de"}, "?lang=nl", "nl"),
        ({}, "?lang=xx", "fr"),
    ],
)
async def test_the_sign_in_page_speaks_the_visitors_language(
    client: httpx2.AsyncClient, headers: dict[str, str], query: str, expected: str
) -> None:
    page = await client.get(f"/office/sign-in{query}", headers=headers)
    assert page.status_code == 200
    assert f'<html lang="{expected}">' in page.text
    words = {"fr": "Mot de passe", "en": "Password", "de": "Passwort", "nl": "Wachtwoord"}
    assert f'<label for="password">{words[expected]}</label>' in page.text


async def test_a_picked_language_is_remembered_and_failures_speak_it(
    client: httpx2.AsyncClient, office: Office
) -> None:
    picked = await client.get("/office/sign-in?lang=nl", headers={"Accept-Language": "de"})
    assert "balise_office_lang=nl" in picked.headers["set-cookie"]
    later = await client.get("/office/sign-in", headers={"Accept-Language": "de"})
    assert '<html lang="nl">' in later.text
    # The switch keeps the page's other parameters.
    assert (
        'href="/office/sign-in?next=%2Foffice%2Fstaff&amp;lang=de"'
        in (await client.get("/office/sign-in?next=/office/staff")).text
    )
    failed = await sign_in(client, office, password="wrong password!", lang="en")
    assert failed.status_code == 401
    assert "These details do not match an account: check the e-mail address" in failed.text
    await sign_in(client, office, "admin")
    home = await client.get("/office?lang=de")
    assert '<html lang="de">' in home.text and "Guten Tag, Admin" in home.text
    assert nav_labels(home) == ["Start", "Katalog", "Angebote", "Gateways", "Team"]


@pytest.fixture
async def csrf_client(client: httpx2.AsyncClient) -> tuple[httpx2.AsyncClient, str]:
    return client, csrf_of(await client.get("/office/sign-in"))


@pytest.mark.parametrize(
    ("fields", "status", "field", "message"),
    [
        ({"email": "", "password": ""}, 422, "email", "Ce champ est obligatoire."),
        ({"email": "a\x00b@example.org", "password": "x"}, 422, "email", "non autorisé"),
        ({"email": "a" * 300 + "@x.org", "password": "x"}, 422, "email", "Au plus 254"),
        ({"email": "a@b.org", "password": "p" * 1025}, 422, "password", "Au plus 1024"),
        ({"email": "a@b.org"}, 422, "password", "Ce champ est obligatoire."),
        ({"email": "a@b.org", "password": "x", "destination": ""}, 422, "destination", "obli"),
    ],
)
async def test_bad_fields_come_back_with_a_message_next_to_them(
    csrf_client: tuple[httpx2.AsyncClient, str],
    office: Office,
    other: Office,  # two destinations: the destination field is shown
    fields: dict[str, str],
    status: int,
    field: str,
    message: str,
) -> None:
    client, token = csrf_client
    response = await client.post(
        "/office/sign-in", data={"csrf": token, "destination": office.slug, **fields}
    )
    assert response.status_code == status
    found = re.search(rf'<p class="error" id="{field}-error">([^<]+)</p>', response.text)
    assert found and message in html.unescape(found.group(1)), response.text
    assert f'id="{field}"' in response.text and 'aria-invalid="true"' in response.text


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"email": "a@b.org"}', "application/json"),
        (b"", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage=\xc3\x28&&&==", "application/x-www-form-urlencoded"),
        (
            b"--b\r\nContent-Disposition: form-data; name=f; filename=a.txt\r\n\r\nx\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
        (b"--b\r\nbroken", "multipart/form-data; boundary=b"),
        (b"email=" + b"x" * 20_000, "multipart/form-data"),
        (b"&".join(b"f%d=1" % i for i in range(100)), "application/x-www-form-urlencoded"),
    ],
)
@pytest.mark.parametrize("path", ["/office/sign-in", "/office/sign-out"])
async def test_garbage_bodies_never_cause_a_500(
    client: httpx2.AsyncClient, office: Office, content: bytes, content_type: str, path: str
) -> None:
    await client.get("/office/sign-in")
    for signed_in in (False, True):
        if signed_in:
            await sign_in(client, office)
        response = await client.post(path, content=content, headers={"content-type": content_type})
        assert response.status_code in {303, 400, 403, 422}, response.text
        if response.status_code != 303:
            assert response.headers["content-type"].startswith("text/html")


async def test_the_gateways_page_shows_each_gateways_state_from_its_heartbeat(
    client: httpx2.AsyncClient, db: Database, office: Office, other: Office
) -> None:
    await sign_in(client, office, "desk")
    never = await client.get("/office/gateways")
    assert never.status_code == 200
    assert office.gateway_id in never.text
    assert other.gateway_id not in never.text  # another destination's fleet stays hidden
    assert "Jamais vue" in never.text and '<td data-label="Site">Zoo</td>' in never.text

    async with db.session(system=True) as session:
        await session.execute(
            update(Gateway)
            .where(col(Gateway.id) == office.gateway_id)
            .values(
                last_heartbeat_at=utcnow() - timedelta(seconds=20), heartbeat={"version": "1.4.2"}
            )
        )
        await session.commit()
    online = await client.get("/office/gateways?lang=en")
    assert 'state-online"><span class="dot" aria-hidden="true"></span>Online' in online.text
    assert '<td data-label="Version">1.4.2</td>' in online.text
    home = await client.get("/office")
    assert "<strong>1</strong> Online" in home.text and "<strong>0</strong> Offline" in home.text

    async with db.session(system=True) as session:
        await session.execute(
            update(Gateway)
            .where(col(Gateway.id) == office.gateway_id)
            .values(last_heartbeat_at=utcnow() - timedelta(days=2))
        )
        await session.commit()
    offline = await client.get("/office/gateways")
    assert 'state-offline"><span class="dot" aria-hidden="true"></span>Offline' in offline.text


async def test_static_files_of_the_shell_and_of_packages_are_served_and_nothing_else(
    client: httpx2.AsyncClient, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    css = await client.get("/office/static/shell/office.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ".skip:focus" in css.text
    icon = await client.get("/office/static/shell/icon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    (tmp_path / "map.js").write_text("export const zoom = 12;\n")
    (tmp_path / "notes.txt").write_text("not served")
    add_static_directory("test-pkg", tmp_path)
    request.addfinalizer(lambda: remove_static_directory("test-pkg"))
    script = await client.get("/office/static/test-pkg/map.js")
    assert script.status_code == 200 and script.text == "export const zoom = 12;\n"
    assert "javascript" in script.headers["content-type"]
    for path in (
        "test-pkg/notes.txt",
        "test-pkg/..%2Fmap.js",
        "shell/..%2F..%2Frouter.py",
        "shell/nope.css",
        "shell/.hidden.css",
        "unknown/office.css",
        "office.css",
    ):
        assert (await client.get(f"/office/static/{path}")).status_code == 404, path
    with pytest.raises(ValueError, match="already come from"):
        add_static_directory("test-pkg", tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="not a package name"):
        add_static_directory("../x", tmp_path)


async def test_with_several_destinations_the_form_asks_for_one_and_names_it_when_wrong(
    client: httpx2.AsyncClient, office: Office, other: Office
) -> None:
    form = await client.get(f"/office/sign-in?destination={other.slug}")
    assert f'id="destination" name="destination" value="{other.slug}"' in form.text
    # Right account and password, another destination's slug: refused like any mistake.
    response = await sign_in(client, office, destination=other.slug)
    assert response.status_code == 401
    assert "vérifiez la destination, l'adresse e-mail et le mot de passe" in html.unescape(
        response.text
    )
    assert (await sign_in(client, other)).status_code == 303


async def test_a_role_change_ends_the_office_session_at_the_next_page(
    client: httpx2.AsyncClient, db: Database, office: Office
) -> None:
    await sign_in(client, office, "desk")
    assert (await client.get("/office")).status_code == 200
    async with make_client(db) as admin:
        changed = await admin.patch(
            f"/api/v1/office/staff/{office.staff_ids['desk']}",
            json={"role": "marketing"},
            headers=office.bearer("admin"),
        )
        assert changed.status_code == 200, changed.text
    after = await client.get("/office/gateways")
    assert after.status_code == 303
    assert after.headers["location"] == "/office/sign-in?next=%2Foffice%2Fgateways"
    await sign_in(client, office, "desk")  # the same account, now marketing
    assert '<dd id="role">Marketing</dd>' in (await client.get("/office")).text
