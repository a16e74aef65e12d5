"""The catalogue's office pages in a real headless Chromium against a real uvicorn: sign in, open
the catalogue, edit an item with a bad field (the message next to it, the focus on it), fix it,
add a German translation and an opening-hours rule (with the script's "add a rule" button); on a
phone and on a desktop screen, with screenshots of the list and the form."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from roadbook.content.models import ContentItem
from tests.browser.chromium import DESKTOP, PHONE, SHOTS
from tests.conftest import LiveServer

sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
from office_support import (
    Office,
    french_page,
    open_office_form,
    open_office_list,
    page_problems,
    read_live,
    save_refused,
    seed_live,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def office(live_server: LiveServer) -> Office:
    """A destination with staff of every role and its catalogue item "Le lac" (French only)."""
    return seed_live(live_server.database_url)


def _item(live_server: LiveServer, office: Office) -> ContentItem:
    return read_live(live_server.database_url, ContentItem, office.item_id)


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "390"), (DESKTOP, "1280")])
def test_edit_with_an_error_then_fix_it_and_translate(
    browser: Browser, live_server: LiveServer, office: Office, viewport: dict[str, int], name: str
) -> None:
    page, console = french_page(browser, viewport)
    open_office_list(
        page,
        f"{live_server.url}/office/catalogue",
        office,
        menu="Catalogue",
        caption="1 élément(s)",
        shot=SHOTS / f"office-catalogue-{name}.png",
    )
    open_office_form(
        page, "Le lac", desktop=name == "1280", shot=SHOTS / f"office-catalogue-item-{name}.png"
    )

    # A latitude out of range and a German title: refused, the message next to the field.
    page.get_by_label("Titre").nth(2).fill("Der See")
    page.fill("#latitude", "91")
    page.fill("#longitude", "6.14")
    save_refused(page, "latitude", "Une latitude est entre -90 et 90.")
    assert page.locator("#title-de").input_value() == "Der See"  # kept, not lost
    page.screenshot(path=str(SHOTS / f"office-catalogue-error-{name}.png"), full_page=True)
    page.screenshot(path=str(SHOTS / f"office-catalogue-error-{name}-view.png"))  # at the field
    assert _item(live_server, office).title == {"fr": "Le lac"}  # nothing written

    # Fix it, and add an opening-hours rule with the script's button.
    page.fill("#latitude", "49.26")
    page.get_by_role("button", name="Ajouter une règle").click()
    assert page.locator("[data-rule]").count() == 3
    assert page.evaluate("document.activeElement.id") == "rule-2-from"
    page.fill("#rule-2-opens", "10:00")
    page.fill("#rule-2-closes", "18:00")
    page.locator("input[name=rule-2-days][value=sat]").check()
    with page.expect_navigation():
        page.press("#rule-2-closes", "Enter")  # Enter saves (the form's first button)
    assert page.locator("[role=status]").inner_text() == (
        "Enregistré : Titre, Position, Horaires d'ouverture."
    )
    item = _item(live_server, office)
    assert item.title == {"fr": "Le lac", "de": "Der See"}
    assert (item.latitude, item.longitude) == (49.26, 6.14)
    assert item.opening_hours == {"rules": [{"days": ["sat"], "opens": "10:00", "closes": "18:00"}]}
    assert page.locator("#title-de").input_value() == "Der See"
    page.goto(f"{live_server.url}/office/catalogue?missing=de")
    assert page.locator("caption").count() == 0  # nothing misses German any more
    # The refused form's page is a 422 (Chromium logs it); nothing else went wrong.
    assert page_problems(console) == []
    page.close()
