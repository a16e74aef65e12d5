"""The office's record pages in a real headless Chromium against a real uvicorn, on a phone and
on a desktop screen, with screenshots of the lists and the forms: sign in, open a list, edit a
record with a bad field (the message next to it, the focus on it, the German title kept), then

- the catalogue: fix it, add an opening-hours rule (with the script's "add a rule" button);
  a bad contact email, then the contact, prices and accessibility saved;
- the offers: fix it, add an evening slot, approve it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
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
from playwright.sync_api import Browser, ConsoleMessage, Page

from partners.offers.models import Offer
from roadbook.content.models import ContentItem
from tests.browser.chromium import DESKTOP, PHONE, SHOTS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
SCREENS = pytest.mark.parametrize(("viewport", "name"), [(PHONE, "390"), (DESKTOP, "1280")])


@dataclass(frozen=True)
class Records:
    """An office list, as its menu entry and table caption name it, and the one record in it
    (the seed's, French only); ``shot`` and ``form_shot`` start the screenshots' names."""

    path: str
    menu: str
    caption: str
    record: str
    shot: str
    form_shot: str


CATALOGUE = Records(
    "/office/catalogue",
    "Catalogue",
    "1 élément(s)",
    "Le lac",
    "office-catalogue",
    "office-catalogue-item",
)
OFFERS = Records(
    "/office/offers", "Offres", "1 offre(s)", "Entrée -10 %", "office-offers", "office-offer"
)


@pytest.fixture
def office(live_server: LiveServer) -> Office:
    """A destination with staff of every role, its catalogue item "Le lac" and a draft offer
    "Entrée -10 %" (French only)."""
    return seed_live(live_server.database_url)


def _open_form(
    browser: Browser,
    live_server: LiveServer,
    office: Office,
    records: Records,
    viewport: dict[str, int],
    name: str,
) -> tuple[Page, list[ConsoleMessage]]:
    """A French page signed in to ``records``' list, then on its record's form."""
    page, console = french_page(browser, viewport)
    open_office_list(
        page,
        f"{live_server.url}{records.path}",
        office,
        menu=records.menu,
        caption=records.caption,
        shot=SHOTS / f"{records.shot}-{name}.png",
    )
    open_office_form(
        page, records.record, desktop=name == "1280", shot=SHOTS / f"{records.form_shot}-{name}.png"
    )
    return page, console


def _refused_keeping_german(page: Page, german: str, field: str, message: str) -> None:
    """A German title (typed in its labelled box) and a bad ``field`` (already filled): saving
    is refused with ``message`` next to the field, and the German title is kept, not lost."""
    page.get_by_label("Titre").nth(2).fill(german)
    save_refused(page, field, message)
    assert page.locator("#title-de").input_value() == german


@SCREENS
def test_edit_an_item_with_an_error_then_fix_it_and_translate(
    browser: Browser, live_server: LiveServer, office: Office, viewport: dict[str, int], name: str
) -> None:
    page, console = _open_form(browser, live_server, office, CATALOGUE, viewport, name)

    # A latitude out of range and a German title: refused, the message next to the field.
    page.fill("#latitude", "91")
    page.fill("#longitude", "6.14")
    _refused_keeping_german(page, "Der See", "latitude", "Une latitude est entre -90 et 90.")
    page.screenshot(path=str(SHOTS / f"office-catalogue-error-{name}.png"), full_page=True)
    page.screenshot(path=str(SHOTS / f"office-catalogue-error-{name}-view.png"))  # at the field
    item = read_live(live_server.database_url, ContentItem, office.item_id)
    assert item.title == {"fr": "Le lac"}  # nothing written

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
    item = read_live(live_server.database_url, ContentItem, office.item_id)
    assert item.title == {"fr": "Le lac", "de": "Der See"}
    assert (item.latitude, item.longitude) == (49.26, 6.14)
    assert item.opening_hours == {"rules": [{"days": ["sat"], "opens": "10:00", "closes": "18:00"}]}
    assert page.locator("#title-de").input_value() == "Der See"
    page.goto(f"{live_server.url}/office/catalogue?missing=de")
    assert page.locator("caption").count() == 0  # nothing misses German any more
    # The refused form's page is a 422 (Chromium logs it); nothing else went wrong.
    assert page_problems(console) == []
    page.close()


@SCREENS
def test_an_items_contact_prices_and_accessibility_by_keyboard(
    browser: Browser, live_server: LiveServer, office: Office, viewport: dict[str, int], name: str
) -> None:
    """Contact lines, prices and accessibility boxes, reached by their labels: a bad email is
    refused with its message next to it (focused), then the fixed form is saved."""
    page, console = _open_form(browser, live_server, office, CATALOGUE, viewport, name)
    page.get_by_label("Adresses e-mail").fill("accueil@lac.example\naccueil(at)lac.example")
    assert page.get_by_label("Sites web (https://…)").input_value() == "https://lac.example/"
    page.get_by_label("Prix minimum").fill("4,50")
    page.get_by_label("Prix maximum").fill("9")
    page.get_by_label("Fauteuil roulant").check()
    remark = page.get_by_role("group", name="Remarque sur les tarifs")
    remark.get_by_label("Deutsch").fill("Kinder unter 6 Jahren frei.")
    save_refused(
        page,
        "contact_emails",
        "« accueil(at)lac.example » n'est pas une adresse e-mail (nom@domaine.fr).",
    )
    page.screenshot(path=str(SHOTS / f"office-catalogue-contact-error-{name}-view.png"))
    item = read_live(live_server.database_url, ContentItem, office.item_id)
    assert (item.contact, item.price) == ({"websites": ["https://lac.example/"]}, {})
    assert page.get_by_label("Fauteuil roulant").is_checked()  # kept, not lost

    page.keyboard.press("Control+End")
    for _ in "(at)lac.example":
        page.keyboard.press("Backspace")
    page.keyboard.type("@lac.example")
    page.keyboard.press("Tab")  # to the phones
    page.keyboard.type("+33 3 87 00 00 00")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").first.click()
    assert (
        page.locator("[role=status]").inner_text() == "Enregistré : Contact, Tarifs, Accessibilité."
    )
    item = read_live(live_server.database_url, ContentItem, office.item_id)
    assert item.contact == {
        "emails": ["accueil@lac.example"],
        "phones": ["+33 3 87 00 00 00"],
        "websites": ["https://lac.example/"],
    }
    assert item.price == {
        "min": 4.5,
        "max": 9.0,
        "currency": "EUR",
        "free": False,
        "remark": {"de": "Kinder unter 6 Jahren frei."},
    }
    assert item.accessibility == ["wheelchair"]
    page.locator("#s-contact").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"office-catalogue-contact-{name}-view.png"))
    page.locator("#s-price").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"office-catalogue-price-{name}-view.png"))
    page.screenshot(path=str(SHOTS / f"office-catalogue-contact-{name}.png"), full_page=True)
    no_sideways_scroll(page)
    assert page_problems(console) == []
    page.close()


@SCREENS
def test_edit_an_offer_with_an_error_then_fix_and_approve_it(
    browser: Browser, live_server: LiveServer, office: Office, viewport: dict[str, int], name: str
) -> None:
    page, console = _open_form(browser, live_server, office, OFFERS, viewport, name)
    assert page.locator(".meta .status").inner_text() == "Brouillon"

    # A German title and a negative cap: refused, the message next to the field.
    page.fill("#cap_per_day", "-1")
    page.locator("input[name=wishes][value=family]").check()
    _refused_keeping_german(
        page, "Eintritt -10 %", "cap_per_day", "Un nombre entier de 0 à 1000000, ou vide."
    )
    page.screenshot(path=str(SHOTS / f"office-offer-error-{name}-view.png"))  # at the field
    offer = read_live(live_server.database_url, Offer, office.offer_id)
    assert offer.title == {"fr": "Entrée -10 %"}  # nothing written

    # Fix it, add an evening slot, save, then approve.
    page.fill("#cap_per_day", "1")
    page.locator("input[name=slot-0-days][value=fri]").check()
    page.fill("#slot-0-opens", "19:00")
    page.fill("#slot-0-closes", "22:00")
    with page.expect_navigation():
        page.press("#slot-0-closes", "Enter")  # Enter saves (the form's first button)
    assert page.locator("[role=status]").inner_text().startswith("Enregistré : Titre, ")
    offer = read_live(live_server.database_url, Offer, office.offer_id)
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
    assert read_live(live_server.database_url, Offer, office.offer_id).status == "approved"
    assert page_problems(console) == []
    page.close()
