"""The raw AES-128 block function the Eddystone EID and eTLM constructions are built on."""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from eddystone.errors import EddystoneError


class BlockEncryptor(Protocol):
    """Something that AES-encrypts whole 16-byte blocks independently (ECB)."""

    def update(self, data: bytes, /) -> bytes:
        """Encrypt a whole number of blocks."""
        ...


def block_encryptor(key: bytes) -> BlockEncryptor:
    """A reusable AES-128 single-block encryptor for ``key`` (16 bytes)."""
    if len(key) != 16:
        raise EddystoneError(f"an AES-128 key is 16 bytes, got {len(key)}")
    # ECB here is the bare block cipher the Eddystone spec defines (one block per call), not a
    # mode used to encrypt messages. The context is kept and reused: it is stateless across
    # whole blocks and saves the key schedule on every call.
    return Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305


def aes_block(key: bytes, block: bytes) -> bytes:
    """AES-128-encrypt one 16-byte block."""
    return block_encryptor(key).update(block)
