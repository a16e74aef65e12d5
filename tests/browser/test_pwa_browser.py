"""The roadbook app in a real headless Chromium against the CRM on a real uvicorn: the page on a
phone and a desktop, the keyboard, partner text inert, the manifest as Chromium reads it, the
service worker and reading offline after one visit, the language switch, and "My data"
(choices, then erasure: the address answers 404 and the device's copy is gone).

The page shows a roadbook built by hand (tests/roadbook/pwa/pwa_support.py) in place of the
service's view, so that every kind of card is on it; the app's routes are the real ones.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page

from crm.core.db import Database
from crm.destinations import service as destinations
from crm.visitors import service as visitors
from roadbook.feeds import service
from roadbook.feeds.view import Links, RoadbookView
from tests.browser.chromium import DESKTOP, PHONE, SHOTS
from tests.conftest import LiveServer

sys.path.insert(0, str(Path(__file__).parents[1] / "roadbook" / "pwa"))
from office_support import run_sync
from pwa_support import CODE, sample_view

pytestmark = pytest.mark.browser


@dataclass
class Roadbook:
    server: LiveServer
    token: str

    @property
    def url(self) -> str:
        return f"{self.server.url}/r/{self.token}"


def _serve_hand_built_views(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's view of any visitor is ``sample_view``, under the links and in the language
    the page asks for (the page handler, its headers and ``?lang=`` stay the real ones)."""

    async def visitor_view(
        session: Any, visitor: Any, *, links: Links, language: str | None = None, **_: Any
    ) -> RoadbookView:
        token = links.home.rsplit("/", 1)[1]
        base = links.home.removesuffix(f"/r/{token}")
        return sample_view(base, token, language=language or visitor.language)

    monkeypatch.setattr(service, "visitor_view", visitor_view)


@pytest.fixture
def roadbook(monkeypatch: pytest.MonkeyPatch, committed_db_url: str) -> Iterator[Roadbook]:
    server = LiveServer(committed_db_url)
    _serve_hand_built_views(monkeypatch)

    async def seed() -> str:
        db = Database(committed_db_url)
        try:
            async with db.session(system=True) as session:
                destination = await destinations.create_destination(
                    session, "amneville", "Amnéville-les-Thermes"
                )
                enrolled = await visitors.enrol(
                    session,
                    destination.id,
                    language="en",
                    wishes=["wellness"],
                    consents=["proximity", "personalisation"],
                )
                await session.commit()
                return enrolled.roadbook_token
        finally:
            await db.dispose()

    token = run_sync(seed())
    server.start()
    yield Roadbook(server, token)
    server.stop()


class Watch:
    """What a page says in its console and whether any script opened a dialog."""

    def __init__(self, page: Page) -> None:
        self.console: list[ConsoleMessage] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("console", lambda message: self.console.append(message))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def problems(self, *allowed: str) -> list[str]:
        said = [m.text for m in self.console if m.type == "error"]
        return [t for t in said if not any(a in t for a in allowed)] + self.errors + self.dialogs


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None and width <= page.viewport_size["width"], width


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "390"), (DESKTOP, "1280")])
def test_the_roadbook_on_a_phone_and_a_desktop(
    browser: Browser, roadbook: Roadbook, viewport: dict[str, int], name: str
) -> None:
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    watch = Watch(page)
    response = page.goto(roadbook.url)
    assert response is not None and response.status == 200
    assert "img-src 'self' https: data:" in response.headers["content-security-policy"]
    assert page.locator("h1").inner_text() == "Your roadbook — Amnéville-les-Thermes"
    assert page.locator("h2").all_inner_texts()[:5] == [
        "Now, nearby",
        "Today",
        "During your stay",
        "Events",
        "Your visits",
    ]
    # The offer: labelled in words (not only a colour), its partner, the code large and
    # monospaced, the QR code big enough to scan.
    offer = page.locator(".card.sponsored")
    assert offer.locator(".label").inner_text() == "PARTNER OFFER Thermapolis"
    code = offer.locator(".code")
    assert code.inner_text() == CODE
    assert "monospace" in code.evaluate("e => getComputedStyle(e).fontFamily")
    assert float(code.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 24
    qr = offer.locator(".qr svg").bounding_box()
    assert qr is not None and qr["width"] >= 180
    assert offer.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    # Partner text is text: no image element, no dialog.
    assert offer.locator(".summary").inner_text().endswith("<img src=x onerror=alert(1)>")
    assert page.locator("main img").count() == 1  # the zoo's photo only
    # The zoo's photo is lazy and keeps its box.
    photo = page.locator("main img")
    assert photo.get_attribute("loading") == "lazy"
    # Two columns of cards on a desktop, one on a phone.
    tops = {
        round(box["y"])
        for box in (c.bounding_box() for c in page.locator(".card").all()[:2])
        if box
    }
    assert len(tops) == (1 if name == "1280" else 2)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"pwa-roadbook-{name}.png"), full_page=True)
    _no_sideways_scroll(page)
    page.wait_for_timeout(300)
    assert watch.problems() == []
    page.close()


def test_the_keyboard_reaches_everything_in_order_with_a_visible_focus(
    browser: Browser, roadbook: Roadbook
) -> None:
    page = browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
    watch = Watch(page)
    page.goto(roadbook.url)
    reached = []
    for _ in range(11):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [e.textContent.trim(), s.outlineStyle, s.outlineWidth]; }"
        )
        assert focused[1] == "solid" and focused[2] == "3px", focused
        reached.append(focused[0])
    assert reached == [
        "Skip to content",
        "Français",
        "English",
        "Deutsch",
        "Nederlands",
        "-20 % on the spa's evening pass",
        "Zoo d'Amnéville",
        "My choices, download or erase my data",
        "Download my data",
        "In my calendar (iCalendar)",
        "This roadbook as JSON Feed",
    ]
    # The skip link shows when focused, and takes the focus to the content.
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
    skip = page.locator(".skip").bounding_box()
    assert skip is not None and skip["x"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "-20 % on the spa's evening pass"
    assert watch.problems() == []
    page.close()


def test_the_language_switch_marks_the_current_language(
    browser: Browser, roadbook: Roadbook
) -> None:
    page = browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
    page.goto(roadbook.url)
    with page.expect_navigation():
        page.get_by_role("link", name="Deutsch").click()
    assert page.url == f"{roadbook.url}?lang=de"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("[aria-current=true]").inner_text() == "Deutsch"
    assert page.locator("nav.languages").get_attribute("aria-label") == "Sprache"
    assert page.locator(".updated").inner_text() == "Aktualisiert: Sa. 5. Dez. 15:00"
    page.close()


def _wait_for(page: Page, script: str) -> None:
    page.wait_for_function(script, timeout=10_000, polling=100)


# This page is kept on the device, with the modules other parts plug into it.
KEPT = """async () => {
  const cache = await caches.open("balise-roadbook");
  const kept = (await cache.keys()).map(r => new URL(r.url).pathname);
  const modules = [...document.querySelectorAll("script[type=module][src]")]
    .map(s => new URL(s.src).pathname).filter(p => !p.startsWith("/pwa/"));
  return kept.includes(location.pathname) && modules.every(m => kept.includes(m));
}"""


def test_after_one_visit_the_roadbook_opens_offline(browser: Browser, roadbook: Roadbook) -> None:
    context: BrowserContext = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    watch = Watch(page)
    page.goto(roadbook.url)
    # The worker controls /r/ and this page; its files and this roadbook are kept.
    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope == f"{roadbook.server.url}/r/"
    _wait_for(page, "() => navigator.serviceWorker.controller !== null")
    _wait_for(page, KEPT)
    assert page.locator("#offline").is_hidden()

    context.set_offline(True)
    page.reload()
    assert page.locator("h1").inner_text() == "Your roadbook — Amnéville-les-Thermes"
    banner = page.locator("#offline")
    assert banner.is_visible()
    assert banner.inner_text() == (
        "You are offline: this is your roadbook as it was (Sat 5 Dec 15:00)."
    )
    # Styled from the kept stylesheet, the code still there to show at the counter.
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderTopStyle") == (
        "dashed"
    )
    assert page.locator(".code").inner_text() == CODE
    page.screenshot(path=str(SHOTS / "pwa-roadbook-offline-390.png"), full_page=False)

    # Back online, the page comes from the network again (and is kept anew).
    context.set_offline(False)
    page.reload()
    assert page.locator("#offline").is_hidden()
    # Offline, the manifest (personal, never kept) cannot be fetched: nothing else failed.
    assert watch.problems("manifest", "ERR_INTERNET_DISCONNECTED") == []
    context.close()


def test_chromium_reads_the_manifest_the_page_links(browser: Browser, roadbook: Roadbook) -> None:
    page = browser.new_page()
    page.goto(roadbook.url)
    cdp = page.context.new_cdp_session(page)
    read = cdp.send("Page.getAppManifest")
    assert read["url"] == f"{roadbook.url}/manifest.webmanifest"
    assert read["errors"] == []
    manifest = page.request.get(read["url"]).json()
    assert manifest["start_url"] == f"/r/{roadbook.token}"
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        answer = page.request.get(f"{roadbook.server.url}{icon['src']}")
        assert answer.status == 200 and answer.headers["content-type"] == icon["type"]
    assert {i["purpose"] for i in manifest["icons"] if "purpose" in i} == {"any", "maskable"}
    page.close()


def test_my_choices_then_erasing_everything(browser: Browser, roadbook: Roadbook) -> None:
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    watch = Watch(page)
    page.goto(roadbook.url)
    _wait_for(page, KEPT)
    with page.expect_navigation():
        page.get_by_role("link", name="My choices, download or erase my data").click()
    assert page.locator("h1").inner_text() == "My data"
    assert page.get_by_label("Personalisation").is_checked()
    page.get_by_label("Personalisation").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my choices").click()
    assert page.locator("[role=status]").inner_text() == "Your choices are saved."
    assert not page.get_by_label("Personalisation").is_checked()
    page.screenshot(path=str(SHOTS / "pwa-privacy-390.png"), full_page=True)

    # Erasing without ticking the box: told so next to it, focus on it, nothing erased.
    with page.expect_navigation():
        page.get_by_role("button", name="Erase my data").click()
    assert page.locator("#confirm-error").inner_text() == "Tick the box to confirm the erasure."
    assert page.evaluate("document.activeElement.id") == "confirm"
    page.screenshot(path=str(SHOTS / "pwa-privacy-unconfirmed-390.png"), full_page=False)
    page.keyboard.press("Space")  # tick it from the keyboard
    with page.expect_navigation():
        page.get_by_role("button", name="Erase my data").click()
    assert page.locator("h1").inner_text() == "Your data is erased"
    # The device's copy is gone too.
    gone = (
        "async (token) => !(await (await caches.open('balise-roadbook')).keys())"
        ".some(r => new URL(r.url).pathname.startsWith(`/r/${token}`))"
    )
    page.wait_for_function(gone, arg=roadbook.token, timeout=10_000, polling=100)
    response = page.goto(roadbook.url)
    assert response is not None and response.status == 404
    # The refused erasure (422) and the erased roadbook (404) are the only errors logged.
    assert watch.problems("status of 422", "status of 404") == []
    context.close()
