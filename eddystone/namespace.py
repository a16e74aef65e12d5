"""The two ways the Eddystone-UID spec recommends to make a 10-byte namespace."""

from __future__ import annotations

import hashlib
import uuid

from eddystone.errors import BuildError


def namespace_from_fqdn(fqdn: str) -> bytes:
    """Truncated hash: the first 10 bytes of SHA-1 of a domain name you own (IDNA-encoded)."""
    try:
        name = fqdn.encode("idna")
    except UnicodeError as exc:
        raise BuildError(f"not a domain name: {fqdn!r} ({exc})") from None
    # SHA-1 is what the spec prescribes here: a name-to-bytes mapping, not a security function.
    return hashlib.sha1(name, usedforsecurity=False).digest()[:10]


def namespace_from_uuid(value: uuid.UUID) -> bytes:
    """Elided UUID: the UUID's 16 bytes without bytes 5..10 (counting from 1)."""
    raw = value.bytes
    return raw[:4] + raw[10:]
