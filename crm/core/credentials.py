"""Bearer secrets, written once: issue, revoke, look up, and what "still live" means.

One small table, ``credential``, maps the SHA-256 of every secret the CRM hands out (gateway
tokens, gateway claim codes, visitors' roadbook tokens, staff API tokens) to what it grants:
``kind`` on ``subject`` within ``destination_id``. It carries no row-level security on purpose:
it is read *before* the tenant is known, and holds nothing secret — only hashes.

A credential is **live** while it is neither revoked nor expired (:func:`live`; the raw-SQL hot
path of gateway authentication uses the same predicate as text, :func:`live_sql`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Column, ColumnElement, LargeBinary, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from crm.core.models import sql_list, utcnow

Kind = Literal["gateway", "claim", "roadbook", "staff"]


class Credential(SQLModel, table=True):
    """What a bearer secret grants: ``kind`` on ``subject`` within ``destination_id``."""

    __table_args__ = (CheckConstraint(f"kind IN ({sql_list(get_args(Kind))})", name="kind"),)

    token_hash: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    kind: str = Field(max_length=16)
    subject: str = Field(max_length=64, index=True)
    destination_id: uuid.UUID = Field(foreign_key="destination.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


def new_token() -> str:
    """A fresh URL-safe secret of 256 random bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """The SHA-256 of a secret: what the database keeps."""
    return hashlib.sha256(token.encode()).digest()


def live(now: datetime) -> ColumnElement[bool]:
    """Still live at ``now``: not revoked, and not expired (no expiry never expires)."""
    return col(Credential.revoked_at).is_(None) & (
        col(Credential.expires_at).is_(None) | (col(Credential.expires_at) > now)
    )


def live_sql(alias: str, now: str) -> str:
    """:func:`live` as SQL text, for raw statements: ``alias`` of the table, ``now`` placeholder."""
    return (
        f"{alias}.revoked_at IS NULL AND ({alias}.expires_at IS NULL OR {alias}.expires_at > {now})"
    )


def granting(token: str, kind: Kind, now: datetime) -> ColumnElement[bool]:
    """The live credential of ``kind`` that ``token`` is (a ``WHERE`` for joins)."""
    return (
        (col(Credential.token_hash) == token_hash(token))
        & (col(Credential.kind) == kind)
        & live(now)
    )


async def issue(
    session: AsyncSession,
    kind: Kind,
    subject: str,
    destination_id: uuid.UUID,
    *,
    secret: str | None = None,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Store a new credential (its hash only) and return its secret, to be shown once.

    ``secret`` when the caller chose it (a claim code's canonical form); a new token otherwise.
    """
    secret = secret or new_token()
    session.add(
        Credential(
            token_hash=token_hash(secret),
            kind=kind,
            subject=subject,
            destination_id=destination_id,
            created_at=now or utcnow(),
            expires_at=expires_at,
        )
    )
    await session.flush()
    return secret


async def revoke(
    session: AsyncSession,
    kind: Kind,
    *,
    subject: str | None = None,
    token: str | None = None,
    destination_id: uuid.UUID | None = None,
    keep: bytes | None = None,
    now: datetime | None = None,
) -> int:
    """Revoke the unrevoked credentials of ``kind`` of ``subject`` (or the one ``token`` is),
    in ``destination_id`` when given, but the one hashed ``keep``; how many there were."""
    if subject is None and token is None:
        raise ValueError("revoke needs a subject or a token")
    query = update(Credential).where(
        col(Credential.kind) == kind, col(Credential.revoked_at).is_(None)
    )
    if subject is not None:
        query = query.where(col(Credential.subject) == subject)
    if token is not None:
        query = query.where(col(Credential.token_hash) == token_hash(token))
    if destination_id is not None:
        query = query.where(col(Credential.destination_id) == destination_id)
    if keep is not None:
        query = query.where(col(Credential.token_hash) != keep)
    result = await session.execute(query.values(revoked_at=now or utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


async def look_up(
    session: AsyncSession, token: str, kind: Kind, now: datetime | None = None
) -> Credential | None:
    """The live credential of ``kind`` that ``token`` is, or None (unknown, revoked, expired).

    Runs before the tenant is known: ``session`` is a system one.
    """
    found = await session.execute(select(Credential).where(granting(token, kind, now or utcnow())))
    return found.scalar_one_or_none()


async def redeem(session: AsyncSession, secret: str, kind: Kind, now: datetime) -> str | None:
    """Use a one-time credential: revoke it if live, in one statement; its subject, or None.

    Two concurrent redemptions of one secret: one gets the subject, the other None.
    """
    query = (
        update(Credential)
        .where(granting(secret, kind, now))
        .values(revoked_at=now)
        .returning(col(Credential.subject))
    )
    subject = (await session.execute(query)).scalar_one_or_none()
    return str(subject) if subject is not None else None


async def state(session: AsyncSession, secret: str, kind: Kind) -> str:
    """Why a secret is not live, for a precise refusal: ``unknown``, ``used`` or ``expired``."""
    row = (
        await session.execute(
            select(col(Credential.revoked_at)).where(
                col(Credential.token_hash) == token_hash(secret), col(Credential.kind) == kind
            )
        )
    ).first()
    if row is None:
        return "unknown"
    return "used" if row[0] is not None else "expired"
