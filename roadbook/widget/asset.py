"""``widget.js`` as served: its bytes, their gzip form, their validator, and the gzipped size
``./run bench roadbook`` reports as ``widget_gz_bytes`` (budget: 15 KB, docs/widget.md § Size)."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCRIPT = Path(__file__).parent / "static" / "widget.js"
BUDGET_GZ_BYTES = 15 * 1024


@dataclass(frozen=True, slots=True)
class Asset:
    raw: bytes
    gzipped: bytes
    # A strong validator of the script's text; the gzip form's is the same with "-gz".
    etag: str


@cache
def asset() -> Asset:
    """The script, read and compressed once per process (it changes only with a release)."""
    raw = SCRIPT.read_bytes()
    # mtime=0: the same text always compresses to the same bytes (a stable Content-Length).
    gzipped = gzip.compress(raw, compresslevel=9, mtime=0)
    return Asset(raw, gzipped, '"' + hashlib.sha256(raw).hexdigest()[:32] + '"')


def gzipped_size() -> int:
    """Bytes of ``widget.js`` once gzipped, as a browser downloads it."""
    return len(asset().gzipped)
