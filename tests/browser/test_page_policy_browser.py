"""The consent form under its Content-Security-Policy in a real headless Chromium: the page is
styled (its stylesheet is allowed), nothing on it is refused, and no other page can frame it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage

from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_the_consent_form_is_styled_and_nothing_is_refused(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    console: list[ConsoleMessage] = []
    page.on("console", lambda message: console.append(message))
    response = page.goto(f"{demo_server.url}/enrol/amneville?lang=en")
    assert response is not None and response.status == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    # The stylesheet applied: body is 40rem wide and centred, fieldsets have rounded corners.
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "640px"
    radius = "getComputedStyle(document.querySelector('fieldset')).borderTopLeftRadius"
    assert page.evaluate(radius) == "8px"
    page.check("input[name=consents][value=proximity]")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("a.link").get_attribute("href") is not None
    link_style = "getComputedStyle(document.querySelector('a.link')).wordBreak"
    assert page.evaluate(link_style) == "break-all"
    refused = [m.text for m in console if "Content Security Policy" in m.text]
    assert refused == []
    page.close()


def test_another_page_cannot_frame_the_consent_form(
    browser: Browser, demo_server: LiveServer
) -> None:
    page = browser.new_page()
    form = f"{demo_server.url}/enrol/amneville"
    # A page of another origin (about:blank) tries to show the form in a frame: Chromium refuses.
    with page.expect_console_message(lambda m: "frame-ancestors" in m.text) as refusal:
        page.set_content(f'<iframe src="{form}" width="600" height="400"></iframe>')
    assert f"Framing '{demo_server.url}/'" in refusal.value.text
    assert page.frames[1].locator("form").count() == 0
    page.close()
