"""The widget's words in fr/en/de/nl, as its served script carries them (docs/widget.md § Texts).

One text for one concept: the words the roadbook page shows as well (how to redeem an offer,
"Your code", the QR code's name) are the page's own, under the page's keys
(roadbook/pwa/texts.toml), and the "Partner offer" label shown when a feed's offer has none is
the engine's (roadbook/engine/reasons.toml). Only the widget's own words (loading, error, try
again, nothing to suggest, new tab, open the full roadbook) are in texts.toml next to this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from crm.core.i18n import Catalogue, CatalogueError, catalogue
from crm.core.vocabulary import LANGUAGES
from roadbook.engine import reasons
from roadbook.pwa import texts as page

# The widget's own words: texts.toml, next to this file.
CATALOGUE = catalogue(__name__)
# The page's words the widget shows too, by the page's keys.
PAGE_KEYS = ("your_code", "redeem_code", "redeem_qr", "redeem_screen", "qr_of")
# The engine's label of a partner's offer, by the engine's key.
OFFER_LABEL = "partner_offer"


def widget_catalogue(
    own: Catalogue = CATALOGUE, page_words: Mapping[str, Mapping[str, str]] = page.TEXTS
) -> Catalogue:
    """Every word the widget shows, by key then language: its own, the page's and the engine's
    label (the arguments stand for the catalogues as loaded, for a test to change one)."""
    shared: Catalogue = {key: dict(page_words[key]) for key in PAGE_KEYS}
    shared[OFFER_LABEL] = dict(reasons.texts(OFFER_LABEL))
    clash = shared.keys() & own.keys()
    if clash:
        raise CatalogueError(f"roadbook/widget/texts.toml repeats shared words: {sorted(clash)}")
    return {**own, **shared}


def by_language(words: Catalogue) -> dict[str, dict[str, str]]:
    """``words`` by language then key, the shape the script reads (``TEXT[lang][key]``)."""
    return {
        language: {key: texts[language] for key, texts in words.items()} for language in LANGUAGES
    }
