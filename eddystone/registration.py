"""EID registration: X25519 key agreement and HKDF-SHA256 to the 16-byte identity key.

IK = HKDF-SHA256(IKM = X25519 shared secret, salt = resolver_public ‖ beacon_public, info = "")
[:16]. Keys are 32 bytes little-endian (curve25519-donna convention, as ``cryptography`` uses).
Our server is the trusted resolver (Google's is gone): it keeps its private key, derives each
pass's IK from the pass's public key and checks the EID the pass reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from eddystone.eid import EidIdentity, compute_eid
from eddystone.errors import EddystoneError, IntegrityError, KeyExchangeError

KEY_LENGTH = 32
IDENTITY_KEY_LENGTH = 16


def _private(raw: bytes) -> X25519PrivateKey:
    if len(raw) != KEY_LENGTH:
        raise KeyExchangeError(f"an X25519 private key is 32 bytes, got {len(raw)}")
    return X25519PrivateKey.from_private_bytes(raw)


def _public(raw: bytes) -> X25519PublicKey:
    if len(raw) != KEY_LENGTH:
        raise KeyExchangeError(f"an X25519 public key is 32 bytes, got {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def generate_private_key() -> bytes:
    """A fresh random X25519 private key (32 bytes)."""
    return X25519PrivateKey.generate().private_bytes_raw()


def public_key(private_key: bytes) -> bytes:
    """The X25519 public key (32 bytes) of ``private_key``."""
    return _private(private_key).public_key().public_bytes_raw()


def shared_secret(private_key: bytes, peer_public_key: bytes) -> bytes:
    """X25519(private, peer public); KeyExchangeError if the result is all zero."""
    try:
        secret = _private(private_key).exchange(_public(peer_public_key))
    except ValueError as exc:  # cryptography refuses low-order points with ValueError
        if isinstance(exc, EddystoneError):
            raise
        raise KeyExchangeError(f"X25519 exchange failed: {exc}") from None
    if not any(secret):
        raise KeyExchangeError("X25519 shared secret is all zero: reject this public key")
    return secret


def identity_key_from_secret(secret: bytes, resolver_public: bytes, beacon_public: bytes) -> bytes:
    """HKDF-SHA256 (salt = resolver_public ‖ beacon_public, empty info), first 16 bytes."""
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=IDENTITY_KEY_LENGTH,
        salt=resolver_public + beacon_public,
        info=b"",
    )
    return hkdf.derive(secret)


def resolver_identity_key(resolver_private: bytes, beacon_public: bytes) -> bytes:
    """The identity key as the resolver derives it from its private key and the pass's public."""
    secret = shared_secret(resolver_private, beacon_public)
    return identity_key_from_secret(secret, public_key(resolver_private), beacon_public)


def beacon_identity_key(beacon_private: bytes, resolver_public: bytes) -> bytes:
    """The identity key as the pass derives it from its private key and the resolver's public."""
    secret = shared_secret(beacon_private, resolver_public)
    return identity_key_from_secret(secret, resolver_public, public_key(beacon_private))


@dataclass(frozen=True, slots=True)
class EidRegistration:
    """What the resolver stores for a newly registered pass."""

    identity_key: bytes
    k: int
    clock_offset: int

    def identity(self) -> EidIdentity:
        """The entry for :class:`eddystone.EidTable`."""
        return EidIdentity(self.identity_key, self.k, self.clock_offset)


def register_beacon(
    resolver_private: bytes,
    beacon_public: bytes,
    *,
    k: int,
    beacon_time: int,
    initial_eid: bytes,
    server_time: int,
) -> EidRegistration:
    """Resolver side of registration: derive the IK and check the EID the pass reported.

    ``beacon_time`` is the pass's time counter when it showed ``initial_eid``, and
    ``server_time`` the server's Unix time (s) at that moment; their difference is the clock
    offset kept for resolving. IntegrityError when the EID does not match the derived key.
    """
    identity_key = resolver_identity_key(resolver_private, beacon_public)
    if compute_eid(identity_key, beacon_time, k) != initial_eid:
        raise IntegrityError("the reported EID does not match the derived identity key")
    return EidRegistration(identity_key, k, beacon_time - server_time)
