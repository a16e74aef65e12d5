"""The roadbook widget in a real headless Chromium, on a host page of ANOTHER origin under a strict
Content-Security-Policy (no inline script or style, scripts and requests only to the CRM, styles
only from the host itself, no image): both modes render, a partner's markup stays text, the
visitor's own widget shows an offer's code and QR code and the site mode none, nothing is
refused, and an origin the destination does not list gets the error state."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from office_support import run_sync
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Route, expect

from crm.core.db import Database
from roadbook.pwa.texts import text as page_text
from tests.browser.chromium import SHOTS
from tests.conftest import LiveServer, free_port
from tests.roadbook.widget.widget_support import XSS, seed_zootown

pytestmark = pytest.mark.browser


@dataclass
class Seeded:
    crm: LiveServer
    token: str


async def _seed(url: str) -> str:
    db = Database(url)
    try:
        async with db.session(system=True) as session:
            return (await seed_zootown(session)).token
    finally:
        await db.dispose()


@pytest.fixture
def seeded(live_server: LiveServer) -> Seeded:
    """``zootown`` (tests/roadbook/widget/widget_support.py) on a live CRM."""
    # Playwright's loop runs in this thread: seed from a thread of its own.
    return Seeded(live_server, run_sync(_seed(live_server.database_url)))


class HostPages:
    """Another web server on loopback: the partner's site, serving the page set in ``body``
    under a strict policy. Reached as ``http://localhost:PORT`` (listed by the destination) or
    ``http://127.0.0.1:PORT`` (not listed)."""

    def __init__(self, crm: str) -> None:
        self.crm = crm
        self.body = ""
        self.policy = (
            f"default-src 'none'; script-src {crm}; connect-src {crm}; style-src 'self'; "
            "base-uri 'none'; form-action 'none'"
        )
        self.port = free_port()
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/":
                    self.send_error(404)
                    return
                body = pages.body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", pages.policy)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def page(self, *elements: str) -> str:
        """A host page holding ``elements`` (the snippet to copy, docs/widget.md)."""
        self.body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>A partner's page</title>"
            f'<script src="{html.escape(self.crm)}/widget.js" defer></script></head>'
            "<body><main><h1>Welcome</h1>" + "".join(elements) + "</main></body></html>"
        )
        return f"http://localhost:{self.port}/"


@pytest.fixture
def host(seeded: Seeded) -> Iterator[HostPages]:
    pages = HostPages(seeded.crm.url)
    pages.thread.start()
    yield pages
    pages.server.shutdown()
    pages.server.server_close()


@dataclass
class Watch:
    console: list[ConsoleMessage]
    errors: list[str]
    dialogs: list[str]


def _watched(page: Page) -> Watch:
    watch = Watch([], [], [])
    page.on("console", lambda message: watch.console.append(message))
    page.on("pageerror", lambda error: watch.errors.append(str(error)))

    def dialog(d: Dialog) -> None:
        watch.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    return watch


def test_site_mode_renders_under_a_strict_policy_with_partner_text_inert(
    browser: Browser, seeded: Seeded, host: HostPages
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    watch = _watched(page)
    url = host.page('<balise-roadbook site="zootown/zoo" lang="en"></balise-roadbook>')
    response = page.goto(url)
    assert response is not None
    assert "style-src 'self'" in response.headers["content-security-policy"]
    widget = page.locator("balise-roadbook")
    page.wait_for_selector("balise-roadbook li >> nth=4")

    # The roadbook's title, then its section with its title, as headings and a list.
    assert widget.locator("h3").inner_text() == "Things to do near Zoo"
    assert widget.locator("h4").all_inner_texts() == ["Now, nearby"]
    assert widget.locator("section.sec ul").count() == 1
    zoo = widget.locator("li", has_text="Zoo d'Amnéville")
    link = zoo.locator("a")
    assert link.get_attribute("href") == "https://zoo-park.example/"
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener"
    # Its text says it opens a new tab (visually hidden, read by screen readers).
    assert link.text_content() == "Zoo d'Amnéville (new tab)"
    assert zoo.locator(".why").inner_text() == "50 m from Zoo"
    # A javascript: website is never a link.
    trap = widget.locator("li", has_text="Trap")
    assert trap.locator("a").count() == 0
    assert trap.locator(".name").inner_text() == "Trap"

    # The partner offer: labelled, its markup shown as text.
    offer = widget.locator("li.offer")
    assert offer.locator(".label .tag").inner_text() == "Partner offer"
    assert offer.locator(".label .partner").inner_text() == f"Thermes {XSS}"
    assert offer.locator(".name a").text_content() == f"Spa evening {XSS} (new tab)"
    assert offer.locator(".why").inner_text().startswith("250 m from Zoo; valid until ")
    shadow = "document.querySelector('balise-roadbook').shadowRoot"
    assert page.evaluate(f"{shadow}.querySelectorAll('img, script, style').length") == 0

    # The constructable stylesheet applied although the host allows no inline style.
    assert page.evaluate(f"{shadow}.adoptedStyleSheets.length") == 1
    radius = f"getComputedStyle({shadow}.querySelector('li')).borderTopLeftRadius"
    assert page.evaluate(radius) == "10px"
    # Nothing overflows a phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget-site-390.png"), full_page=True)
    page.wait_for_timeout(300)  # an onerror handler would have run by now
    assert watch.dialogs == []
    assert watch.errors == []
    assert [m.text for m in watch.console if m.type in ("error", "warning")] == []
    page.close()


def test_the_widget_is_keyboard_reachable_with_a_visible_focus(
    browser: Browser, seeded: Seeded, host: HostPages
) -> None:
    page = browser.new_page(viewport={"width": 700, "height": 900})
    url = host.page(
        '<balise-roadbook site="zootown/zoo" lang="en" heading-level="2"></balise-roadbook>'
    )
    page.goto(url)
    page.wait_for_selector("balise-roadbook li >> nth=4")
    widget = page.locator("balise-roadbook")
    assert widget.locator("h2").inner_text() == "Things to do near Zoo"
    assert widget.locator("h3").count() == 1
    page.keyboard.press("Tab")
    focused = "document.querySelector('balise-roadbook').shadowRoot.activeElement"
    first = widget.locator("li a").first.get_attribute("href")
    assert page.evaluate(f"{focused}.getAttribute('href')") == first
    assert page.evaluate(f"getComputedStyle({focused}).outlineStyle") == "solid"
    # limit: only the first items.
    page.evaluate("document.querySelector('balise-roadbook').setAttribute('limit', '2')")
    # (A locator assertion, not wait_for_function: polling a string predicate evaluates it in
    # the page, which the host's strict CSP refuses once the first check fails.)
    expect(widget.locator("li")).to_have_count(2)
    # Two items side by side in a 700 px column.
    boxes = [widget.locator("li").nth(n).bounding_box() for n in (0, 1)]
    assert boxes[0] is not None and boxes[1] is not None
    assert boxes[0]["y"] == boxes[1]["y"]
    page.screenshot(path=str(SHOTS / "widget-site-700.png"), full_page=True)
    page.close()


def test_a_page_of_an_origin_not_listed_gets_the_error_state(
    browser: Browser, seeded: Seeded, host: HostPages
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 600})
    url = host.page('<balise-roadbook site="zootown/zoo" lang="de"></balise-roadbook>')
    # The same page from http://127.0.0.1:PORT, which the destination does not list.
    page.goto(url.replace("localhost", "127.0.0.1"))
    state = page.locator("balise-roadbook .state.err")
    state.wait_for()
    assert state.inner_text().startswith("Das Reisebuch konnte nicht geladen werden.")
    assert state.get_attribute("role") == "status"
    assert page.locator("balise-roadbook li").count() == 0
    page.close()


def test_it_says_it_is_loading_then_follows_a_dark_colour_scheme(
    browser: Browser, seeded: Seeded, host: HostPages
) -> None:
    page = browser.new_page(viewport={"width": 320, "height": 700}, color_scheme="dark")
    held: list[Route] = []
    page.route("**/widget/site/**", lambda route: held.append(route))
    page.goto(host.page('<balise-roadbook site="zootown/zoo" lang="nl"></balise-roadbook>'))
    state = page.locator("balise-roadbook .state")
    state.wait_for()
    assert state.inner_text() == "Reisboek wordt geladen…"
    assert page.locator("balise-roadbook section.rb").get_attribute("aria-busy") == "true"
    # One request, however many attributes the element was upgraded with.
    assert [route.request.url for route in held] == [
        f"{seeded.crm.url}/widget/site/zootown/zoo.json?lang=nl"
    ]
    held[0].continue_()
    page.wait_for_selector("balise-roadbook li")
    assert page.locator("balise-roadbook section.rb").get_attribute("aria-busy") is None
    box = "document.querySelector('balise-roadbook').shadowRoot.querySelector('.rb')"
    assert page.evaluate(f"getComputedStyle({box}).backgroundColor") == "rgb(29, 31, 35)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.screenshot(path=str(SHOTS / "widget-site-320-dark.png"), full_page=True)
    # Another language set on the element: it reloads in that language.
    page.unroute("**/widget/site/**")
    page.evaluate("document.querySelector('balise-roadbook').setAttribute('lang', 'de')")
    page.locator("balise-roadbook h3", has_text="Erlebnisse in der Nähe von Zoo").wait_for()
    page.close()


def test_token_mode_shows_the_visitors_roadbook_and_a_link_to_all_of_it(
    browser: Browser, seeded: Seeded, host: HostPages
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    watch = _watched(page)
    token = seeded.token
    page.goto(host.page(f'<balise-roadbook token="{token}" lang="fr"></balise-roadbook>'))
    widget = page.locator("balise-roadbook")
    more = widget.locator("a.more")
    more.wait_for()
    assert widget.locator("h3").inner_text() == "Votre carnet de route — Zootown"
    assert more.get_attribute("href") == f"{seeded.crm.url}/r/{token}"
    assert more.get_attribute("rel") == "noopener"
    assert "Ouvrir le carnet complet" in more.inner_text()
    # The visitor's offer, labelled, its markup as text, its link through the CRM's click-through.
    offer = widget.locator("li.offer")
    assert offer.locator(".tag").inner_text() == "Offre partenaire"
    link = offer.locator(".name a")
    assert link.text_content() == f"Soirée spa {XSS} (nouvel onglet)"
    assert (link.get_attribute("href") or "").startswith(f"{seeded.crm.url}/r/{token}/go/offer:")
    # How to redeem it at the counter, as the roadbook page shows it: what to do, the visitor's
    # code, its QR code drawn from the feed (an inline SVG: no image loaded, no markup parsed).
    code = _code(page, seeded)
    redeem = offer.locator(".redeem")
    assert redeem.locator(".how").inner_text() == "Présentez ce code QR au comptoir du partenaire."
    assert redeem.locator(".your").inner_text() == "Votre code"
    assert redeem.locator(".code").inner_text() == code
    qr = redeem.locator("svg.qr")
    assert qr.get_attribute("role") == "img"
    assert qr.get_attribute("aria-label") == f"Code QR du code {code}"
    assert qr.locator("path").count() == 1
    # Big enough to scan from a counter, square, within the card, dark on white in any scheme.
    qr_box, card = qr.bounding_box(), offer.bounding_box()
    assert qr_box is not None and card is not None
    assert qr_box["width"] == qr_box["height"] >= 150
    assert card["x"] <= qr_box["x"] and qr_box["x"] + qr_box["width"] <= card["x"] + card["width"]
    shadow = "document.querySelector('balise-roadbook').shadowRoot"
    assert page.evaluate(f"getComputedStyle({shadow}.querySelector('svg.qr')).backgroundColor") == (
        "rgb(255, 255, 255)"
    )
    assert page.evaluate(f"{shadow}.querySelectorAll('img, script').length") == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "widget-token-390.png"), full_page=True)
    offer.screenshot(path=str(SHOTS / "widget-token-offer-390.png"))
    assert watch.errors == []
    assert watch.dialogs == []
    assert [m.text for m in watch.console if m.type in ("error", "warning")] == []
    page.close()


def _code(page: Page, seeded: Seeded) -> str:
    """The code the visitor holds for zootown's offer, as their feed gives it."""
    feed = page.request.get(f"{seeded.crm.url}/r/{seeded.token}/feed.json").json()
    offers = [item for item in feed["items"] if item["_balise"]["kind"] == "offer"]
    assert len(offers) == 1
    code: str = offers[0]["_balise"]["redemption"]["code"]
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    return code


def test_the_visitors_widget_shows_their_code_and_a_site_widget_beside_it_none(
    browser: Browser, seeded: Seeded, host: HostPages
) -> None:
    """Codes are personal: on one page, the token widget shows the visitor's code and the site
    widget, which shows the same offer, shows no code at all."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    watch = _watched(page)
    code = _code(page, seeded)
    page.goto(
        host.page(
            f'<balise-roadbook id="mine" token="{seeded.token}" lang="en"></balise-roadbook>',
            '<balise-roadbook id="near" site="zootown/zoo" lang="en"></balise-roadbook>',
        )
    )
    mine, near = page.locator("#mine"), page.locator("#near")
    mine.locator("a.more").wait_for()
    near.locator("li.offer").wait_for()
    assert mine.locator("li.offer .code").inner_text() == code
    # The roadbook page's own words (roadbook/pwa/texts.toml), not a copy of them.
    assert mine.locator("li.offer .how").inner_text() == page_text("redeem_qr", "en")
    assert mine.locator("li.offer svg.qr").count() == 1
    # The same offer near the zoo, without its code, its QR code or a word about redeeming.
    assert near.locator("li.offer .name").inner_text().startswith("Spa evening")
    assert near.locator(".redeem, .code, svg").count() == 0
    near_text = "document.querySelector('#near').shadowRoot.textContent"
    assert code not in page.evaluate(near_text)
    page.screenshot(path=str(SHOTS / "widget-token-and-site-390-dark.png"), full_page=True)
    # Even an answer that (wrongly) held a code is shown without it by a site widget.
    leaky = page.request.get(f"{seeded.crm.url}/r/{seeded.token}/feed.json?lang=fr").text()
    assert code in leaky
    origin = f"http://localhost:{host.port}"
    page.route(
        "**/widget/site/**",
        lambda route: route.fulfill(
            body=leaky,
            content_type="application/feed+json",
            headers={"Access-Control-Allow-Origin": origin},
        ),
    )
    page.evaluate("document.querySelector('#near').setAttribute('lang', 'fr')")
    near.locator("h3", has_text="Votre carnet de route").wait_for()
    assert near.locator("li.offer .name").inner_text().startswith("Soirée spa")
    assert near.locator(".redeem, .code, svg, a.more").count() == 0
    assert code not in page.evaluate(near_text)
    assert watch.errors == []
    assert watch.dialogs == []
    assert [m.text for m in watch.console if m.type in ("error", "warning")] == []
    page.close()
