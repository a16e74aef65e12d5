"""Reading the objects of an import PATH one at a time, in bounded memory (docs/content.md).

PATH is one JSON-LD object (a ``.json`` file starting with ``{``), a JSON array of objects
(streamed element by element: the file may be larger than memory), a DATAtourisme flux folder
(``index.json`` listing ``objects/...`` files, one small object a file; without an index, the
``objects`` folder is walked), or a ``.zip`` of such a folder. Each object comes with where it
was found (``objects/1/ab/1-....json``, or ``big.json[12]`` for an array's 13th element) so that
a skipped one can be named.

Limits, stated: one array element may be at most :data:`ELEMENT_MAX` characters (a
DATAtourisme object is a few kB; an exhibition with hundreds of dates ~100 kB); a larger or
broken element ends the reading of that array file with a named error. A ``.zip`` is read
through its central directory, which Python keeps in memory (~0.3 kB per file: ~110 MB for a
national flux of 375k files): unzip a national archive first.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 16
ELEMENT_MAX = 32 << 20


class Unreadable(Exception):
    """PATH is not something the importer reads (missing, not JSON, no objects folder)."""


@dataclass(frozen=True, slots=True)
class Found:
    """One object read from PATH (``value``), or why it could not be (``error``).

    ``text`` is the object's JSON as read, when PostgreSQL's JSONB takes it as it is: the
    importer stores it as the raw record without encoding the object again.
    """

    where: str
    value: Any = None
    error: str | None = None
    text: str | None = None


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def loads(text: str | bytes) -> Any:
    """``json.loads`` that reads NaN, Infinity and overflowing numbers as null (JSONB's way)."""
    return json.loads(text, parse_constant=lambda _: None, parse_float=_finite)


_DECODER = json.JSONDecoder(parse_constant=lambda _: None, parse_float=_finite)
_SPACE = " \t\r\n"


def iter_array(stream: IO[str], name: str) -> Iterator[Found]:
    """The elements of the JSON array in ``stream``, one at a time (``name[i]`` each)."""
    buffer = ""
    position = 0
    eof = False

    def more(size: int = CHUNK) -> bool:
        nonlocal buffer, position, eof
        if eof:
            return False
        chunk = stream.read(size)
        if not chunk:
            eof = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip_space() -> str | None:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in _SPACE:
                position += 1
            if position < len(buffer):
                return buffer[position]
            if not more():
                return None

    if skip_space() != "[":
        raise Unreadable(f"{name}: not a JSON array or object")
    position += 1
    index = 0
    if skip_space() == "]":
        return
    while True:
        size = CHUNK
        while True:
            try:
                value, end = _DECODER.raw_decode(buffer, position)
            except json.JSONDecodeError:
                value, end = None, -1
            if end != -1 and (end < len(buffer) or eof):
                break
            if len(buffer) - position > ELEMENT_MAX or not more(size):
                if end != -1:
                    break
                yield Found(f"{name}[{index}]", error="broken JSON (the rest of the file is lost)")
                return
            size = min(size * 2, 8 << 20)
        yield Found(f"{name}[{index}]", value)
        index += 1
        position = end
        separator = skip_space()
        if separator == "]":
            return
        if separator != ",":
            yield Found(f"{name}[{index}]", error="broken JSON (the rest of the file is lost)")
            return
        position += 1
        skip_space()


def _first_char(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as stream:
        while True:
            char = stream.read(1)
            if not char or char not in _SPACE + "\ufeff":
                return char


# JSON that Python reads but JSONB refuses (NaN, Infinity, NUL, lone surrogates); valid
# surrogate pairs match too and merely take the slower path.
_NOT_FOR_JSONB = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|NaN|Infinity")


def _read_one(where: str, read: Callable[[], bytes]) -> Found:
    try:
        data = read()
        try:
            text: str | None = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        value = loads(data if text is None else text)
        if text is not None and _NOT_FOR_JSONB.search(text):
            text = None
        return Found(where, value, text=text)
    except (ValueError, RecursionError):
        return Found(where, error="broken JSON")
    except OSError as exc:
        return Found(where, error=f"cannot read: {exc.strerror or exc}")


def _index_files(stream: IO[str], name: str) -> Iterator[tuple[str | None, str]]:
    """``(file, where)`` of each entry of a flux's ``index.json`` (streamed)."""
    for entry in iter_array(stream, name):
        file = entry.value.get("file") if isinstance(entry.value, dict) else None
        yield (file if isinstance(file, str) and file else None), entry.where


def _count_entries(path_text: Callable[[], IO[bytes]]) -> int:
    """How many ``"file"`` keys an index holds: a byte scan for the progress bar's total."""
    count, tail = 0, b""
    with path_text() as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            count += data.count(b'"file"')
            tail = data[-5:]  # too short to hold a key counted already; joins one cut in two
    return count


class Source:
    """What ``PATH`` holds, read lazily: :meth:`objects` yields them, ``total`` if known."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total: int | None = None
        self._zip: zipfile.ZipFile | None = None
        if not path.exists():
            raise Unreadable(f"{path}: no such file or folder")
        if path.is_dir():
            self.kind = "folder"
            index = path / "index.json"
            if index.is_file():
                self.total = _count_entries(lambda: index.open("rb"))
            elif not (path / "objects").is_dir():
                raise Unreadable(f"{path}: a flux folder has index.json or objects/")
        elif zipfile.is_zipfile(path):
            self.kind = "zip"
            self._zip = zipfile.ZipFile(path)
            self._root = self._zip_root(self._zip)
            index_name = f"{self._root}index.json"
            if index_name in self._zip.NameToInfo:
                self.total = _count_entries(lambda: self._zip_open(index_name))
        else:
            first = _first_char(path)
            if first == "[":
                self.kind = "array"
            elif first == "{":
                self.kind = "object"
                self.total = 1
            else:
                raise Unreadable(f"{path}: not a JSON object, a JSON array, a folder or a .zip")

    def _zip_open(self, name: str) -> IO[bytes]:
        assert self._zip is not None
        return self._zip.open(name)

    @staticmethod
    def _zip_root(archive: zipfile.ZipFile) -> str:
        """The folder of the archive that holds the flux (``index.json`` or ``objects/``)."""
        names = archive.NameToInfo
        roots = [n[: -len("index.json")] for n in names if n.rsplit("/", 1)[-1] == "index.json"]
        if not roots:
            roots = [n[: n.find("objects/")] for n in names if n.startswith("objects/")]
            roots += [n[: n.index("/objects/") + 1] for n in names if "/objects/" in n]
        if not roots:
            raise Unreadable("the .zip holds no flux folder (index.json or objects/)")
        return min(roots, key=len)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def objects(self) -> Iterator[Found]:
        """Every object of PATH in order, or the error of the one that could not be read."""
        if self.kind == "object":
            yield _read_one(self.path.name, self.path.read_bytes)
        elif self.kind == "array":
            with self.path.open(encoding="utf-8", errors="replace") as stream:
                yield from iter_array(stream, self.path.name)
        elif self.kind == "folder":
            yield from self._folder()
        else:
            yield from self._zipped()

    def _folder(self) -> Iterator[Found]:
        index = self.path / "index.json"
        if index.is_file():
            with index.open(encoding="utf-8", errors="replace") as stream:
                for file, where in _index_files(stream, "index.json"):
                    if file is None:
                        yield Found(where, error="index entry without a file")
                        continue
                    inside = os.path.normpath(file)
                    if os.path.isabs(inside) or inside.split(os.sep, 1)[0] == os.pardir:
                        yield Found(file, error="index entry outside the flux folder")
                        continue
                    yield _read_one(file, (self.path / inside).read_bytes)
            return
        for directory, folders, files in os.walk(self.path / "objects"):
            folders.sort()
            for name in sorted(files):
                if name.endswith(".json"):
                    full = Path(directory) / name
                    yield _read_one(str(full.relative_to(self.path)), full.read_bytes)

    def _zipped(self) -> Iterator[Found]:
        assert self._zip is not None
        archive, root = self._zip, self._root
        index_name = f"{root}index.json"
        if index_name in archive.NameToInfo:
            with archive.open(index_name) as raw:
                stream = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
                for file, where in _index_files(stream, "index.json"):
                    if file is None:
                        yield Found(where, error="index entry without a file")
                        continue
                    name = f"{root}{file}"
                    if name not in archive.NameToInfo:
                        yield Found(file, error="listed in index.json but not in the archive")
                        continue
                    yield _read_one(file, partial(archive.read, name))
            return
        for name in sorted(archive.NameToInfo):
            if name.startswith(f"{root}objects/") and name.endswith(".json"):
                yield _read_one(name[len(root) :], partial(archive.read, name))
