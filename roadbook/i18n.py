"""The roadbook's own messages, in the four languages of ``crm.core.i18n``."""

from __future__ import annotations

from crm.core.i18n import translate

MESSAGES: dict[str, dict[str, str]] = {
    "roadbook_title": {
        "fr": "Votre carnet de route — {destination}",
        "en": "Your roadbook — {destination}",
        "de": "Ihr Reisebuch — {destination}",
        "nl": "Uw reisboek — {destination}",
    },
    "site_title": {
        "fr": "À faire près de {site}",
        "en": "Things to do near {site}",
        "de": "Erlebnisse in der Nähe von {site}",
        "nl": "Te doen in de buurt van {site}",
    },
    "visit_title": {
        "fr": "Visite : {site}",
        "en": "Visit: {site}",
        "de": "Besuch: {site}",
        "nl": "Bezoek: {site}",
    },
    "page_empty": {
        "fr": "Votre carnet se remplira au fil de vos visites.",
        "en": "Your roadbook fills up as you visit.",
        "de": "Ihr Reisebuch füllt sich mit Ihren Besuchen.",
        "nl": "Uw reisboek vult zich tijdens uw bezoeken.",
    },
    "page_my_data": {
        "fr": "Mes données",
        "en": "My data",
        "de": "Meine Daten",
        "nl": "Mijn gegevens",
    },
    "page_feed": {
        "fr": "Ce carnet en JSON Feed",
        "en": "This roadbook as JSON Feed",
        "de": "Dieses Reisebuch als JSON Feed",
        "nl": "Dit reisboek als JSON Feed",
    },
    "page_export": {
        "fr": "Télécharger mes données",
        "en": "Download my data",
        "de": "Meine Daten herunterladen",
        "nl": "Mijn gegevens downloaden",
    },
    "visit_text": {
        "fr": "Vous êtes resté·e {minutes} min.",
        "en": "You stayed {minutes} min.",
        "de": "Sie waren {minutes} Min. dort.",
        "nl": "U was er {minutes} min.",
    },
}


def message(key: str, language: str, **values: object) -> str:
    """A roadbook message in ``language`` (French, the office's language, when missing)."""
    return translate(MESSAGES, key, language, **values)
