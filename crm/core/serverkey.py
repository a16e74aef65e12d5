"""The server key: encrypts EID identity keys at rest (``BALISE_SERVER_KEY``).

The key is 32 random bytes, base64-encoded (``python -c "import base64, os;
print(base64.b64encode(os.urandom(32)).decode())"``). Without it (the demo) a key is generated
once under ``data_dir/server.key`` (mode 0600) and a warning is logged: production sets it.

Sealed format: ``b"\\x01" + key id (4 bytes) + nonce (12 bytes) + AES-256-GCM ciphertext``; the
key id (first 4 bytes of SHA-256 of the key) lets a rotation decrypt with the previous key
(``BALISE_SERVER_KEY_PREVIOUS``) while re-encrypting under the new one (docs/operations.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.settings import Settings

VERSION = b"\x01"
PURPOSE = b"balise:eid-identity-key"
log = structlog.get_logger(__name__)
_warned: set[Path] = set()


class ServerKeyError(ValueError):
    """The server key is malformed, or a sealed value was sealed under another key."""


def _decode(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise ServerKeyError("the server key is not base64") from exc
    if len(key) != 32:
        raise ServerKeyError(f"the server key must be 32 bytes, not {len(key)}")
    return key


def key_id(key: bytes) -> bytes:
    """The 4-byte id stored with every sealed value (tells which key sealed it)."""
    return hashlib.sha256(key).digest()[:4]


def server_keys(settings: Settings) -> list[bytes]:
    """The current key first, then the previous one during a rotation."""
    current = settings.server_key
    keys = [_decode(current) if current else _demo_key(settings.data_dir)]
    if settings.server_key_previous:
        keys.append(_decode(settings.server_key_previous))
    return keys


def _demo_key(data_dir: Path) -> bytes:
    path = data_dir / "server.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    if path not in _warned:
        _warned.add(path)
        log.warning("server_key_from_file", path=str(path), hint="set BALISE_SERVER_KEY")
    return _decode(path.read_text())


def seal(key: bytes, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` (an identity key) under ``key``."""
    nonce = os.urandom(12)
    return VERSION + key_id(key) + nonce + AESGCM(key).encrypt(nonce, plaintext, PURPOSE)


def unseal(keys: list[bytes], sealed: bytes) -> bytes:
    """Decrypt a sealed value with whichever of ``keys`` sealed it."""
    if len(sealed) < 1 + 4 + 12 + 16 or sealed[:1] != VERSION:
        raise ServerKeyError("not a sealed value of this format")
    wanted = sealed[1:5]
    for key in keys:
        if key_id(key) == wanted:
            try:
                return AESGCM(key).decrypt(sealed[5:17], sealed[17:], PURPOSE)
            except Exception as exc:  # cryptography raises InvalidTag
                raise ServerKeyError("sealed value does not authenticate") from exc
    raise ServerKeyError("sealed under a key this server does not have")


def generate() -> str:
    """A new server key, base64 of 32 random bytes (what ``BALISE_SERVER_KEY`` holds)."""
    return base64.b64encode(os.urandom(32)).decode()


async def reseal_identity_keys(session: AsyncSession, keys: list[bytes]) -> int:
    """Re-encrypt every EID identity key under ``keys[0]``; returns how many were changed.

    Run during a rotation (new key current, old one in ``server_key_previous``); afterwards
    the previous key can be dropped. Idempotent; one transaction, so all or nothing.
    """
    current = key_id(keys[0])
    rows = (
        await session.execute(
            text("SELECT id, identity_key_enc FROM device WHERE identity_key_enc IS NOT NULL")
        )
    ).all()
    changed = 0
    for device_id, sealed in rows:
        sealed = bytes(sealed)
        if sealed[1:5] == current:
            continue
        await session.execute(
            text("UPDATE device SET identity_key_enc = :sealed WHERE id = :id"),
            {"id": device_id, "sealed": seal(keys[0], unseal(keys, sealed))},
        )
        changed += 1
    return changed
