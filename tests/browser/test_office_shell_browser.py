"""The office shell in a real headless Chromium against a real uvicorn: sign in with the keyboard
only, the home page, the skip link, sign out; on a phone and on a desktop screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from office_support import (
    PASSWORD,
    Office,
    french_page,
    no_sideways_scroll,
    run_sync,
    seed_office,
    sign_in_page,
)
from playwright.sync_api import Browser, Page
from sqlalchemy import update
from sqlmodel import col

from crm.core.db import Database
from crm.core.models import utcnow
from crm.gateways.models import Gateway
from tests.browser.chromium import DESKTOP, PHONE, SHOTS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def office(live_server: LiveServer) -> Office:
    """One destination with staff of every role; its gateway heard 20 seconds ago."""

    async def seed() -> Office:
        db = Database(live_server.database_url)
        try:
            office = await seed_office(db)
            async with db.session(system=True) as session:
                await session.execute(
                    update(Gateway)
                    .where(col(Gateway.id) == office.gateway_id)
                    .values(
                        last_heartbeat_at=utcnow() - timedelta(seconds=20),
                        heartbeat={"version": "1.4.2"},
                    )
                )
                await session.commit()
            return office
        finally:
            await db.dispose()

    return run_sync(seed())


def _focused(page: Page) -> str:
    return str(
        page.evaluate(
            "(() => { const e = document.activeElement;"
            " return e.tagName + '#' + (e.id || '') + ':' + (e.textContent || '').trim(); })()"
        )
    )


def _tab_to(page: Page, target: str, limit: int = 15) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page) == target:
            return
    raise AssertionError(f"Tab never reached {target!r}; focus on {_focused(page)}")


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "390"), (DESKTOP, "1280")])
def test_sign_in_home_and_sign_out_with_the_keyboard_only(
    browser: Browser, live_server: LiveServer, office: Office, viewport: dict[str, int], name: str
) -> None:
    page, console = french_page(browser, viewport)
    page.goto(f"{live_server.url}/office/gateways")
    assert page.url == f"{live_server.url}/office/sign-in?next=%2Foffice%2Fgateways"
    assert page.locator("html").get_attribute("lang") == "fr"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"office-sign-in-{name}.png"), full_page=True)
    no_sideways_scroll(page)
    # The e-mail field has the focus; one destination: its field is not asked for.
    assert _focused(page).startswith("INPUT#email")
    assert page.locator("#destination").count() == 0
    page.keyboard.type(office.emails["admin"])
    page.keyboard.press("Tab")
    assert _focused(page).startswith("INPUT#password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/office/gateways"  # back where they were going
    assert "En ligne" in page.locator("table").inner_text()
    page.screenshot(path=str(SHOTS / f"office-gateways-{name}.png"), full_page=True)

    page.goto(f"{live_server.url}/office")
    assert page.locator("h1").inner_text() == "Bonjour Admin"
    assert page.locator("#role").inner_text() == "Administration"
    assert page.locator(".menu a[aria-current=page]").inner_text() == "Accueil"
    page.screenshot(path=str(SHOTS / f"office-home-{name}.png"), full_page=True)
    no_sideways_scroll(page)
    # The skip link comes first and takes the focus to the page's content.
    page.keyboard.press("Tab")
    assert _focused(page).startswith("A#:Aller au contenu")
    assert page.locator("a.skip").is_visible()
    page.keyboard.press("Enter")
    assert _focused(page).startswith("MAIN#main")
    # Sign out from the keyboard: the header's button, third stop from the top of the page.
    page.goto(f"{live_server.url}/office")  # not reload(): the URL ends in #main now
    _tab_to(page, "BUTTON#:Se déconnecter", limit=3)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/office/sign-in?signed_out=1"
    assert page.locator("[role=status]").inner_text() == "Vous êtes déconnecté·e."
    page.goto(f"{live_server.url}/office")
    assert page.url == f"{live_server.url}/office/sign-in"
    assert [m.text for m in console if "Content Security Policy" in m.text] == []
    page.close()


def test_a_failed_sign_in_then_english_then_success(
    browser: Browser, live_server: LiveServer, office: Office
) -> None:
    page, _ = french_page(browser, PHONE)
    page.goto(f"{live_server.url}/office/sign-in")
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("E-mail address").fill(office.emails["desk"])
    page.get_by_label("Password").fill("not the password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    error = page.locator("#password-error")
    assert error.inner_text() == (
        "These details do not match an account: check the e-mail address and the password."
    )
    assert page.get_by_label("E-mail address").input_value() == office.emails["desk"]
    assert page.get_by_label("Password").get_attribute("aria-describedby") == "password-error"
    assert _focused(page).startswith("INPUT#password")  # straight back to what to fix
    page.screenshot(path=str(SHOTS / "office-sign-in-error-390.png"), full_page=True)
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Hello Desk"  # the language stayed English
    assert page.locator(".menu a").all_inner_texts() == ["Home", "Gateways"]
    page.close()


def test_every_language_fits_a_phone(
    browser: Browser, live_server: LiveServer, office: Office
) -> None:
    page, _ = french_page(browser, PHONE)
    sign_in_page(page, f"{live_server.url}/office", office, "marketing")
    headings = {"fr": "Bonjour", "en": "Hello", "de": "Guten Tag,", "nl": "Hallo"}
    for code, greeting in headings.items():
        for path in ("/office", "/office/gateways"):
            page.goto(f"{live_server.url}{path}?lang={code}")
            assert page.locator("html").get_attribute("lang") == code
            no_sideways_scroll(page)
        page.goto(f"{live_server.url}/office")  # the choice is remembered
        assert page.locator("h1").inner_text() == f"{greeting} Marketing"
        page.screenshot(path=str(SHOTS / f"office-home-{code}-390.png"), full_page=True)
    # Marketing has no staff page in its menu.
    assert "/office/staff" not in page.locator(".menu").inner_html()
    page.close()
