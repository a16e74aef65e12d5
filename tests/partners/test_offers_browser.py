"""The offer pages in a real headless Chromium against a real uvicorn: sign in, open the offers,
edit one with a bad field (the message next to it, the focus on it), fix it and approve it; on a
phone and on a desktop screen, with screenshots of the list and the form."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from crm.core.db import Database
from partners.offers.models import Offer
from tests.browser.chromium import ARGS, CHROMIUM, DESKTOP, PHONE, SHOTS
from tests.conftest import LiveServer

sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
from office_support import PASSWORD, Office, seed_office

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        "Chromium is missing: apt-get install -y chromium (./run test does)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def _run(work: object) -> object:
    # A thread of its own: pytest-asyncio may have a loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result(timeout=60)  # type: ignore[arg-type]


@pytest.fixture
def office(live_server: LiveServer) -> Office:
    """A destination with staff of every role and a draft offer "Entrée -10 %" (French only)."""

    async def seed() -> Office:
        db = Database(live_server.database_url)
        try:
            return await seed_office(db)
        finally:
            await db.dispose()

    result = _run(seed())
    assert isinstance(result, Office)
    return result


def _offer(live_server: LiveServer, office: Office) -> Offer:
    async def read() -> Offer:
        db = Database(live_server.database_url)
        try:
            async with db.session(system=True) as session:
                offer = await session.get(Offer, office.offer_id)
                assert offer is not None
                return offer
        finally:
            await db.dispose()

    result = _run(read())
    assert isinstance(result, Offer)
    return result


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None and width <= page.viewport_size["width"], width


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "390"), (DESKTOP, "1280")])
def test_edit_an_offer_with_an_error_then_fix_and_approve_it(
    browser: Browser, live_server: LiveServer, office: Office, viewport: dict[str, int], name: str
) -> None:
    console: list[ConsoleMessage] = []
    page = browser.new_page(viewport=viewport, locale="fr-FR")  # type: ignore[arg-type]
    page.on("console", lambda message: console.append(message))
    page.goto(f"{live_server.url}/office/offers")
    page.fill("#email", office.emails["marketing"])
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert page.url == f"{live_server.url}/office/offers"
    assert page.locator(".menu a[aria-current=page]").inner_text() == "Offres"
    assert page.locator("caption").inner_text() == "1 offre(s)"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"office-offers-{name}.png"), full_page=True)
    _no_sideways_scroll(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Entrée -10 %").click()
    assert page.locator("h1").inner_text() == "Entrée -10 %"
    assert page.locator(".meta .status").inner_text() == "Brouillon"
    legends = page.locator("fieldset.language > legend")
    assert legends.all_inner_texts() == ["Français", "English", "Deutsch", "Nederlands"]
    boxes = [legends.nth(i).bounding_box() for i in range(4)]
    tops = {round(box["y"]) for box in boxes if box}
    assert len(tops) == (1 if name == "1280" else 4), tops
    page.screenshot(path=str(SHOTS / f"office-offer-{name}.png"), full_page=True)
    _no_sideways_scroll(page)

    # A German title and a negative cap: refused, the message next to the field.
    page.fill("#title-de", "Eintritt -10 %")
    page.fill("#cap_per_day", "-1")
    page.locator("input[name=wishes][value=family]").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").first.click()
    assert page.locator("[role=alert]").inner_text().startswith("Corrigez les champs signalés")
    assert page.locator("#cap_per_day-error").inner_text() == (
        "Un nombre entier de 0 à 1000000, ou vide."
    )
    assert page.locator("#cap_per_day").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "cap_per_day"
    assert page.locator("#title-de").input_value() == "Eintritt -10 %"  # kept, not lost
    page.screenshot(path=str(SHOTS / f"office-offer-error-{name}-view.png"))  # at the field
    assert _offer(live_server, office).title == {"fr": "Entrée -10 %"}  # nothing written

    # Fix it, add an evening slot, save, then approve.
    page.fill("#cap_per_day", "1")
    page.locator("input[name=slot-0-days][value=fri]").check()
    page.fill("#slot-0-opens", "19:00")
    page.fill("#slot-0-closes", "22:00")
    with page.expect_navigation():
        page.press("#slot-0-closes", "Enter")  # Enter saves (the form's first button)
    assert page.locator("[role=status]").inner_text().startswith("Enregistré : Titre, ")
    offer = _offer(live_server, office)
    assert offer.title == {"fr": "Entrée -10 %", "de": "Eintritt -10 %"}
    assert offer.cap_per_day == 1 and offer.wishes == ["family"]
    assert offer.schedule == {"rules": [{"days": ["fri"], "opens": "19:00", "closes": "22:00"}]}
    with page.expect_navigation():
        page.get_by_role("button", name="Approuver").click()
    assert page.locator("[role=status]").inner_text() == "Offre approuvée."
    assert page.locator(".meta .status").inner_text() == "Approuvée"
    buttons = page.locator(".move-buttons button").all_inner_texts()
    assert buttons == ["Mettre en pause", "Terminer"]
    page.screenshot(path=str(SHOTS / f"office-offer-approved-{name}.png"), full_page=True)
    _no_sideways_scroll(page)
    assert _offer(live_server, office).status == "approved"
    assert [m.text for m in console if "Content Security Policy" in m.text] == []
    errors = [m.text for m in console if m.type == "error" and "status of 422" not in m.text]
    assert errors == []
    page.close()
