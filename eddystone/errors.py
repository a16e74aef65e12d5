"""One exception hierarchy for every way Eddystone / iBeacon bytes (or builder inputs) can be wrong.

Everything derives from :class:`EddystoneError`, itself a :class:`ValueError`, so a caller that
decodes untrusted radio bytes needs exactly one ``except EddystoneError`` and nothing else.
"""

from __future__ import annotations


class EddystoneError(ValueError):
    """Base of every error raised by the :mod:`eddystone` package."""


class TruncatedError(EddystoneError):
    """The bytes end before the structure or frame they describe does."""


class MalformedFrameError(EddystoneError):
    """The bytes are long enough but a field holds a value the format does not allow."""


class MalformedAdvertisementError(EddystoneError):
    """An AD structure of an advertising payload breaks the Core Specification's rules."""


class UrlEncodingError(EddystoneError):
    """A URL cannot be carried by Eddystone-URL, or encoded URL bytes use reserved codes."""


class BuildError(EddystoneError):
    """A builder was given a value the frame format cannot carry."""


class PayloadTooLongError(BuildError):
    """The advertising payload would exceed the 31-byte legacy advertising limit."""


class IntegrityError(EddystoneError):
    """An integrity check failed: eTLM MIC mismatch, or an EID that does not match its key."""


class KeyExchangeError(EddystoneError):
    """X25519 registration failed: wrong key length or an all-zero shared secret."""
