"""The gateway's files: atomic writes, and the two ways it reads a document back.

Writes: a power cut leaves the old file or the new one, whole, never a mix. The one way the
gateway replaces a file (token, config, remote config, watchdog counters): write a temporary file
next to it, ``fsync`` it, optionally check it, rename it over the old one (``os.replace`` is
atomic on POSIX), then ``fsync`` the folder so the rename itself survives.

Reads: a file someone wrote by hand (the config, a scenario) is refused with a message naming
it (:func:`read_document`); a file the gateway saved itself (remote config, watchdog counters)
is ignored, with a warning, when it is damaged (:func:`read_saved`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

__all__ = [
    "FOLDER_MODE",
    "SECRET_MODE",
    "check_writable",
    "read_document",
    "read_saved",
    "write_atomic",
]

T = TypeVar("T")

_FORMATS: dict[str, tuple[Callable[[str], Any], type[ValueError]]] = {
    "JSON": (json.loads, json.JSONDecodeError),
    "TOML": (tomllib.loads, tomllib.TOMLDecodeError),
}

SECRET_MODE = 0o600  # readable and writable by the owner only
FOLDER_MODE = 0o750  # a folder the gateway creates: its group may look, nobody else


def write_atomic(
    path: Path,
    data: str | bytes,
    *,
    mode: int | None = SECRET_MODE,
    check: Callable[[Path], object] | None = None,
) -> None:
    """Replace ``path`` with ``data`` atomically; its parent folder is created if missing (0750).

    ``mode`` is the new file's mode exactly (default 0600); ``None`` leaves it to the umask, as
    ``open()`` would. ``check`` is called with the temporary file before the rename: if it
    raises, the temporary file is removed, ``path`` is left as it was, and the error propagates.
    """
    body = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(FOLDER_MODE, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666 if mode is None else mode)
    try:
        if mode is not None:
            os.fchmod(fd, mode)  # O_CREAT keeps the mode of a leftover temporary file
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if check is not None:
        try:
            check(tmp)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, path)
    _fsync_folder(path.parent)


def check_writable(path: Path) -> None:
    """Raise :class:`OSError` unless :func:`write_atomic` can write ``path`` now.

    The parent folder is created (0750) if missing, then a probe file is created and removed in
    it: the real test for every case (permissions, root or not, a read-only file system), where
    ``os.access`` would answer for root as if nothing were read-only.
    """
    path.parent.mkdir(FOLDER_MODE, parents=True, exist_ok=True)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
    os.close(fd)
    os.unlink(probe)


def read_document(
    path: str | Path,
    fmt: Literal["JSON", "TOML"],
    what: str,
    error: Callable[[str], Exception],
) -> Any:
    """The JSON or TOML document in the UTF-8 file at ``path``.

    A missing file raises ``error("PATH: no such WHAT file")``, text that is not ``fmt``
    ``error("PATH: not valid FMT: why")`` (``PATH`` as given).
    """
    loads, refused = _FORMATS[fmt]
    try:
        return loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"{path}: no such {what} file") from exc
    except refused as exc:
        raise error(f"{path}: not valid {fmt}: {exc}") from exc


def read_saved(path: Path, build: Callable[[Any], T], log: logging.Logger, what: str) -> T | None:
    """``build`` of the JSON document the gateway saved at ``path``, or None.

    None when there is no such file yet, or when it cannot be read, is not JSON or ``build``
    refuses it (``ValueError``, ``KeyError``, ``TypeError``): then ``log`` warns
    ``ignoring WHAT: why`` and the gateway goes on without it.
    """
    try:
        return build(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring %s: %s", what, exc)
        return None


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
