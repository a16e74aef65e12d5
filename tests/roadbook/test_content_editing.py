"""The office form's contact, price and accessibility fields (roadbook.content.editing): what a
submitted form reads as, the message each bad value gets, and that saving an imported item's
form unchanged writes no override for them (docs/content.md § The office's pages)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from roadbook.content import editing
from roadbook.content.editing import Problem
from roadbook.content.models import ContentItem

PARIS = ZoneInfo("Europe/Paris")
FLUX_CONTACT = {
    "emails": ["accueil@musee.example"],
    "phones": ["+33 3 87 00 00 00"],
    # Not an absolute URL: the flux's own, kept as it is.
    "websites": ["www.musee.example"],
}
FLUX_PRICE = {
    "min": 11.0,
    "max": 15.5,
    "currency": "EUR",
    "free": False,
    "remark": {"fr": "Gratuit le dimanche", "it": "Gratis la domenica"},
}


def imported(**fields: Any) -> ContentItem:
    values: dict[str, Any] = {
        "destination_id": uuid.uuid4(),
        "kind": "place",
        "slug": "musee",
        "title": {"fr": "Musée"},
        "source": "datatourisme",
        "uri": "https://data.datatourisme.fr/13/musee",
        "contact": FLUX_CONTACT,
        "price": FLUX_PRICE,
        # The flux's order (first appearance), not the vocabulary's.
        "accessibility": ["hearing", "wheelchair"],
        **fields,
    }
    return ContentItem.model_validate(values)


def posted(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """A form's values (``editing.form_of``) as a browser posts them."""
    form: dict[str, list[str]] = {}
    for name, value in values.items():
        if name in ("rules", "periods"):
            continue
        if isinstance(value, Mapping):
            form.update({f"{name}-{lang}": [text] for lang, text in value.items()})
        elif isinstance(value, bool):
            form[name] = ["1"] if value else []
        elif isinstance(value, list):
            form[name] = list(value)
        else:
            form[name] = [value]
    return form


def parse(item: ContentItem, **changes: str | Sequence[str]) -> tuple[Any, dict[str, Problem]]:
    form = posted(editing.form_of(item, PARIS))
    form.update({k: [v] if isinstance(v, str) else list(v) for k, v in changes.items()})
    edit, _shown, problems = editing.parse(form, PARIS, item)
    return edit, problems


def test_the_form_shows_contact_price_and_accessibility() -> None:
    form = editing.form_of(imported(), PARIS)
    assert form["contact_emails"] == "accueil@musee.example"
    assert form["contact_websites"] == "www.musee.example"
    assert (form["price_min"], form["price_max"]) == ("11", "15.5")
    assert (form["price_currency"], form["price_free"]) == ("EUR", False)
    assert form["price_remark"] == {"fr": "Gratuit le dimanche", "en": "", "de": "", "nl": ""}
    assert form["accessibility"] == ["hearing", "wheelchair"]
    new = editing.empty_form()
    assert (new["contact_phones"], new["price_currency"], new["accessibility"]) == ("", "EUR", [])


def test_saving_an_imported_form_unchanged_writes_no_override() -> None:
    item = imported()
    edit, problems = parse(item)
    assert problems == {}
    assert edit.values["contact"] == FLUX_CONTACT
    assert edit.values["price"] == FLUX_PRICE  # the Italian remark kept
    assert edit.values["accessibility"] == ["hearing", "wheelchair"]
    assert editing.apply(item, edit) == []
    assert item.overrides == {}


def test_good_values_are_read() -> None:
    item = imported()
    edit, problems = parse(
        item,
        contact_emails="accueil@musee.example\n\n info@musée.example \naccueil@musee.example",
        contact_phones="",
        contact_websites="https://musee.example/visiter?lang=fr\nhttp://old.musee.example",
        price_min="8,50",
        price_max="12",
        price_currency="chf",
        **{"price_remark-en": "Cash only"},
        accessibility=["visual", "wheelchair"],
    )
    assert problems == {}
    assert edit.values["contact"] == {
        "emails": ["accueil@musee.example", "info@musée.example"],
        "websites": ["https://musee.example/visiter?lang=fr", "http://old.musee.example"],
    }
    assert edit.values["price"] == {
        "min": 8.5,
        "max": 12.0,
        "currency": "CHF",
        "free": False,
        "remark": {"fr": "Gratuit le dimanche", "en": "Cash only", "it": "Gratis la domenica"},
    }
    # The flux's order for what it had, then the vocabulary's.
    assert edit.values["accessibility"] == ["wheelchair", "visual"]
    assert editing.apply(item, edit) == ["contact", "price", "accessibility"]
    assert set(item.overrides) == {"contact", "price", "accessibility"}
    assert item.contact == FLUX_CONTACT and item.price == FLUX_PRICE  # the flux untouched


def test_free_and_prices_left_empty() -> None:
    item = imported(price={}, contact={}, accessibility=[])
    edit, problems = parse(item, price_free=["1"])
    assert problems == {}
    assert edit.values["price"] == {"free": True}
    edit, problems = parse(item, price_free=["1"], price_min="0", price_max="0")
    assert edit.values["price"] == {"min": 0.0, "max": 0.0, "currency": "EUR", "free": True}
    edit, problems = parse(item, price_min="5")  # "from 5 EUR": no highest price
    assert edit.values["price"] == {"min": 5.0, "currency": "EUR", "free": False}
    edit, problems = parse(item)
    assert edit.values["price"] == {} and edit.values["contact"] == {}


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"contact_emails": "accueil@musee.example\nnope"}, "contact_emails", ("e_email", "nope")),
        (
            {"contact_emails": "a b@musee.example"},
            "contact_emails",
            ("e_email", "a b@musee.example"),
        ),
        ({"contact_emails": "a@musee"}, "contact_emails", ("e_email", "a@musee")),
        ({"contact_websites": "musee.example"}, "contact_websites", ("e_website", "musee.example")),
        ({"contact_websites": "ftp://musee.example"}, "contact_websites", ("e_website", None)),
        ({"contact_websites": "https://musee example.fr"}, "contact_websites", ("e_website", None)),
        ({"contact_websites": "javascript:alert(1)"}, "contact_websites", ("e_website", None)),
        ({"contact_phones": "0" * 41}, "contact_phones", ("e_entry_too_long", None)),
        (
            {"contact_phones": "\n".join(str(n) for n in range(21))},
            "contact_phones",
            ("e_too_many", None),
        ),
        ({"price_min": "-1"}, "price_min", ("e_price", None)),
        ({"price_max": "2000000"}, "price_max", ("e_price", None)),
        ({"price_max": "nan"}, "price_max", ("e_price", None)),
        ({"price_min": "douze"}, "price_min", ("e_number", None)),
        ({"price_min": "20"}, "price_max", ("e_price_order", None)),
        ({"price_currency": "€"}, "price_currency", ("e_currency", None)),
        ({"price_currency": "EURO"}, "price_currency", ("e_currency", None)),
        ({"price_free": ["1"]}, "price_free", ("e_free", None)),
        ({"accessibility": ["wheelchair", "pets"]}, "accessibility", ("e_choice", None)),
        ({"price_remark-de": "x" * 501}, "price_remark-de", ("e_too_long", None)),
    ],
)
def test_a_bad_value_gets_its_message_and_no_edit(
    changes: dict[str, str | list[str]], field: str, problem: tuple[str, str | None]
) -> None:
    edit, problems = parse(imported(), **changes)
    assert edit is None
    assert list(problems) == [field]
    key, value = problem
    assert problems[field].key == key
    if value is not None:
        assert problems[field].values["value"] == value


def test_a_revert_drops_the_fields_override() -> None:
    item = imported(overrides={"price": {"free": True}, "contact": {}, "accessibility": []})
    assert set(editing.overridden(item)) == {"price", "contact", "accessibility"}
    assert editing.revert(item, "price") is True
    assert editing.revert(item, "price") is False
    assert item.overrides == {"contact": {}, "accessibility": []}
    # Saving the flux's values again drops the others' overrides: they say what the flux says.
    form = posted(editing.form_of(imported(), PARIS))
    edit, _shown, problems = editing.parse(form, PARIS, item)
    assert problems == {} and edit is not None
    assert editing.apply(item, edit) == ["contact", "accessibility"]
    assert item.overrides == {}


def test_wishes_in_the_fluxs_order_are_no_override() -> None:
    """The flux lists wishes in the order its words gave them, the form in the vocabulary's:
    the same wishes saved unchanged are no change."""
    item = imported(wishes=["culture", "family"])
    edit, problems = parse(item)
    assert problems == {}
    assert editing.apply(item, edit) == []
    assert item.overrides == {}
    edit, problems = parse(item, wishes=["culture"])
    assert editing.apply(item, edit) == ["wishes"]
    assert item.overrides == {"wishes": ["culture"]}


def test_tidy_drops_the_overrides_that_say_what_the_flux_says() -> None:
    """Overrides an earlier save wrote equal to the flux (wishes in another order, an hours
    remark {}, a language's text as the flux has it) go; the office's real edits stay."""
    hours = {"rules": [{"days": ["mon"], "opens": "10:00", "closes": "18:00"}]}
    item = imported(
        title={"fr": "Musée", "en": "Museum"},
        wishes=["culture", "family"],
        opening_hours=hours,
        latitude=49.25,
        longitude=6.14,
        periods=[{"start": "2026-08-01", "end": "2026-08-02"}],
        overrides={
            "title": {"fr": "Musée", "en": "The museum"},
            "wishes": ["family", "culture"],
            "opening_hours": {**hours, "remark": {}},
            "latitude": 49.25,
            "longitude": 6.2,
            "accessibility": ["wheelchair", "hearing"],
            "price": {**FLUX_PRICE, "max": 16.0},
        },
    )
    assert editing.tidy(item) == ["title", "wishes", "opening_hours", "latitude", "accessibility"]
    assert item.overrides == {
        "title": {"en": "The museum"},
        "longitude": 6.2,
        "price": {**FLUX_PRICE, "max": 16.0},
    }
    assert editing.tidy(item) == []
    # An office item has no flux: its values are its own.
    own = imported(source="office", uri=None, overrides={})
    assert editing.tidy(own) == []


def test_tidy_recomputes_an_events_active_range_when_its_dates_go() -> None:
    flux = [{"start": "2026-08-01", "end": "2026-08-02", "start_time": "21:00"}]
    item = imported(kind="event", periods=flux, overrides={"periods": [dict(flux[0])]})
    item.active_from, item.active_until = None, None
    assert editing.tidy(item) == ["periods"]
    assert item.overrides == {}
    assert (str(item.active_from), str(item.active_until)) == ("2026-08-01", "2026-08-03")
