"""Multilingual text of the catalogue, and which language a reader is shown.

Every text field is a language map ``{"fr": "...", "en": "..."}``. A reader asking for language
L gets L when the item has it, else the first present in :data:`FALLBACK`, else any other
language the item carries (alphabetical order, e.g. ``it`` from a DATAtourisme flux). English
comes before French in the fallback because the German and Dutch visitors of a French
destination read English more often than French; French comes next because it is the language
every DATAtourisme label is written in. The answer always says which language it shows, so a
page can mark the text with ``lang="..."`` and say "shown in English".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm.core.vocabulary import LANGUAGES

FALLBACK: tuple[str, ...] = ("en", "fr", "de", "nl")
assert set(FALLBACK) == set(LANGUAGES)


@dataclass(frozen=True, slots=True)
class Localized:
    """A text and the language it is written in (``None`` when the item has no text at all)."""

    text: str
    language: str | None

    @property
    def fallback(self) -> bool:
        """Whether the text is not in the language asked for (set by :func:`localize`)."""
        return self._asked is not None and self.language != self._asked

    _asked: str | None = None


def localize(texts: Mapping[str, str], language: str) -> Localized:
    """The text of ``texts`` in ``language``, or in the documented fallback order."""
    for candidate in (language, *FALLBACK, *sorted(texts)):
        text = texts.get(candidate)
        if text:
            return Localized(text, candidate, language)
    return Localized("", None, language)


def merge(imported: Mapping[str, str], edited: Mapping[str, str]) -> dict[str, str]:
    """The office's translations over the imported ones, language by language.

    An edited empty string removes that language (the office hides a bad machine translation).
    """
    merged = {**imported, **edited}
    return {language: text for language, text in merged.items() if text}
