"""Passes: static UID passes put in stock, rotating EID passes registered (keys sealed)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core import serverkey
from crm.core.errors import Problem
from crm.core.vocabulary import eid_identity, uid_identity
from crm.passes.models import Device
from eddystone import EddystoneError, registration

# Rotation exponents allowed for visitors' EID passes (docs/architecture.md): 2^8 s to 2^12 s
# windows.
EID_ROTATION_EXPONENTS = range(8, 13)


async def register_uid_pass(
    session: AsyncSession, destination_id: uuid.UUID, namespace: str, instance: str
) -> Device:
    """Put a static Eddystone-UID pass in stock (no visitor yet); 409 if already registered."""

    identity = uid_identity(namespace, instance)
    taken = await session.execute(
        select(col(Device.id)).where(
            col(Device.destination_id) == destination_id, col(Device.identity) == identity
        )
    )
    if taken.first() is not None:
        raise Problem(409, "Conflict", f"pass {namespace}:{instance} is already registered")
    device = Device(destination_id=destination_id, kind="eddystone-uid", identity=identity)
    session.add(device)
    await session.flush()
    return device


@dataclass(frozen=True, slots=True)
class EidProvisioning:
    """A new EID pass and what the card needs, shown once.

    ``identity_key`` when the CRM generated the key (write it to the card); ``resolver_public_key``
    when the card registered through the X25519 exchange (give it this key; the card derives the
    same identity key and the secret never travels).
    """

    device: Device
    identity_key: bytes | None
    resolver_public_key: bytes | None


async def register_eid_pass(
    session: AsyncSession,
    destination_id: uuid.UUID,
    server_key: bytes,
    *,
    rotation_exponent: int = 10,
    identity_key: bytes | None = None,
    beacon_public_key: bytes | None = None,
    visitor_id: uuid.UUID | None = None,
) -> EidProvisioning:
    """Register a rotating Eddystone-EID pass; its identity key is stored sealed (server key).

    The key is generated here (or given, e.g. by a card vendor), or derived through the spec's
    X25519 + HKDF registration from the card's public key.
    """
    if rotation_exponent not in EID_ROTATION_EXPONENTS:
        raise Problem(422, "Unprocessable Content", "the rotation exponent K must be 8 to 12")
    resolver_public: bytes | None = None
    if beacon_public_key is not None:
        if identity_key is not None:
            raise Problem(422, "Unprocessable Content", "give an identity key or a public key")
        try:
            resolver_private = registration.generate_private_key()
            identity_key = registration.resolver_identity_key(resolver_private, beacon_public_key)
        except EddystoneError as exc:
            raise Problem(422, "Unprocessable Content", f"unusable public key: {exc}") from None
        resolver_public = registration.public_key(resolver_private)
        generated = False
    else:
        generated = identity_key is None
        identity_key = identity_key or secrets.token_bytes(16)
    if len(identity_key) != 16:
        raise Problem(422, "Unprocessable Content", "an EID identity key is 16 bytes")
    identity = eid_identity(identity_key)
    taken = await session.execute(
        select(col(Device.id)).where(
            col(Device.destination_id) == destination_id, col(Device.identity) == identity
        )
    )
    if taken.first() is not None:
        raise Problem(409, "Conflict", "this EID pass is already registered")
    device = Device(
        destination_id=destination_id,
        kind="eddystone-eid",
        identity=identity,
        identity_key_enc=serverkey.seal(server_key, identity_key),
        rotation_exponent=rotation_exponent,
        visitor_id=visitor_id,
    )
    session.add(device)
    await session.flush()
    return EidProvisioning(
        device=device,
        identity_key=identity_key if generated else None,
        resolver_public_key=resolver_public,
    )
