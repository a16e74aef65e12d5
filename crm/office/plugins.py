"""What a package with office pages (``roadbook``'s catalogue, ``partners``' offers) registers
from its ``install()``: its menu entry, its templates and its static files.

Its office folder holds ``templates/`` (found after the shell's own) and ``static/`` (served
under ``/office/static/{package}/``, ``crm.office.assets``); the router itself is mounted by
``crm.main``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from crm.office import nav
from crm.office.assets import add_static_directory
from crm.office.render import add_template_directory

# The pages that edit the destination's content are marketing's (and admin's).
EDITORS = frozenset({"marketing"})


def add_office_pages(
    package: str,
    folder: Path,
    *,
    key: str,
    path: str,
    labels: Mapping[str, str],
    order: int,
    roles: frozenset[str] | None = EDITORS,
) -> None:
    """Register ``package``'s office pages: the menu entry ``key`` leading to ``path`` (shown to
    ``roles``, at ``order``), the templates of ``folder/templates`` and the static files of
    ``folder/static`` (idempotent)."""
    nav.register(nav.NavEntry(key=key, path=path, labels=labels, order=order, roles=roles))
    add_template_directory(folder / "templates")
    add_static_directory(package, folder / "static")
