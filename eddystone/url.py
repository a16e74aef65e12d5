"""Eddystone-URL compression: scheme prefix byte + body with one-byte expansion codes.

``encode_url`` returns the bytes that follow the Tx power byte in the frame (scheme byte then
body); ``decode_url`` reverses it. The encoder picks the shortest encoding: the longest matching
scheme prefix, then at each position the longest matching expansion. Every expansion starts with
``.`` and contains no other ``.``, so two matches can only compete when they start at the same
position, and there the longer one never loses: greedy is optimal.
"""

from __future__ import annotations

from eddystone.errors import UrlEncodingError

MAX_BODY_BYTES = 17
"""Longest URL body (after the scheme byte) an Eddystone-URL frame carries."""

SCHEMES: tuple[str, ...] = ("http://www.", "https://www.", "http://", "https://")
"""Scheme prefix byte ``i`` expands to ``SCHEMES[i]``."""

EXPANSIONS: tuple[str, ...] = (
    ".com/",
    ".org/",
    ".edu/",
    ".net/",
    ".info/",
    ".biz/",
    ".gov/",
    ".com",
    ".org",
    ".edu",
    ".net",
    ".info",
    ".biz",
    ".gov",
)
"""Body byte ``i`` (0x00..0x0d) expands to ``EXPANSIONS[i]``."""

_RESERVED = "\x00"
# Per-byte translation of a body decoded as latin-1: expansion codes become their text, reserved
# codes (0x0e..0x20, 0x7f..0xff) become NUL, which cannot otherwise appear in the output.
_DECODE_TABLE: dict[int, str] = dict(enumerate(EXPANSIONS))
_DECODE_TABLE.update(dict.fromkeys(range(0x0E, 0x21), _RESERVED))
_DECODE_TABLE.update(dict.fromkeys(range(0x7F, 0x100), _RESERVED))

# Longest scheme first so "https://www." wins over "https://".
_SCHEMES_BY_LENGTH = sorted(enumerate(SCHEMES), key=lambda item: -len(item[1]))
# Longest expansion first at a given position (".com/" before ".com").
_EXPANSIONS_BY_LENGTH = sorted(enumerate(EXPANSIONS), key=lambda item: -len(item[1]))


def decode_url(encoded: bytes) -> str:
    """Expand a scheme byte and URL body into the URL text."""
    if len(encoded) < 2:
        raise UrlEncodingError("an Eddystone-URL needs a scheme byte and at least one body byte")
    scheme = encoded[0]
    if scheme >= len(SCHEMES):
        raise UrlEncodingError(f"invalid URL scheme prefix 0x{scheme:02x} (valid: 0x00..0x03)")
    body = encoded[1:].decode("latin-1").translate(_DECODE_TABLE)
    if _RESERVED in body:
        bad = next(b for b in encoded[1:] if _DECODE_TABLE.get(b) == _RESERVED)
        raise UrlEncodingError(f"URL body uses reserved byte 0x{bad:02x}")
    return SCHEMES[scheme] + body


def _split_scheme(url: str) -> tuple[int, str]:
    lowered = url.lower()
    for code, prefix in _SCHEMES_BY_LENGTH:
        if lowered.startswith(prefix):
            return code, url[len(prefix) :]
    raise UrlEncodingError(f"URL must start with http:// or https://: {url!r}")


def _lower_host(rest: str) -> str:
    # Scheme and host are case-insensitive (RFC 3986); lowering the host lets ".COM" compress.
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    return rest[:end].lower() + rest[end:]


def encode_url(url: str) -> bytes:
    """Compress ``url`` into its shortest Eddystone-URL form (scheme byte + body <= 17 bytes).

    The scheme and host are lower-cased (they are case-insensitive); the path keeps its case.
    Raises :class:`UrlEncodingError` for an unknown scheme, a character Eddystone-URL cannot
    carry, or a body longer than 17 bytes.
    """
    for char in url:
        # Checked before any lower-casing: "\u212a".lower() is an ASCII "k".
        if not "\x21" <= char <= "\x7e":
            raise UrlEncodingError(
                f"URL contains {char!r}, which Eddystone-URL cannot carry "
                "(only printable US-ASCII: percent-encode it)"
            )
    scheme, rest = _split_scheme(url)
    rest = _lower_host(rest)
    if not rest:
        raise UrlEncodingError(f"URL has nothing after its scheme: {url!r}")
    body = bytearray()
    i = 0
    while i < len(rest):
        if rest[i] == ".":
            for code, text in _EXPANSIONS_BY_LENGTH:
                if rest.startswith(text, i):
                    body.append(code)
                    i += len(text)
                    break
            else:
                body.append(0x2E)
                i += 1
        else:
            body.append(ord(rest[i]))
            i += 1
    if len(body) > MAX_BODY_BYTES:
        raise UrlEncodingError(
            f"URL encodes to {len(body)} bytes after the scheme byte; Eddystone-URL carries at "
            f"most {MAX_BODY_BYTES}: use a shorter URL or a URL shortener ({url!r})"
        )
    return bytes([scheme]) + bytes(body)
