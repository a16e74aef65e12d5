"""Which language a reader is shown: asked for, then en, fr, de, nl, then any other."""

from __future__ import annotations

import pytest

from roadbook.content.text import Localized, localize, merge


@pytest.mark.parametrize(
    ("texts", "asked", "shown"),
    [
        ({"fr": "Musée", "de": "Museum"}, "de", ("Museum", "de", False)),
        ({"fr": "Musée", "en": "Museum"}, "nl", ("Museum", "en", True)),
        ({"fr": "Musée", "de": "Museum"}, "nl", ("Musée", "fr", True)),
        ({"nl": "Museum", "de": "Das Museum"}, "fr", ("Das Museum", "de", True)),
        ({"it": "Museo", "es": "Museo!"}, "fr", ("Museo!", "es", True)),
        ({"fr": "", "en": "Museum"}, "fr", ("Museum", "en", True)),
    ],
)
def test_fallback_order_says_the_language_shown(
    texts: dict[str, str], asked: str, shown: tuple[str, str, bool]
) -> None:
    found = localize(texts, asked)
    assert (found.text, found.language, found.fallback) == shown


def test_no_text_at_all() -> None:
    assert localize({}, "fr") == Localized("", None, "fr")


def test_office_translation_merges_language_by_language() -> None:
    imported = {"fr": "Musée", "en": "Musuem", "de": "Museum"}
    assert merge(imported, {"en": "Museum", "de": "", "nl": "Museum"}) == {
        "fr": "Musée",
        "en": "Museum",
        "nl": "Museum",
    }
