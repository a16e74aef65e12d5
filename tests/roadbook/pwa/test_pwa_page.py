"""The roadbook page rendered from hand-built views: what each card says, in which language and
local time; partner offers labelled in words; partner text inert; the app's frame (manifest,
service worker, live region, language switch)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pwa_support import CODE, HOSTILE, editorial_view, sample_view

from crm.core.vocabulary import LANGUAGES
from roadbook.pwa import page, texts
from roadbook.pwa.page import page_context, page_ui

PARIS = ZoneInfo("Europe/Paris")
# Missing words or fields fail loudly instead of rendering as nothing.
STRICT = Environment(
    loader=FileSystemLoader(page.TEMPLATES), autoescape=True, undefined=StrictUndefined
)


def render(view: Any) -> str:
    return STRICT.get_template("roadbook.html").render(**page_context(view))


class Outline(HTMLParser):
    """The headings in order, and every element with a ``lang`` attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.langs: dict[str, str] = {}
        self._open: tuple[int, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._open, self._text = (int(tag[1]), dict(attrs).get("lang")), ""

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == f"h{self._open[0]}":
            text = self._text.strip()
            self.headings.append((self._open[0], text))
            if self._open[1]:
                self.langs[text] = self._open[1]
            self._open = None


def test_the_page_shows_each_section_as_headed_cards_in_order() -> None:
    outline = Outline()
    outline.feed(render(sample_view()))
    assert outline.headings == [
        (1, "Your roadbook — Amnéville-les-Thermes"),
        (2, "Now, nearby"),
        (3, "-20 % on the spa's evening pass"),
        (3, "Zoo d'Amnéville"),
        (2, "Today"),
        (3, "Snowhall"),
        (2, "During your stay"),
        (3, "Forest walk of the Coulées"),
        (2, "Events"),
        (3, "Christmas concert"),
        (2, "Your visits"),
        (2, "My data"),
        (2, "Take my roadbook along"),
    ]
    # The zoo's title is in French on an English page: said so, for screen readers.
    assert outline.langs == {"Zoo d'Amnéville": "fr"}


def test_each_card_says_why_and_when_in_local_time() -> None:
    html = render(sample_view())
    assert "You asked for family; 150 m away; open until 18:00" in html
    # 14:00 UTC is 15:00 in Paris in December.
    assert '<time datetime="2026-12-05T15:00:00+01:00">Now, until 18:00</time>' in html
    assert '<time datetime="2026-12-05T17:00:00+01:00">Today 17:00\u201319:00</time>' in html
    assert '<time datetime="2026-12-06T10:00:00+01:00">Tomorrow 10:00</time>' in html
    assert '<time datetime="2026-12-08T20:00:00+01:00">Tue 8 Dec 20:00\u201322:00</time>' in html
    assert "Updated: Sat 5 Dec 15:00" in html
    assert "Today 14:20, you are here</time> · 39 min" in html
    assert "Fri 4 Dec 12:00\u201314:00</time> · 120 min" in html
    # The image is lazy, sized, decorative (the title says what it is), with its credit.
    assert re.search(
        r'<img src="https://roadbook.example/pwa/icon-512.png" alt="" width="640" height="360" '
        r'loading="lazy" decoding="async">\s*<figcaption>Photo: Office de tourisme</figcaption>',
        html,
    )


def test_a_partner_offer_is_labelled_in_words_with_its_partner_and_code() -> None:
    html = render(sample_view())
    card = html[html.index('<li class="card card-offer sponsored">') :]
    card = card[: card.index("</li>")]
    assert (
        '<p class="label"><strong>Partner offer</strong> <span class="partner">Thermapolis</span>'
        in card
    )
    assert f'<p class="code">{CODE}</p>' in card
    assert "Show this QR code at the partner&#39;s counter." in card
    # The QR code is segno's SVG, as is; labelled as one image.
    assert f'<div class="qr" role="img" aria-label="QR code of code {CODE}"><svg viewBox=' in card
    # The link is the view's click-through address.
    assert 'href="https://roadbook.example/r/' + "t" * 43 + "/go/offer:" in card
    # Other cards carry no label.
    assert html.count('class="label"') == 1


def test_partner_text_is_inert() -> None:
    view = sample_view(offer_text=HOSTILE + '<script>alert("x")</script>')
    html = render(view)
    assert "<img src=x" not in html and "<script>alert" not in html
    assert (
        "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    )


def test_the_page_is_an_installable_app_with_a_live_region_and_a_language_switch() -> None:
    html = render(sample_view())
    home = "https://roadbook.example/r/" + "t" * 43
    assert '<html lang="en" data-sw="/pwa/sw.js" data-scope="/r/">' in html
    assert f'<link rel="manifest" href="{home}/manifest.webmanifest">' in html
    assert '<meta name="theme-color" content="#0b5a66">' in html
    assert re.search(
        r'<link rel="apple-touch-icon" href="/pwa/apple-touch-icon.png\?v=\w{12}">', html
    )
    assert re.search(r'<script type="module" src="/pwa/roadbook.js\?v=\w{12}"></script>', html)
    assert '<div id="live" aria-live="polite"></div>' in html
    assert '<p id="offline" class="offline" role="status" hidden>' in html
    switch = re.findall(
        r'<a href="\?lang=(\w\w)" lang="\w\w" hreflang="\w\w"( aria-current="true")?>', html
    )
    assert switch == [("fr", ""), ("en", ' aria-current="true"'), ("de", ""), ("nl", "")]
    assert f'href="{home}/privacy?lang=en">My choices, download or erase my data</a>' in html
    assert f'href="{home}/export.json">Download my data</a>' in html
    # No inline script or style: the page's Content-Security-Policy allows none.
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


def test_modules_registered_by_other_parts_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page, "MODULES", [])
    page.register_module("/r/live.js")
    page.register_module("/r/live.js")
    html = render(sample_view())
    assert html.count('<script type="module" src="/r/live.js"></script>') == 1


def test_without_personalisation_the_notice_links_to_the_choices() -> None:
    html = render(editorial_view())
    home = "https://roadbook.example/r/" + "t" * 43
    assert "This is the office&#39;s roadbook: you have not asked for a personal one." in html
    assert f'<a href="{home}/privacy?lang=en#choices">Change my choices</a>' in html
    assert "sponsored" not in html
    assert "No visits recorded yet." in html


def test_an_empty_roadbook_says_it_fills_up() -> None:
    view = sample_view()
    from dataclasses import replace

    empty = replace(view, sections=tuple(replace(s, entries=()) for s in view.sections), visits=())
    html = render(empty)
    assert "Your roadbook fills up as you visit." in html
    assert "<h3" not in html and 'class="cards"' not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_word(language: str) -> None:
    ui = page_ui(sample_view(language=language))
    for key, translations in texts.TEXTS.items():
        assert set(translations) == set(LANGUAGES), key
        assert ui[key] == translations[language]
    html = render(sample_view(language=language))
    assert f'<html lang="{language}"' in html
    assert (
        f'<a href="?lang={language}" lang="{language}" hreflang="{language}" aria-current="true">'
        in html
    )


# "~" stands for the en dash between a range's ends.
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "Maintenant, jusqu'à 22:00|Aujourd'hui 17:00~19:00|Demain 10:00"
            "|mar. 8 déc. 20:00~22:00",
        ),
        ("en", "Now, until 22:00|Today 17:00~19:00|Tomorrow 10:00|Tue 8 Dec 20:00~22:00"),
        ("de", "Jetzt, bis 22:00|Heute 17:00~19:00|Morgen 10:00|Di. 8. Dez. 20:00~22:00"),
        ("nl", "Nu, tot 22:00|Vandaag 17:00~19:00|Morgen 10:00|di 8 dec 20:00~22:00"),
    ],
)
def test_times_read_naturally_in_each_language(language: str, expected: str) -> None:
    view = sample_view(language=language)
    ui = page_ui(view)
    offer, _, snow, walk, concert = view.entries
    shown = [ui["when"][e.id][1] for e in (offer, snow, walk, concert)]
    assert shown == expected.replace("~", texts.DASH).split("|")


def test_spans_over_midnight_and_days_name_both_ends() -> None:
    now = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
    late = datetime(2026, 12, 5, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    assert texts.when(late, late + timedelta(hours=2), now, PARIS, "en") == (
        "Today 23:30 \u2013 Tomorrow 01:30"
    )
    assert texts.when(now - timedelta(hours=1), now + timedelta(days=2), now, PARIS, "fr") == (
        "Maintenant, jusqu'à lun. 7 déc. 15:00"
    )
    assert texts.when(now, None, now, PARIS, "de") == "Jetzt"
    # An end at midnight closes the day before.
    midnight = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)  # 00:00 on the 6th in Paris
    assert texts.when(now, midnight, now, PARIS, "en") == "Now, until midnight"
    assert texts.when(now, midnight + timedelta(days=56), now, PARIS, "fr") == (
        "Maintenant, jusqu'au sam. 30 janv."
    )
    assert texts.when(now, midnight + timedelta(days=56), now, PARIS, "nl") == (
        "Nu, tot en met za 30 jan"
    )
    evening = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)  # 20:00 on the 6th in Paris
    assert texts.when(evening, midnight + timedelta(days=1), now, PARIS, "de") == (
        "Morgen 20:00\u201324:00"
    )
    # A language the page does not speak falls back to French.
    assert texts.short_date(now.date(), "it") == "sam. 5 déc."
