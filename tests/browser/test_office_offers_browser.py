"""The offer pages in a real headless Chromium against a real uvicorn: sign in, open the offers,
edit one with a bad field (the message next to it, the focus on it), fix it and approve it; on a
phone and on a desktop screen, with screenshots of the list and the form."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from partners.offers.models import Offer
from tests.browser.chromium import DESKTOP, PHONE, SHOTS
from tests.conftest import LiveServer

sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
from office_support import (
    Office,
    french_page,
    no_sideways_scroll,
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
    """A destination with staff of every role and a draft offer "Entrée -10 %" (French only)."""
    return seed_live(live_server.database_url)


def _offer(live_server: LiveServer, office: Office) -> Offer:
    return read_live(live_server.database_url, Offer, office.offer_id)


@pytest.mark.parametrize(("viewport", "name"), [(PHONE, "390"), (DESKTOP, "1280")])
def test_edit_an_offer_with_an_error_then_fix_and_approve_it(
    browser: Browser, live_server: LiveServer, office: Office, viewport: dict[str, int], name: str
) -> None:
    page, console = french_page(browser, viewport)
    open_office_list(
        page,
        f"{live_server.url}/office/offers",
        office,
        menu="Offres",
        caption="1 offre(s)",
        shot=SHOTS / f"office-offers-{name}.png",
    )
    open_office_form(
        page, "Entrée -10 %", desktop=name == "1280", shot=SHOTS / f"office-offer-{name}.png"
    )
    assert page.locator(".meta .status").inner_text() == "Brouillon"

    # A German title and a negative cap: refused, the message next to the field.
    page.fill("#title-de", "Eintritt -10 %")
    page.fill("#cap_per_day", "-1")
    page.locator("input[name=wishes][value=family]").check()
    save_refused(page, "cap_per_day", "Un nombre entier de 0 à 1000000, ou vide.")
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
    no_sideways_scroll(page)
    assert _offer(live_server, office).status == "approved"
    assert page_problems(console) == []
    page.close()
