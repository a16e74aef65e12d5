"""AES-EAX (Bellare, Rogaway, Wagner), the mode Eddystone eTLM uses; ``cryptography`` lacks it.

EAX = CTR encryption under the OMAC of the nonce, authenticated by
tag = OMAC⁰(nonce) ⊕ OMAC¹(header) ⊕ OMAC²(ciphertext), where OMACᵗ(M) = CMAC(K, [t]₁₂₈ ‖ M).
"""

from __future__ import annotations

import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from eddystone.errors import EddystoneError, IntegrityError

_BLOCK = 16


def _omac(key: bytes, tweak: int, message: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(tweak.to_bytes(_BLOCK, "big") + message)
    return mac.finalize()


def _ctr(key: bytes, counter: bytes, data: bytes) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CTR(counter)).encryptor()
    return cipher.update(data) + cipher.finalize()


def _xor(*blocks: bytes) -> bytes:
    result = 0
    for block in blocks:
        result ^= int.from_bytes(block, "big")
    return result.to_bytes(_BLOCK, "big")


def _check_key(key: bytes) -> None:
    if len(key) not in (16, 24, 32):
        raise EddystoneError(f"an AES key is 16, 24 or 32 bytes, got {len(key)}")


def eax_encrypt(
    key: bytes, nonce: bytes, plaintext: bytes, header: bytes = b""
) -> tuple[bytes, bytes]:
    """Encrypt with AES-EAX; returns (ciphertext, full 16-byte tag)."""
    _check_key(key)
    n = _omac(key, 0, nonce)
    ciphertext = _ctr(key, n, plaintext)
    tag = _xor(n, _omac(key, 1, header), _omac(key, 2, ciphertext))
    return ciphertext, tag


def eax_decrypt(
    key: bytes, nonce: bytes, ciphertext: bytes, tag: bytes, header: bytes = b""
) -> bytes:
    """Check a (possibly truncated) EAX tag, then decrypt; IntegrityError if the tag differs."""
    _check_key(key)
    if not 1 <= len(tag) <= _BLOCK:
        raise EddystoneError(f"an EAX tag is 1..16 bytes, got {len(tag)}")
    n = _omac(key, 0, nonce)
    expected = _xor(n, _omac(key, 1, header), _omac(key, 2, ciphertext))[: len(tag)]
    if not hmac.compare_digest(expected, tag):
        raise IntegrityError("EAX tag mismatch")
    return _ctr(key, n, ciphertext)
