"""The office's navigation: a registry that every package with office pages adds entries to.

``crm`` registers its own entries when the office router is built; a package above ``crm``
(``roadbook``'s catalogue, ``partners``) registers its entry from its start-up hook, e.g.::

    nav.register(nav.NavEntry(
        key="catalogue", path="/office/catalogue", order=20,
        labels={"fr": "Catalogue", "en": "Catalogue", "de": "Katalog", "nl": "Catalogus"},
        roles=frozenset({"marketing"}),
    ))

An entry with ``roles=None`` is shown to every staff member; otherwise to those roles and to
``admin``, who sees everything (as ``crm.staff.deps.require_role`` lets admin through). The
entry only decides what the menu shows: each page still checks the role itself
(``crm.office.session.require_office_role``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crm.core.i18n import pick
from crm.staff.models import STAFF_ROLES


@dataclass(frozen=True, slots=True)
class NavEntry:
    """One item of the office menu: where it leads, its label per language, who sees it."""

    key: str
    path: str
    labels: Mapping[str, str]
    order: int = 100
    roles: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not self.path.startswith("/office"):
            raise ValueError(f"office navigation leads into /office, not {self.path!r}")
        if self.roles is not None and not self.roles <= set(STAFF_ROLES):
            raise ValueError(f"unknown staff roles: {sorted(self.roles - set(STAFF_ROLES))}")
        if not self.labels:
            raise ValueError(f"navigation entry {self.key!r} has no label")

    def visible_to(self, role: str) -> bool:
        """Whether a staff member of ``role`` sees this entry."""
        return self.roles is None or role == "admin" or role in self.roles

    def label(self, language: str) -> str:
        """The entry's label in ``language`` (French, then any, when missing)."""
        return pick(self.labels, language)


@dataclass(frozen=True, slots=True)
class NavLink:
    """An entry as one page shows it."""

    path: str
    label: str
    current: bool


_entries: dict[str, NavEntry] = {}


def register(entry: NavEntry) -> None:
    """Add ``entry`` (registering it again replaces it: start-up may run more than once)."""
    _entries[entry.key] = entry


def entries() -> list[NavEntry]:
    """Every registered entry, in menu order."""
    return sorted(_entries.values(), key=lambda entry: (entry.order, entry.key))


def _is_current(path: str, current_path: str) -> bool:
    if path == "/office":
        return current_path.rstrip("/") == "/office"
    return current_path == path or current_path.startswith(path.rstrip("/") + "/")


def links_for(role: str, language: str, current_path: str) -> list[NavLink]:
    """The menu a staff member of ``role`` sees on the page at ``current_path``."""
    return [
        NavLink(entry.path, entry.label(language), _is_current(entry.path, current_path))
        for entry in entries()
        if entry.visible_to(role)
    ]


def unregister(key: str) -> None:
    """Remove an entry (a package that stops serving its pages; tests)."""
    _entries.pop(key, None)
