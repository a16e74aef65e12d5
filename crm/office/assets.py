"""The office pages' static files, per package: ``/office/static/{package}/{name}``.

The shell serves its own under ``shell`` (``office.css``, ``icon.svg``); a package with office
pages adds its folder at start-up (``add_static_directory("roadbook", path)``) and links its
files from its templates' ``head`` block. Only plain file names are served (no sub-folders, no
dot files), with a short public cache: the page CSP allows scripts and styles from this origin
only, never inline.
"""

from __future__ import annotations

import re
from pathlib import Path

SHELL = "shell"
_PACKAGE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}\.(css|js|svg|png|webp|woff2)$")
_directories: dict[str, Path] = {SHELL: Path(__file__).parent / "static"}


def add_static_directory(package: str, directory: Path) -> None:
    """Serve the files of ``directory`` under ``/office/static/{package}/``."""
    if not _PACKAGE.match(package):
        raise ValueError(f"not a package name for office files: {package!r}")
    known = _directories.get(package)
    if known is not None and known != directory:
        raise ValueError(f"office files of {package!r} already come from {known}")
    _directories[package] = directory


def find(package: str, name: str) -> Path | None:
    """The file to serve for ``/office/static/{package}/{name}``, if there is one."""
    directory = _directories.get(package)
    if directory is None or not _NAME.match(name):
        return None
    path = directory / name
    return path if path.is_file() else None


def remove_static_directory(package: str) -> None:
    """Stop serving a package's files (tests; the shell's own stay)."""
    if package != SHELL:
        _directories.pop(package, None)
