"""The four languages Balise speaks, and picking text in them (French, the office's, first)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

Language = Literal["fr", "en", "de", "nl"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "fr"


def pick(texts: Mapping[str, str], language: str, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The text in ``language``, else the fallback language, else any."""
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")


def translate(
    table: Mapping[str, Mapping[str, str]], key: str, language: str, **values: object
) -> str:
    """Message ``key`` of ``table`` in ``language`` (with fallback), its fields filled in."""
    return pick(table[key], language).format(**values)
