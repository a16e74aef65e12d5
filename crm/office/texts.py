"""The office shell's words in fr, en, de and nl, and the words every package's office pages
share (:class:`PageTexts`: a package's own words over :data:`PAGE_WORDS`). The words themselves
are in ``texts.toml`` (docs/architecture.md § Words in four languages)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.core.i18n import Catalogue, catalogue, pick, section, translate

CATALOGUE = catalogue(__name__)  # texts.toml, next to this file
UI = section(CATALOGUE, "ui")
ROLE_LABELS = section(CATALOGUE, "roles")
GATEWAY_STATES = section(CATALOGUE, "gateway_states")
# The words the office pages of other packages share: their lists (filters, pages), their forms
# (sections, buttons, notices) and the messages next to a bad field.
PAGE_WORDS: Catalogue = {
    **section(CATALOGUE, "page"),
    "e_too_long": UI["too_long"],
    "e_characters": UI["bad_characters"],
}
# The days of the week, short (a form's day boxes, a schedule's summary).
DAY_NAMES = section(CATALOGUE, "days")


def ui(language: str) -> dict[str, str]:
    """Every shell text in ``language`` (templates read ``ui.key``)."""
    return {key: pick(texts, language) for key, texts in UI.items()}


def t(key: str, language: str, **values: object) -> str:
    """Shell text ``key`` in ``language``, its fields filled in."""
    return translate(UI, key, language, **values)


def role_label(role: str, language: str) -> str:
    """A staff role's name in ``language``."""
    return translate(ROLE_LABELS, role, language) if role in ROLE_LABELS else role


def state_labels(language: str) -> dict[str, str]:
    """Each gateway state's name in ``language``."""
    return {state: pick(labels, language) for state, labels in GATEWAY_STATES.items()}


class PageTexts:
    """The words of a package's office pages: its own (its catalogue, ``crm.core.i18n``) over the
    shared :data:`PAGE_WORDS` (a key of both: the package's wins)."""

    def __init__(self, own: Mapping[str, dict[str, str]]) -> None:
        self.table: Catalogue = {**PAGE_WORDS, **own}

    def word(self, key: str, language: str, **values: object) -> str:
        """Word ``key`` in ``language``, its fields filled in."""
        return translate(self.table, key, language, **values)

    def words(self, language: str) -> dict[str, str]:
        """Every word without fields, for templates (``w.title``)."""
        return {
            key: texts[language] for key, texts in self.table.items() if "{" not in texts[language]
        }

    def context(self, language: str) -> dict[str, Any]:
        """What a page's template reads its words from: ``w.key`` and ``word(key, **values)``."""

        def word(key: str, **values: object) -> str:
            return self.word(key, language, **values)

        return {"w": self.words(language), "word": word}
