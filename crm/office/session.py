"""The office session: a staff credential in an HttpOnly cookie, and the forms' CSRF tokens.

Signing in issues a ``staff`` credential through ``crm.staff.service.login`` (only its hash is
stored; it expires after ``BALISE_STAFF_SESSION_HOURS``) and puts the secret in the
``balise_office`` cookie: HttpOnly, SameSite=Lax, path ``/office``, Secure when the public URL
(or the request) is https. Signing out revokes the credential. Every lookup goes through
``crm.staff.deps.principal_for_token``, so an expired or revoked credential, a disabled account
or a role change (which revokes) ends the session at the next page.

CSRF: every POST form carries a hidden ``csrf`` field, an HMAC-SHA256 (under a key derived from
the server key, ``crm/core/serverkey.py``) of what the form is bound to — the session secret's
hash once signed in; before that, a random nonce kept in the ``balise_office_signin`` cookie
(login CSRF). A form whose token does not match gets a 403 page and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import select
from sqlmodel import col

from crm.core.credentials import Credential, token_hash
from crm.core.db import Database
from crm.core.deps import DbDep, SettingsDep
from crm.core.serverkey import server_keys
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.staff.deps import StaffPrincipal, principal_for_token
from crm.staff.models import STAFF_ROLES, StaffUser

SESSION_COOKIE = "balise_office"
SIGN_IN_COOKIE = "balise_office_signin"
COOKIE_PATH = "/office"
HOME = "/office"
SIGN_IN = "/office/sign-in"
_CSRF_PURPOSE = b"balise:office-csrf"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_MAX_TOKEN = 256


@dataclass(frozen=True, slots=True)
class OfficeSession:
    """A signed-in staff member as the office pages need them."""

    staff: StaffPrincipal
    name: str
    destination_name: str
    destination_slug: str
    timezone: str
    expires_at: datetime | None
    csrf: str  # the token this session's forms carry


class SignInRequired(Exception):
    """No live office session: the page sends the browser to the sign-in form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class OfficeForbidden(Exception):
    """A 403 page: the role does not allow the page (``roles``), or a form's CSRF token failed."""

    def __init__(self, office: OfficeSession | None, roles: frozenset[str] | None = None) -> None:
        super().__init__("forbidden")
        self.office = office
        self.roles = roles


def secure_cookies(request: Request, settings: Settings) -> bool:
    """Whether cookies must be Secure (the same rule as the staff API's cookie)."""
    return request.url.scheme == "https" or settings.public_url.startswith("https:")


def cookie_options(secure: bool) -> dict[str, Any]:
    """How the office sets and clears its session cookies: under /office, HttpOnly, Lax."""
    return {"path": COOKIE_PATH, "httponly": True, "secure": secure, "samesite": "lax"}


def _csrf_key(settings: Settings) -> bytes:
    return hmac.new(server_keys(settings)[0], _CSRF_PURPOSE, hashlib.sha256).digest()


def _form_token(settings: Settings, binding: str) -> str:
    mac = hmac.new(_csrf_key(settings), binding.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def session_form_token(settings: Settings, secret: str) -> str:
    """The CSRF token of a signed-in session's forms."""
    return _form_token(settings, "session:" + token_hash(secret).hex())


def new_sign_in_nonce() -> str:
    """A random nonce for the sign-in form's cookie."""
    return secrets.token_urlsafe(32)


def sign_in_nonce(request: Request) -> str | None:
    """The sign-in nonce the browser holds, when well-formed."""
    nonce = request.cookies.get(SIGN_IN_COOKIE)
    return nonce if nonce is not None and _NONCE.match(nonce) else None


def sign_in_form_token(settings: Settings, nonce: str) -> str:
    """The CSRF token of the sign-in form shown with ``nonce``."""
    return _form_token(settings, "sign-in:" + nonce)


def token_matches(expected: str, submitted: object) -> bool:
    """Whether a form's ``csrf`` field is the expected token (constant time)."""
    return isinstance(submitted, str) and hmac.compare_digest(
        expected.encode(), submitted.encode("utf-8", "replace")
    )


def safe_next(value: object) -> str:
    """Where to go after signing in: a path inside the office, else the office's home."""
    if (
        isinstance(value, str)
        and len(value) <= 512
        and (value == HOME or value.startswith(HOME + "/") or value.startswith(HOME + "?"))
        and not value.startswith(SIGN_IN)
        and "\\" not in value
        and "/." not in value
        and "%2e" not in value.lower()  # browsers read an encoded dot segment as one
        and value.isprintable()
    ):
        return value
    return HOME


async def load_session(db: Database, settings: Settings, secret: str) -> OfficeSession | None:
    """The live office session whose cookie holds ``secret``, or ``None``."""
    if not secret or len(secret) > _MAX_TOKEN:
        return None
    async with db.session(system=True) as session:
        principal = await principal_for_token(session, secret)
        if principal is None:
            return None
        row = (
            await session.execute(
                select(
                    col(StaffUser.name),
                    col(Destination.name),
                    col(Destination.slug),
                    col(Destination.timezone),
                )
                .join(Destination, col(Destination.id) == col(StaffUser.destination_id))
                .where(col(StaffUser.id) == principal.user_id)
            )
        ).one()
        expires_at = await session.scalar(
            select(col(Credential.expires_at)).where(
                col(Credential.token_hash) == token_hash(secret)
            )
        )
    name, destination_name, slug, timezone = row
    return OfficeSession(
        staff=principal,
        name=name,
        destination_name=destination_name,
        destination_slug=slug,
        timezone=timezone,
        expires_at=expires_at,
        csrf=session_form_token(settings, secret),
    )


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def current_office_session(
    request: Request, db: DbDep, settings: SettingsDep
) -> OfficeSession:
    """The signed-in staff member, or the sign-in page (``SignInRequired``)."""
    found = await load_session(db, settings, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise SignInRequired(safe_next(_here(request)))
    return found


OfficeDep = Annotated[OfficeSession, Depends(current_office_session)]


def require_office_role(*roles: str) -> Callable[[OfficeSession], Awaitable[OfficeSession]]:
    """A page dependency letting through staff with one of ``roles`` (admin always); the 403
    page otherwise."""
    unknown = set(roles) - set(STAFF_ROLES)
    if unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown)}")
    allowed = frozenset({"admin", *roles})

    async def _check(office: OfficeDep) -> OfficeSession:
        if office.staff.role not in allowed:
            raise OfficeForbidden(office, allowed)
        return office

    return _check
