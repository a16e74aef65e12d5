"""The welcome card in a real headless Chromium: a gateway's batch reports the visitor entering a
site, the CRM's scheduler runs the visits follower as deployed (every second), and the visitor's
open roadbook page (/r/{token}, as the CRM serves it) shows the card within 2 s, in the
visitor's language, on the destination's clock, as text only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx2
import psycopg
import pytest
from office_support import run_sync
from playwright.sync_api import Browser, ConsoleMessage, Page
from sqlalchemy.engine import make_url

from crm.core.db import Database
from tests.browser.chromium import PHONE, SHOTS
from tests.conftest import LiveServer
from tests.roadbook.live.live_support import INGEST, Place, enter, seed_place

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>Thermapolis"
SITES = {"zoo": "Zoo d'Amnéville", "spa": HOSTILE}
PEOPLE = {"lea": "fr", "tom": "en"}


@dataclass
class Live:
    server: LiveServer
    place: Place
    dsn: str

    def page_url(self, person: str) -> str:
        return f"{self.server.url}/r/{self.place.tokens[person]}"

    def post(self, site: str, person: str) -> None:
        """A gateway's batch: ``person`` enters ``site``."""
        response = httpx2.post(
            self.server.url + INGEST,
            json=enter(self.place, site, person),
            headers={"Authorization": f"Bearer {self.place.gateways[site][1]}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == 1

    def visits(self, person: str) -> int:
        with psycopg.connect(self.dsn) as conn:
            row = conn.execute(
                "SELECT count(*) FROM visit WHERE visitor_id = %s", [self.place.visitors[person]]
            ).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture
def live(committed_db_url: str) -> Iterator[Live]:
    # As deployed: the scheduler's leader runs the visits follower every second.
    server = LiveServer(committed_db_url, scheduler=True)

    async def seed() -> Place:
        db = Database(committed_db_url)
        try:
            return await seed_place(db, SITES, PEOPLE)
        finally:
            await db.dispose()

    place = run_sync(seed())
    server.start()
    dsn = make_url(committed_db_url).set(drivername="postgresql")
    yield Live(server, place, dsn.render_as_string(hide_password=False))
    server.stop()


def _open(browser: Browser, live: Live, person: str) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport=PHONE, locale="fr-FR")  # type: ignore[arg-type]
    problems: list[str] = []

    def said(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", said)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
    response = page.goto(live.page_url(person))
    assert response is not None and response.status == 200
    # subscribed: from now on no visit of this visitor can be missed
    page.wait_for_selector("#live[data-live=open]", state="attached", timeout=10_000)
    return page, problems


def test_the_page_welcomes_the_visitor_within_two_seconds_of_the_batch(
    browser: Browser, live: Live
) -> None:
    page, problems = _open(browser, live, "lea")
    region = page.locator("#live")
    assert region.get_attribute("aria-live") == "polite"
    assert page.locator('script[type=module][src="/live/live.js"]').count() == 1
    assert region.locator("article").count() == 0

    # Tom's visit first: it must not show on Léa's page
    live.post("spa", "tom")
    deadline = time.monotonic() + 10
    while live.visits("tom") == 0:  # the follower's commit, which sends its NOTIFY
        assert time.monotonic() < deadline, "the visits follower did not run"
        page.wait_for_timeout(50)

    started = time.monotonic()
    live.post("zoo", "lea")
    page.wait_for_selector("#live article.live-welcome", timeout=2_000)
    elapsed = time.monotonic() - started
    assert elapsed < 2, elapsed
    cards = region.locator("article.live-welcome")
    assert cards.count() == 1  # Tom's, notified before Léa's, never came
    card = cards.first
    assert card.get_attribute("data-site") == "zoo"
    assert card.locator("h2").inner_text() == "Bienvenue\u00a0! Zoo d'Amnéville vous accueille."
    when = card.locator("time")
    at = when.get_attribute("datetime")
    assert at is not None
    # on the destination's clock (Europe/Paris), as the page's other times, whatever the device's
    paris = datetime.fromisoformat(at).astimezone(ZoneInfo("Europe/Paris"))
    assert when.inner_text() == f"{paris.hour:02d}:{paris.minute:02d}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "live-welcome-390.png"))

    # a site name holding markup is shown as text: no element made, no script run
    live.post("spa", "lea")
    page.wait_for_selector("#live article.live-welcome[data-site=spa]", timeout=2_000)
    newest = region.locator("article.live-welcome").first
    assert newest.get_attribute("data-site") == "spa"
    assert newest.locator("h2").inner_text() == f"Bienvenue\u00a0! {HOSTILE} vous accueille."
    assert region.locator("img").count() == 0
    assert region.locator("article").count() == 2
    page.screenshot(path=str(SHOTS / "live-welcome-two-390.png"))
    assert problems == []
    page.close()
