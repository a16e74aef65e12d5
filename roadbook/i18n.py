"""The four languages of the roadbook and picking text in them."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("fr", "en", "de", "nl")

MESSAGES: dict[str, dict[str, str]] = {
    "roadbook_title": {
        "fr": "Votre carnet de route — {destination}",
        "en": "Your roadbook — {destination}",
        "de": "Ihr Reisebuch — {destination}",
        "nl": "Uw reisboek — {destination}",
    },
    "visit_title": {
        "fr": "Visite : {site}",
        "en": "Visit: {site}",
        "de": "Besuch: {site}",
        "nl": "Bezoek: {site}",
    },
    "visit_text": {
        "fr": "Vous êtes resté·e {minutes} min.",
        "en": "You stayed {minutes} min.",
        "de": "Sie waren {minutes} Min. dort.",
        "nl": "U was er {minutes} min.",
    },
}


def message(key: str, language: str, **values: object) -> str:
    """A message in ``language`` (French, the office's language, when missing)."""
    texts = MESSAGES[key]
    return texts.get(language, texts["fr"]).format(**values)


def pick(texts: Mapping[str, str], language: str, fallback: str = "fr") -> str:
    """The text in ``language``, else the fallback language, else any."""
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")
