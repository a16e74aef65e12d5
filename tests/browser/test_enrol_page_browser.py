"""The self-enrolment page in a real headless Chromium, against the CRM on a real uvicorn."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.chromium import SHOTS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def _page(browser: Browser) -> Page:
    return browser.new_page(viewport={"width": 420, "height": 900}, locale="fr-FR")


def test_enrolment_in_german_gives_a_working_roadbook(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = _page(browser)
    page.goto(f"{demo_server.url}/enrol/amneville?lang=de")
    assert page.locator("html").get_attribute("lang") == "de"
    assert "Amnéville-les-Thermes" in page.locator("h1").inner_text()
    # The notice warns about static identifiers before consent is asked (docs/architecture.md).
    assert page.locator(".notice .warning").inner_text().strip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "enrol-de.png"), full_page=True)
    page.check("input[name=wishes][value=wellness]")
    page.check("input[name=consents][value=personalisation]")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "enrolled-de.png"), full_page=True)
    link = page.locator("a[href*='/r/']").first.get_attribute("href")
    assert link is not None
    feed = page.request.get(link.split("#")[0].rstrip("/") + "/feed.json")
    assert feed.status == 200
    assert feed.json()["language"] == "de"
    page.close()


def test_bad_input_re_renders_with_messages_and_keeps_choices(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = _page(browser)
    page.goto(f"{demo_server.url}/enrol/amneville?lang=fr")
    page.check("input[name=wishes][value=nature]")
    page.fill("input[name=stay_start]", "2026-12-10")
    page.fill("input[name=stay_end]", "2026-12-01")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "enrol-error-fr.png"), full_page=True)
    assert page.locator("[role=alert]").is_visible()
    assert page.locator("#stay_end-error").inner_text().strip()
    assert page.locator("input[name=wishes][value=nature]").is_checked()
    assert page.locator("input[name=stay_start]").input_value() == "2026-12-10"
    page.close()
