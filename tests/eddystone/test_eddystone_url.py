"""Eddystone-URL codec: every scheme and expansion code, shortest encoding, clear refusals."""

from __future__ import annotations

import pytest

from eddystone import EddystoneError, UrlEncodingError, build_url, decode_url, encode_url
from eddystone.url import EXPANSIONS, SCHEMES

SCHEME_TABLE = [(0, "http://www."), (1, "https://www."), (2, "http://"), (3, "https://")]
EXPANSION_TABLE = [
    (0x00, ".com/"),
    (0x01, ".org/"),
    (0x02, ".edu/"),
    (0x03, ".net/"),
    (0x04, ".info/"),
    (0x05, ".biz/"),
    (0x06, ".gov/"),
    (0x07, ".com"),
    (0x08, ".org"),
    (0x09, ".edu"),
    (0x0A, ".net"),
    (0x0B, ".info"),
    (0x0C, ".biz"),
    (0x0D, ".gov"),
]


def test_tables_match_the_spec() -> None:
    """The scheme and expansion tables are the spec's, byte for byte."""
    assert list(enumerate(SCHEMES)) == SCHEME_TABLE
    assert list(enumerate(EXPANSIONS)) == EXPANSION_TABLE


@pytest.mark.parametrize(("code", "prefix"), SCHEME_TABLE)
def test_every_scheme_prefix(code: int, prefix: str) -> None:
    """Each scheme byte decodes to its prefix and the encoder picks it."""
    assert decode_url(bytes([code]) + b"abc") == prefix + "abc"
    assert encode_url(prefix + "abc") == bytes([code]) + b"abc"


@pytest.mark.parametrize(("code", "text"), EXPANSION_TABLE)
def test_every_expansion_code(code: int, text: str) -> None:
    """Each expansion code decodes, at the end and in the middle, and the encoder uses it."""
    assert decode_url(b"\x03x" + bytes([code])) == "https://x" + text
    assert decode_url(b"\x03x" + bytes([code]) + b"y") == "https://x" + text + "y"
    assert encode_url("https://x" + text) == b"\x03x" + bytes([code])


def test_longest_expansion_wins() -> None:
    """.com/ is one byte, not .com plus '/' (Scapy's and Google's choice)."""
    assert encode_url("http://example.com/") == b"\x02example\x00"
    assert encode_url("http://example.com") == b"\x02example\x07"
    assert encode_url("http://www.example.info/x.html") == b"\x00example\x04x.html"


def test_expansion_code_more_than_once() -> None:
    """hello.info.html → 68656c6c6f 0b 2e68746d6c: '.html' is literal, '.info' compressed."""
    assert encode_url("https://hello.info.html") == b"\x03hello\x0b.html"


def test_longest_scheme_wins() -> None:
    """https://www. is one byte (0x01), not https:// plus 'www.'."""
    assert encode_url("https://www.balise.fr") == b"\x01balise.fr"


def test_scheme_and_host_are_lowercased_path_is_not() -> None:
    """Scheme and host are case-insensitive (AltBeacon lowercases them); the path keeps case."""
    assert encode_url("HTTP://GOO.GL/C2HC48") == b"\x02goo.gl/C2HC48"
    assert encode_url("HTTPS://WWW.EXAMPLE.COM/A") == b"\x01example\x00A"
    assert decode_url(encode_url("https://Amneville.COM/Zoo")) == "https://amneville.com/Zoo"


def test_character_boundaries() -> None:
    """Google's JS unit tests: 0x00, 0x20 and 0x7f refused; 0x21 and 0x7e accepted."""
    assert encode_url("http://!~") == b"\x02!~"
    for bad in ("\x00", " ", "\x7f", "é", "\u212a"):  # U+212A KELVIN SIGN lowers to "k"
        with pytest.raises(UrlEncodingError):
            encode_url(f"http://a{bad}b")


def test_seventeen_bytes_fit_eighteen_refused() -> None:
    """The body is at most 17 bytes after the scheme byte; the error says what to do."""
    assert len(encode_url("https://" + "a" * 17)) == 18
    assert len(encode_url("https://" + "a" * 13 + ".com/")) == 15
    with pytest.raises(UrlEncodingError, match=r"18 bytes.*at most 17.*shortener"):
        encode_url("https://" + "a" * 18)


def test_longest_url_fills_a_legacy_advert() -> None:
    """A 17-byte body fills the 31-byte payload exactly (reference §1.12)."""
    from eddystone import advertising_payload

    assert len(advertising_payload(build_url(-18, "https://" + "b" * 17))) == 31


@pytest.mark.parametrize("url", ["ftp://x.org", "x.org", "https:/x", "", "mailto:a@b.c"])
def test_unknown_scheme_refused(url: str) -> None:
    """Only http(s):// (optionally www.) can be carried."""
    with pytest.raises(UrlEncodingError, match="http"):
        encode_url(url)


@pytest.mark.parametrize("url", ["https://", "http://www."])
def test_empty_body_refused(url: str) -> None:
    """The spec's body is 1..17 bytes."""
    with pytest.raises(UrlEncodingError):
        encode_url(url)


@pytest.mark.parametrize("code", [*range(0x0E, 0x21), *range(0x7F, 0x100)])
def test_reserved_body_bytes_refused(code: int) -> None:
    """0x0e..0x20 and 0x7f..0xff are reserved: decoding them is an error, named by value."""
    with pytest.raises(UrlEncodingError, match=f"0x{code:02x}"):
        decode_url(b"\x02ab" + bytes([code]))


@pytest.mark.parametrize("scheme", [4, 5, 0x10, 0xFF])
def test_reserved_scheme_refused(scheme: int) -> None:
    """Scheme bytes past 0x03 are invalid."""
    with pytest.raises(UrlEncodingError, match="scheme"):
        decode_url(bytes([scheme]) + b"abc")


def test_too_short_to_decode() -> None:
    """A scheme byte alone is not a URL."""
    for raw in (b"", b"\x00"):
        with pytest.raises(EddystoneError):
            decode_url(raw)
