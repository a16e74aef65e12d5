"""The message catalogues (crm.core.i18n; docs/architecture.md § Words in four languages): every
one in the tree keeps the rule, ships in the wheel, and a broken one is refused by name."""

from __future__ import annotations

import glob
import tomllib
from pathlib import Path

import pytest

from crm.core.i18n import CatalogueError, catalogue, columns, read_catalogue, section
from crm.core.vocabulary import ACCESSIBILITY, CONSENT_SCOPES, DAYS, LANGUAGES, WISHES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("crm", "roadbook", "partners")
CATALOGUES = sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.toml"))


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_the_tree_has_its_catalogues() -> None:
    names = {str(path.relative_to(ROOT)) for path in CATALOGUES}
    assert {
        "crm/office/texts.toml",
        "partners/office/texts.toml",
        "roadbook/office/texts.toml",
        "roadbook/pwa/texts.toml",
        "roadbook/widget/texts.toml",
        "crm/visitors/pages.toml",
        "roadbook/engine/reasons.toml",
        "roadbook/i18n.toml",
        "roadbook/live/service.toml",
        "roadbook/content/catalogue.toml",
        "partners/offers/redemption.toml",
    } <= names


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_catalogue_keeps_the_rule(path: Path) -> None:
    messages = read_catalogue(path)  # raises CatalogueError otherwise
    assert messages
    assert all(tuple(texts) == LANGUAGES for texts in messages.values())
    # Read by the module of the same name, through the one loader.
    assert path.with_suffix(".py").is_file()
    assert catalogue(_module(path)) == messages


def test_labels_name_every_word_of_the_vocabulary() -> None:
    """Pages index these labels by the vocabulary's words: none may be missing or extra."""
    office = catalogue("crm.office.texts")
    page = catalogue("roadbook.pwa.texts")
    enrol = catalogue("crm.visitors.pages")
    assert tuple(section(office, "days")) == DAYS
    assert tuple(section(page, "weekdays")) == DAYS
    assert len(section(page, "months")) == 12
    assert tuple(section(enrol, "wishes")) == WISHES
    assert tuple(section(enrol, "needs")) == ACCESSIBILITY
    assert tuple(section(enrol, "scopes")) == CONSENT_SCOPES
    assert tuple(section(catalogue("roadbook.engine.reasons"), "wish_words")) == WISHES


def _shipped() -> set[Path]:
    """The files ``[tool.setuptools.package-data]`` puts in the wheel, globbed as setuptools
    globs them (``glob.glob`` from the package's folder, ``**`` recursive, files only)."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return {
        ROOT / package / name
        for package, patterns in setuptools["package-data"].items()
        for pattern in patterns
        for name in glob.glob(pattern, root_dir=ROOT / package, recursive=True)
        if (ROOT / package / name).is_file()
    }


def _data_files() -> list[Path]:
    """Every file of the packages that is not Python: templates, static files, catalogues, and
    the odd file a module reads beside it (``roadbook/live/live.js``)."""
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    )


def test_every_catalogue_ships_in_the_wheel() -> None:
    """``[tool.setuptools.package-data]`` names each catalogue."""
    assert set(CATALOGUES) - _shipped() == set()


def test_every_template_and_static_file_ships_in_the_wheel() -> None:
    """Every file in a ``templates/`` or ``static/`` folder of crm, roadbook and partners, and any
    other file that is not Python, is package data: a page whose templates or styles stay out of
    the wheel works from the source tree and fails installed (partners/office's did)."""
    folders = {
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_dir() and path.name in {"templates", "static"}
    }
    assert {str(folder.relative_to(ROOT)) for folder in folders} >= {
        "crm/office/templates",
        "crm/visitors/static",
        "partners/office/templates",
        "partners/office/static",
        "roadbook/pwa/static",
    }
    files = _data_files()
    shipped = _shipped()
    missing = [str(path.relative_to(ROOT)) for path in files if path not in shipped]
    assert missing == []


def test_a_catalogue_is_loaded_once() -> None:
    assert catalogue("crm.office.texts") is catalogue("crm.office.texts")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "texts.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[offers]
fr = "Offres"
en = "Offers"
de = "Angebote"
nl = "Aanbiedingen"

[roles.admin]
fr = "Administration"
en = "Administrator"
de = "Administration"
nl = "Beheerder"

[count]
fr = "{n} offre(s) le {d:02d}/{m:02d}"
en = "{n} offer(s) on {d:02d}/{m:02d}"
de = "{n} Angebot(e) am {d:02d}.{m:02d}."
nl = "{n} aanbieding(en) op {d}-{m}"
"""


def test_a_good_catalogue_reads_in_the_languages_order_with_groups(tmp_path: Path) -> None:
    messages = read_catalogue(_write(tmp_path, GOOD))
    assert list(messages) == ["offers", "roles.admin", "count"]
    assert messages["offers"] == {
        "fr": "Offres",
        "en": "Offers",
        "de": "Angebote",
        "nl": "Aanbiedingen",
    }
    assert section(messages, "roles") == {"admin": messages["roles.admin"]}
    assert columns(section(messages, "roles"))["nl"] == ("Beheerder",)
    assert columns(messages)["en"][:2] == ("Offers", "Administrator")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        pytest.param(
            '[offers]\nfr = "Offres"\nen = "Offers"\nde = "Angebote"\n',
            "message [offers]: language 'nl' is missing",
            id="missing language",
        ),
        pytest.param(
            '[roles.admin]\nfr = "A"\nen = "A"\nde = "A"\nnl = "A"\nes = "A"\n',
            "message [roles.admin]: language 'es' is not one of ('fr', 'en', 'de', 'nl')",
            id="unknown language",
        ),
        pytest.param(
            '[count]\nfr = "{n} offres"\nen = "{n} offers"\nde = "{count} Angebote"\n'
            'nl = "{n} aanbiedingen"\n',
            "message [count]: language 'de' has fields ['count'], 'fr' has ['n']",
            id="placeholder mismatch",
        ),
        pytest.param(
            '[count]\nfr = "{n} offres"\nen = "offers"\nde = "{n} Angebote"\nnl = "{n}"\n',
            "message [count]: language 'en' has fields [], 'fr' has ['n']",
            id="placeholder missing",
        ),
        pytest.param(
            '[brace]\nfr = "a"\nen = "a {"\nde = "a"\nnl = "a"\n',
            "message [brace]: language 'en': Single '{' encountered in format string",
            id="lone brace",
        ),
        pytest.param(
            '[offers]\nfr = "Offres"\nen = 1\nde = "Angebote"\nnl = "Aanbiedingen"\n',
            "message [offers]: language 'en' is not a string",
            id="not a string",
        ),
        pytest.param('offers = "Offres"\n', "'offers' is not a table", id="not a table"),
        pytest.param("[offers\n", "not valid TOML", id="not TOML"),
        pytest.param("# nothing\n", "no message", id="empty"),
    ],
)
def test_a_broken_catalogue_is_refused_by_file_key_and_language(
    tmp_path: Path, text: str, error: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CatalogueError) as refused:
        read_catalogue(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert error in str(refused.value)
