"""Staff accounts: argon2 password hashes, login (a short-lived staff token), logout.

Tokens are ``Credential`` rows of kind ``staff`` (SHA-256 of the secret, subject = the staff
user's id, an expiry); the secret itself is shown once, in the login response.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core import credentials
from crm.core.errors import Problem
from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.staff.models import STAFF_ROLES, StaffUser

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHash((Argon2Hasher(),))
# Verified against when the account does not exist, so that a wrong e-mail costs as much time
# as a wrong password (no account enumeration by timing).
_DUMMY_HASH = _hasher.hash("balise-dummy-password")


def normalize_email(email: str) -> str:
    """The form e-mails are stored and compared in."""
    return email.strip().lower()


def check_email(email: str) -> str:
    """A normalized e-mail, or 422."""
    email = normalize_email(email)
    if len(email) > 254 or not _EMAIL.match(email):
        raise Problem(422, "Unprocessable Content", f"{email!r} is not an e-mail address")
    return email


def check_password(password: str) -> str:
    """A password good enough to hash, or 422."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Problem(
            422,
            "Unprocessable Content",
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
        )
    return password


def hash_password(password: str) -> str:
    """The argon2id PHC string of ``password``."""
    return _hasher.hash(password)


def check_role(role: str) -> str:
    """``role`` if it is a staff role, or 422."""
    if role not in STAFF_ROLES:
        raise Problem(
            422, "Unprocessable Content", f"unknown role {role!r}; one of {', '.join(STAFF_ROLES)}"
        )
    return role


async def add_staff(
    session: AsyncSession,
    destination_id: uuid.UUID,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
) -> StaffUser:
    """Create a staff account; 409 when the e-mail is already taken in the destination."""
    user = StaffUser.model_validate(
        {
            "destination_id": destination_id,
            "email": check_email(email),
            "name": name.strip() or email,
            "role": check_role(role),
            "password_hash": hash_password(check_password(password)),
        }
    )
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError:
        raise Problem(
            409, "Conflict", f"a staff account {user.email!r} already exists here"
        ) from None
    return user


async def list_staff(session: AsyncSession) -> Sequence[StaffUser]:
    """Staff accounts visible to the session, by e-mail."""
    return (await session.execute(select(StaffUser).order_by(StaffUser.email))).scalars().all()


@dataclass(frozen=True, slots=True)
class Login:
    """A successful login: the account, its new token (shown once) and when it expires."""

    user: StaffUser
    token: str
    expires_at: datetime


async def login(
    session: AsyncSession, destination_slug: str, email: str, password: str, ttl: timedelta
) -> Login:
    """Check credentials (a ``system`` session: the tenant is not known yet) and issue a token.

    Every failure — unknown destination, unknown or disabled account, wrong password — is the
    same 401, so the answer tells nothing about which accounts exist.
    """
    denied = Problem(401, "Unauthorized", "wrong destination, e-mail or password")
    user: StaffUser | None = None
    if len(password) <= MAX_PASSWORD:
        user = (
            await session.execute(
                select(StaffUser)
                .join(Destination, col(Destination.id) == col(StaffUser.destination_id))
                .where(
                    col(Destination.slug) == destination_slug,
                    col(StaffUser.email) == normalize_email(email),
                    col(StaffUser.disabled_at).is_(None),
                )
            )
        ).scalar_one_or_none()
    if user is None:
        _hasher.verify(password, _DUMMY_HASH)
        raise denied
    valid, updated = _hasher.verify_and_update(password, user.password_hash)
    if not valid:
        raise denied
    if updated is not None:  # parameters changed since the hash was made
        user.password_hash = updated
        session.add(user)
    expires_at = utcnow() + ttl
    token = await credentials.issue(
        session, "staff", str(user.id), user.destination_id, expires_at=expires_at
    )
    return Login(user=user, token=token, expires_at=expires_at)


async def logout(session: AsyncSession, token: str) -> bool:
    """Revoke one staff token; whether it was live."""
    return await credentials.revoke(session, "staff", token=token) > 0


async def revoke_all(session: AsyncSession, user_id: uuid.UUID) -> int:
    """Revoke every live token of a staff member (disabled account, role change)."""
    return await credentials.revoke(session, "staff", subject=str(user_id))


async def update_staff(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    name: str | None = None,
    role: str | None = None,
    disabled: bool | None = None,
    password: str | None = None,
) -> StaffUser:
    """Change an account visible to the session; a role change, a new password or disabling
    ends its sessions."""
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise Problem(404, "Not Found", f"no staff account {user_id}")
    leaves_admin = user.role == "admin" and (
        (role is not None and role != "admin") or disabled is True
    )
    if leaves_admin and user.disabled_at is None:
        others = await session.scalar(
            select(func.count())
            .select_from(StaffUser)
            .where(
                col(StaffUser.role) == "admin",
                col(StaffUser.disabled_at).is_(None),
                col(StaffUser.id) != user.id,
            )
        )
        if not others:
            raise Problem(409, "Conflict", "the destination must keep at least one admin")
    end_sessions = False
    if name is not None:
        user.name = name.strip() or user.email
    if role is not None and role != user.role:
        user.role = check_role(role)
        end_sessions = True
    if password is not None:
        user.password_hash = hash_password(check_password(password))
        end_sessions = True
    if disabled is not None and disabled != (user.disabled_at is not None):
        user.disabled_at = utcnow() if disabled else None
        end_sessions = end_sessions or disabled
    session.add(user)
    await session.flush()
    if end_sessions:
        await revoke_all(session, user.id)
    return user
