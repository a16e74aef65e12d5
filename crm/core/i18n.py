"""Picking text in the languages Balise speaks (``crm.core.vocabulary``; French first)."""

from __future__ import annotations

from collections.abc import Mapping

from crm.core.vocabulary import DEFAULT_LANGUAGE, LANGUAGES


def pick(texts: Mapping[str, str], language: str, fallback: str = DEFAULT_LANGUAGE) -> str:
    """The text in ``language``, else the fallback language, else any."""
    return texts.get(language) or texts.get(fallback) or next(iter(texts.values()), "")


def supported(asked: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """``asked``'s language when Balise speaks it (``de-CH`` is ``de``), else ``default``."""
    code = (asked or "")[:2].lower()
    return code if code in LANGUAGES else default


def translate(
    table: Mapping[str, Mapping[str, str]], key: str, language: str, **values: object
) -> str:
    """Message ``key`` of ``table`` in ``language`` (with fallback), its fields filled in."""
    return pick(table[key], language).format(**values)
