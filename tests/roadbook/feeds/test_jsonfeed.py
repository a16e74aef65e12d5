"""The roadbook as JSON Feed 1.1: valid against a schema written from the spec, suggested items
in section order then visits, every ``_balise`` field as documented in about.md, partner text
as plain text only, and nothing personal in site mode."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import segno
from feeds_support import (
    CONCERT,
    HOSTILE,
    MUSEUM,
    OFFER,
    PUBLIC,
    SPA,
    TOKEN,
    VISIT_BEFORE,
    VISIT_TODAY,
    WALK,
    go,
    load_schema,
    sample_view,
    sections,
    site_view,
    validated,
)
from jsonschema import Draft202012Validator

import roadbook.feeds
from roadbook.feeds.jsonfeed import json_feed
from roadbook.feeds.offers import qr_svg
from roadbook.feeds.view import Redemption

FEED_SCHEMA = load_schema("jsonfeed-1.1.schema.json")
ABOUT = (Path(roadbook.feeds.__file__).parent / "about.md").read_text(encoding="utf-8")


def valid(feed: dict[str, Any]) -> dict[str, Any]:
    """``feed`` after a round trip through JSON text, checked against the JSON Feed schema."""
    return validated(FEED_SCHEMA, feed)


def test_the_schema_is_a_valid_json_schema_and_rejects_what_the_spec_forbids() -> None:
    Draft202012Validator.check_schema(FEED_SCHEMA)
    validator = Draft202012Validator(FEED_SCHEMA)
    good = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "items": [{"id": "1", "content_text": "x"}],
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "version": "https://jsonfeed.org/version/1"})
    assert not validator.is_valid({key: good[key] for key in ("version", "items")})
    assert not validator.is_valid({**good, "items": [{"content_text": "x"}]})
    assert not validator.is_valid({**good, "items": [{"id": "1"}]})
    assert not validator.is_valid({**good, "items": [{"id": "1", "content_text": "x", "x": 1}]})
    assert not validator.is_valid(
        {**good, "items": [{"id": "1", "content_text": "x", "date_modified": "yesterday"}]}
    )


def test_feed_header_and_items_in_section_order_then_visits() -> None:
    feed = valid(json_feed(sample_view()))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Your roadbook — Amnéville"
    assert feed["home_page_url"] == f"{PUBLIC}/r/{TOKEN}"
    assert feed["feed_url"] == f"{PUBLIC}/r/{TOKEN}/feed.json"
    assert feed["language"] == "en"
    # now_nearby, today, stay (in the section's order), events; then the visits, newest first.
    assert [item["id"] for item in feed["items"]] == [
        SPA.id,
        OFFER.id,
        WALK.id,
        MUSEUM.id,
        CONCERT.id,
        VISIT_TODAY.id,
        VISIT_BEFORE.id,
    ]
    assert [item["_balise"]["kind"] for item in feed["items"]] == [
        "place",
        "offer",
        "tour",
        "place",
        "event",
        "visit",
        "visit",
    ]
    assert feed["_balise"] == {
        "about": f"{PUBLIC}/about/feed",
        "mode": "personal",
        "personalised": True,
        "notice": None,
        "wishes": ["wellness", "nature"],
        "stay": {"start": "2026-07-13", "end": "2026-07-18"},
    }


def test_a_suggested_item_carries_its_reason_section_time_place_and_link() -> None:
    spa = valid(json_feed(sample_view()))["items"][0]
    assert spa == {
        "id": SPA.id,
        "url": go(SPA.id),
        "external_url": go(SPA.id),
        "title": "Les Thermes, bains; spa",
        "content_text": "Eau chaude\nà 36 °C, sauna; hammam",
        "image": "https://img.example/spa.jpg",
        "date_modified": "2026-07-01T09:30:00Z",
        "tags": ["place"],
        "language": "fr",
        "_balise": {
            "kind": "place",
            "why": "You asked for wellness; 600 m from the zoo; open until 22:00",
            "section": "now_nearby",
            "section_title": "Now, nearby",
            "language": "fr",
            "geo": {"lat": 49.2611, "lon": 6.1432},
            "planned_at": "2026-07-14T08:00:00Z",
            "until": None,
            "slug": "les-thermes",
            "site": "spa",
            "image_credit": "Office de tourisme",
        },
    }


def test_event_dates_tour_route_and_a_place_without_position_or_link() -> None:
    items = {item["id"]: item for item in valid(json_feed(sample_view()))["items"]}
    concert = items[CONCERT.id]["_balise"]
    assert concert["planned_at"] == "2026-07-14T18:00:00Z"
    assert concert["until"] == "2026-07-14T20:30:00Z"
    assert concert["dates"] == [
        {"start": "2026-07-14", "end": "2026-07-16", "start_time": "20:00", "days": ["tue"]}
    ]
    walk = items[WALK.id]
    assert walk["_balise"]["route"] == [
        {"lat": 49.3, "lon": 6.2},
        {"lat": 49.31, "lon": 6.21},
        {"lat": 49.32, "lon": 6.19},
    ]
    museum = items[MUSEUM.id]
    assert "url" not in museum and "external_url" not in museum
    assert museum["content_text"] == ""
    assert museum["_balise"]["geo"] is None
    assert "dates" not in museum["_balise"] and "route" not in museum["_balise"]


def test_an_offer_is_labelled_sponsored_with_its_partner_and_redemption_code() -> None:
    offer = valid(json_feed(sample_view()))["items"][1]
    assert offer["tags"] == ["offer", "sponsored"]
    extension = offer["_balise"]
    assert extension["kind"] == "offer"
    assert extension["sponsored"] is True
    assert extension["label"] == "Partner offer"
    assert extension["partner"] == f"Glacier {HOSTILE}"
    assert extension["redemption"] == {"code": "K7QX-42", "kind": "qr"}
    assert extension["why"] == "Partner offer near you; valid until 14 July"
    # Only offers say "sponsored".
    others = [item for item in valid(json_feed(sample_view()))["items"] if item["id"] != OFFER.id]
    assert all("sponsored" not in item["_balise"] for item in others)


def drawn_view(*redemptions: Redemption) -> Any:
    """The sample roadbook with one offer per redemption, each as the service makes it."""
    offers = [
        replace(OFFER, id=f"offer:{n:08d}-4444-4444-8444-444444444444", redemption=redemption)
        for n, redemption in enumerate(redemptions)
    ]
    return sample_view(sections=sections(SPA, *offers, WALK))


def _modules(size: int, path: str) -> list[list[bool]]:
    """The modules ``path`` covers when stroked one unit wide (``M``/``m`` moves, ``h``
    horizontal lines at half-unit heights, as the feed documents it), read back as a grid."""
    grid = [[False] * size for _ in range(size)]
    x = y = 0.0
    for command, dx, dy in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(dx), float(dy)
        elif command == "m":
            x, y = x + float(dx), y + float(dy)
        else:
            for column in range(int(x), int(x + float(dx))):
                grid[int(y)][column] = True
            x += float(dx)
    return grid


def test_a_qr_offer_carries_the_qr_code_the_page_shows_as_data_to_draw() -> None:
    """The ``qr`` kind's drawing is segno's, the page's: stroked as documented, its path covers
    exactly the dark modules of the code's symbol (quiet zone included)."""
    for code in ("ABCD-EFGH", "K7QX-42"):
        feed = valid(json_feed(drawn_view(Redemption(code, "qr", qr_svg(code)))))
        redemption = feed["items"][1]["_balise"]["redemption"]
        assert set(redemption) == {"code", "kind", "qr"}
        assert (redemption["code"], redemption["kind"]) == (code, "qr")
        qr = redemption["qr"]
        symbol = segno.make(code, error="m", micro=False)
        assert qr["size"] == symbol.symbol_size()[0] == symbol.symbol_size()[1]
        assert f'd="{qr["path"]}"' in qr_svg(code)
        dark = [[bool(module) for module in row] for row in symbol.matrix_iter()]
        assert _modules(qr["size"], qr["path"]) == dark


def test_only_a_drawn_qr_code_goes_out_and_other_kinds_carry_their_code_alone() -> None:
    feed = valid(
        json_feed(
            drawn_view(
                Redemption("CODE-0001", "code"),
                Redemption("SCRN-0002", "screen"),
                # Not segno's drawing: no QR rather than a wrong one.
                Redemption("QRQR-0003", "qr", "<svg/>"),
                Redemption("QRQR-0004", "qr", None),
            )
        )
    )
    assert [item["_balise"].get("redemption") for item in feed["items"][1:5]] == [
        {"code": "CODE-0001", "kind": "code"},
        {"code": "SCRN-0002", "kind": "screen"},
        {"code": "QRQR-0003", "kind": "qr"},
        {"code": "QRQR-0004", "kind": "qr"},
    ]


def test_a_site_feed_never_carries_a_code_even_if_its_view_held_one() -> None:
    held = drawn_view(Redemption("ABCD-EFGH", "qr", qr_svg("ABCD-EFGH")))
    feed = valid(json_feed(replace(held, mode="site", links=None, visits=(), wishes=())))
    offers = [item for item in feed["items"] if item["_balise"]["kind"] == "offer"]
    assert offers and all("redemption" not in item["_balise"] for item in offers)
    assert "ABCD-EFGH" not in json.dumps(feed)


def test_partner_text_stays_plain_text_never_html() -> None:
    """An offer's text holding ``<img src=x onerror=alert(1)>`` goes out as it is, in
    ``content_text``: the feed has no ``content_html`` at all, so no reader renders it."""
    feed = valid(json_feed(sample_view()))
    offer = feed["items"][1]
    assert offer["title"] == f"Ice cream {HOSTILE}"
    assert offer["content_text"] == f"Two scoops for one {HOSTILE}"
    assert all("content_html" not in item for item in feed["items"])


def test_a_visit_item() -> None:
    visit = valid(json_feed(sample_view(language="de")))["items"][-1]
    assert visit == {
        "id": VISIT_BEFORE.id,
        "title": "Besuch: Les Thermes",
        "content_text": "Sie waren 95 Min. dort.",
        "date_published": "2026-07-12T10:00:00Z",
        "date_modified": "2026-07-12T11:35:00Z",
        "tags": ["visit", "spa"],
        "_balise": {
            "kind": "visit",
            "site": "spa",
            "dwell_s": 95 * 60,
            "open": False,
            "geo": {"lat": 49.2611, "lon": 6.1432},
        },
    }


def test_editorial_roadbook_says_so() -> None:
    notice = "Not personalised: you did not agree. Change it in My data."
    feed = valid(json_feed(sample_view(mode="editorial", personalised=False, notice=notice)))
    assert feed["_balise"]["mode"] == "editorial"
    assert feed["_balise"]["personalised"] is False
    assert feed["_balise"]["notice"] == notice


def test_site_mode_has_no_token_link_and_nothing_personal() -> None:
    feed = valid(json_feed(site_view()))
    assert "home_page_url" not in feed and "feed_url" not in feed
    assert feed["_balise"] == {
        "mode": "site",
        "personalised": False,
        "notice": None,
        "site": "zoo",
    }
    kinds = {item["_balise"]["kind"] for item in feed["items"]}
    assert kinds == {"place", "offer", "tour", "event"}
    assert "/r/" not in json.dumps(feed)
    # Even visits a view would (wrongly) hold are not shown without links.
    leaky = valid(json_feed(site_view(visits=(VISIT_TODAY,), wishes=("culture",))))
    assert [item["_balise"]["kind"] for item in leaky["items"]].count("visit") == 0
    assert "wishes" not in leaky["_balise"]


def _keys(value: Any) -> set[str]:
    """Every key of ``value``'s objects, at any depth."""
    if isinstance(value, dict):
        return set(value) | {key for inner in value.values() for key in _keys(inner)}
    if isinstance(value, list):
        return {key for inner in value for key in _keys(inner)}
    return set()


def test_about_md_explains_every_balise_field_the_feed_carries() -> None:
    """The feed's ``_balise.about`` page names every field of the extension, nested ones too
    (the site mode's ``site``, an offer's ``redemption.code``, a tour's ``route``...)."""
    drawn = drawn_view(Redemption("ABCD-EFGH", "qr", qr_svg("ABCD-EFGH")))
    documents = [json_feed(sample_view()), json_feed(site_view()), json_feed(drawn)]
    fields = {
        key
        for feed in documents
        for extension in [feed["_balise"], *(item["_balise"] for item in feed["items"])]
        for key in _keys(extension)
    }
    assert {"why", "section", "section_title", "sponsored", "partner", "redemption", "route"} <= (
        fields
    )
    assert {"qr", "size", "path"} <= fields
    missing = sorted(field for field in fields if f"`{field}`" not in ABOUT)
    assert missing == []
    # And the JSON Feed fields it uses.
    feed_fields = _keys({key: value for key, value in documents[0].items() if key != "_balise"})
    item_fields = {key for item in documents[0]["items"] for key in item if key != "_balise"}
    assert sorted(f for f in feed_fields | item_fields if f"`{f}`" not in ABOUT) == []
    assert re.search(r"`content_html`", ABOUT)
