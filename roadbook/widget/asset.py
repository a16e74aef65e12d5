"""``widget.js`` as served: its source with its texts put in, those bytes, their gzip form, their
validator, and the gzipped size ``./run bench roadbook`` reports as ``widget_gz_bytes`` (budget:
15 KB, docs/widget.md § Size).

The source (static/widget.js) leaves its table of words empty at :data:`TEXTS_MARKER`; the
server fills it in once per process with every word in the four languages, from the TOML
catalogues (roadbook/widget/texts.py), so the served script is still one static file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from crm.core.i18n import Catalogue
from roadbook.widget import texts

SCRIPT = Path(__file__).parent / "static" / "widget.js"
BUDGET_GZ_BYTES = 15 * 1024
# The empty table of words in the source, which the served script has in full.
TEXTS_MARKER = b"/* texts: roadbook/widget/asset.py */ {}"
# JSON leaves these as they are in a string; in a script, "</script>" or "<!--" would end or
# upset a copy of it inlined in a page, and U+2028/U+2029 end a line in older JavaScript.
_SCRIPT_SAFE = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


@dataclass(frozen=True, slots=True)
class Asset:
    raw: bytes
    gzipped: bytes
    # A strong validator of the script's text; the gzip form's is the same with "-gz".
    etag: str


def script_literal(value: object) -> str:
    """``value`` as a JavaScript literal (JSON) that no text in it can break out of."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)


def served_script(source: bytes, words: Catalogue) -> bytes:
    """The script ``source`` with ``words`` (by key, then language) in place of its marker."""
    if source.count(TEXTS_MARKER) != 1:
        raise ValueError(f"widget.js must hold {TEXTS_MARKER.decode()} exactly once")
    table = script_literal(texts.by_language(words)).encode()
    return source.replace(TEXTS_MARKER, table)


def packed(raw: bytes) -> Asset:
    """The served bytes ``raw``, gzipped, and their validator."""
    # mtime=0: the same text always compresses to the same bytes (a stable Content-Length).
    gzipped = gzip.compress(raw, compresslevel=9, mtime=0)
    return Asset(raw, gzipped, '"' + hashlib.sha256(raw).hexdigest()[:32] + '"')


@cache
def asset() -> Asset:
    """The script, built and compressed once per process (it changes only with a release)."""
    return packed(served_script(SCRIPT.read_bytes(), texts.widget_catalogue()))


def gzipped_size() -> int:
    """Bytes of ``widget.js`` once gzipped, as a browser downloads it."""
    return len(asset().gzipped)
