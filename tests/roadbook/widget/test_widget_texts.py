"""The widget's words come from the TOML catalogues, put into the served ``widget.js`` by the
server: the words it shares with the roadbook page are the page's (in all four languages), the
offer label the engine's, a change in a catalogue changes the served script and its validator,
and no text can break out of the script."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from crm.core.i18n import CatalogueError, read_catalogue, section
from crm.core.vocabulary import LANGUAGES
from roadbook.pwa import texts as page
from roadbook.widget import texts
from roadbook.widget.asset import SCRIPT, TEXTS_MARKER, asset, packed, served_script

ROADBOOK = Path(__file__).resolve().parents[3] / "roadbook"
PAGE_TOML = ROADBOOK / "pwa" / "texts.toml"


def _toml(path: Path) -> dict[str, Any]:
    """A catalogue as the file says it, read without the project's loader."""
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _table(script: bytes) -> str:
    """The table of words in a served script, as it is written there."""
    found = re.search(rb"\n  const TEXT = (.*);\n", script)
    assert found is not None
    return found.group(1).decode()


def _served_words(script: bytes) -> dict[str, dict[str, str]]:
    """The table of words in a served script, language -> key -> text."""
    words: dict[str, dict[str, str]] = json.loads(_table(script))
    return words


def test_the_served_script_has_the_pages_words_in_every_language() -> None:
    served = _served_words(asset().raw)
    pwa = _toml(PAGE_TOML)["page"]
    engine = _toml(ROADBOOK / "engine" / "reasons.toml")["messages"]["partner_offer"]
    own = _toml(ROADBOOK / "widget" / "texts.toml")
    assert tuple(served) == LANGUAGES
    for language in LANGUAGES:
        for key in ("your_code", "redeem_code", "redeem_qr", "redeem_screen", "qr_of"):
            assert served[language][key] == pwa[key][language]
        assert served[language]["partner_offer"] == engine[language]
        for key, text in own.items():
            assert served[language][key] == text[language]
    assert served["en"]["redeem_code"] == "Give this code at the partner's counter."


def test_every_word_the_script_reads_is_in_its_table() -> None:
    source = SCRIPT.read_text(encoding="utf-8")
    read = set(re.findall(r"\bwords\.(\w+)", source))
    read |= {f"redeem_{kind}" for kind in ("code", "qr", "screen")}  # words["redeem_" + kind]
    assert 'words["redeem_" + kind]' in source
    for language, words in _served_words(asset().raw).items():
        assert set(words) == read, language


def test_a_text_changed_in_the_page_catalogue_changes_the_served_script(tmp_path: Path) -> None:
    changed = tmp_path / "texts.toml"
    toml = PAGE_TOML.read_text(encoding="utf-8")
    assert toml.count('nl = "Uw code"') == 1
    changed.write_text(toml.replace('nl = "Uw code"', 'nl = "Uw eigen code"'), encoding="utf-8")
    words = texts.widget_catalogue(page_words=section(read_catalogue(changed), "page"))
    raw = served_script(SCRIPT.read_bytes(), words)
    assert _served_words(raw)["nl"]["your_code"] == "Uw eigen code"
    assert _served_words(raw)["fr"]["your_code"] == "Votre code"
    assert raw != asset().raw
    assert packed(raw).etag != asset().etag
    assert packed(raw).gzipped != asset().gzipped


def test_a_text_changed_in_the_widget_catalogue_changes_the_served_script() -> None:
    own = {**texts.CATALOGUE, "retry": {**texts.CATALOGUE["retry"], "de": "Nochmal"}}
    raw = served_script(SCRIPT.read_bytes(), texts.widget_catalogue(own=own))
    assert _served_words(raw)["de"]["retry"] == "Nochmal"
    assert packed(raw).etag != asset().etag


def test_no_text_can_end_the_script_or_its_line() -> None:
    trap = "</script><script>alert(1)</script><!-- a\u2028b\u2029c & d > e"
    words = {key: dict.fromkeys(LANGUAGES, trap) for key in texts.widget_catalogue()}
    raw = served_script(SCRIPT.read_bytes(), words)
    table = _table(raw)
    assert "</script>" in json.dumps(trap)  # plain JSON would leave it in the script
    for bad in ("<", ">", "\u2028", "\u2029"):
        assert bad not in table
    assert _served_words(raw)["de"]["more"] == trap


def test_a_source_without_its_marker_or_a_repeated_word_is_refused() -> None:
    with pytest.raises(ValueError, match="exactly once"):
        served_script(SCRIPT.read_bytes().replace(TEXTS_MARKER, b"{}"), texts.CATALOGUE)
    repeated = {**texts.CATALOGUE, "your_code": page.TEXTS["your_code"]}
    with pytest.raises(CatalogueError, match="your_code"):
        texts.widget_catalogue(own=repeated)
