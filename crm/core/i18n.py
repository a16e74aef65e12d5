"""Picking text in the languages Balise speaks (``crm.core.vocabulary``; French first), and the
message catalogues those texts are written in (docs/architecture.md § Words in four languages).

A module with words of its own keeps them in a TOML catalogue next to it (``texts.py`` reads
``texts.toml``), one table per message with a field per language::

    [offers]
    fr = "Offres"
    en = "Offers"

Related messages may be grouped (``[roles.admin]``): their key is then ``roles.admin``, and
:func:`section` gives the group alone. :func:`catalogue` loads a module's catalogue once and
checks it: every message in exactly the four languages, each with the ``{fields}`` of its French.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Formatter
from typing import Any

from crm.core.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

# Message key -> language -> text.
Catalogue = dict[str, dict[str, str]]


class CatalogueError(ValueError):
    """A catalogue that is not valid TOML or breaks a rule; the message names file, key and
    language."""


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


@functools.cache
def catalogue(module: str) -> Catalogue:
    """The catalogue of module ``module`` (``catalogue(__name__)``): ``NAME.toml`` in the module's
    package, for a module ``package.NAME``; loaded and checked once."""
    package, _, name = module.rpartition(".")
    return read_catalogue(files(package) / f"{name}.toml")


def read_catalogue(source: Traversable | Path) -> Catalogue:
    """The catalogue in file ``source``, checked (:class:`CatalogueError` otherwise)."""
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{source}: not valid TOML: {error}") from error
    found: Catalogue = {}
    _read_table(document, "", str(source), found)
    if not found:
        raise CatalogueError(f"{source}: no message")
    return found


def section(table: Mapping[str, dict[str, str]], group: str) -> Catalogue:
    """The messages of ``group`` (``[group.key]`` in the file), keyed without the group."""
    prefix = f"{group}."
    return {
        key.removeprefix(prefix): texts for key, texts in table.items() if key.startswith(prefix)
    }


def columns(table: Mapping[str, Mapping[str, str]]) -> dict[str, tuple[str, ...]]:
    """Each language's texts of ``table``, in the table's order (``[months.jan]`` to
    ``[months.dec]`` give each language's twelve months)."""
    return {language: tuple(texts[language] for texts in table.values()) for language in LANGUAGES}


def fields(text: str) -> set[str]:
    """The names of the ``{fields}`` of a message (``{d:02d}`` is ``d``)."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def _read_table(table: dict[str, Any], prefix: str, source: str, found: Catalogue) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if not isinstance(value, dict):
            raise CatalogueError(
                f"{source}: {name!r} is not a table (a message is [{name}] with fr = ..., ...)"
            )
        if any(isinstance(inner, dict) for inner in value.values()):
            _read_table(value, f"{name}.", source, found)  # a group of messages
        else:
            found[name] = _message(value, name, source)


def _message(texts: dict[str, Any], key: str, source: str) -> dict[str, str]:
    where = f"{source}: message [{key}]"
    for language in LANGUAGES:
        if language not in texts:
            raise CatalogueError(f"{where}: language {language!r} is missing")
    for language, text in texts.items():
        if language not in LANGUAGES:
            raise CatalogueError(f"{where}: language {language!r} is not one of {LANGUAGES}")
        if not isinstance(text, str):
            raise CatalogueError(f"{where}: language {language!r} is not a string")
    used = {
        language: _fields(texts[language], f"{where}: language {language!r}")
        for language in LANGUAGES
    }
    for language in LANGUAGES:
        if used[language] != used[DEFAULT_LANGUAGE]:
            raise CatalogueError(
                f"{where}: language {language!r} has fields {sorted(used[language])}, "
                f"{DEFAULT_LANGUAGE!r} has {sorted(used[DEFAULT_LANGUAGE])}"
            )
    return {language: texts[language] for language in LANGUAGES}


def _fields(text: str, where: str) -> set[str]:
    try:
        return fields(text)
    except ValueError as error:  # a lone brace
        raise CatalogueError(f"{where}: {error} (write {{{{ or }}}} for a brace)") from error
