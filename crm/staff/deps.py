"""Authentication and authorisation of office staff (the interface routers code against).

A staff member authenticates with the bearer token ``POST /api/v1/auth/login`` returned, sent
either as ``Authorization: Bearer <token>`` (API clients) or as the ``balise_session`` cookie
(pages; HttpOnly, SameSite=Lax). The token is a ``Credential`` of kind ``staff`` whose subject
is the staff user's id; it expires, and logout revokes it.

Usage in a router::

    @router.get("/api/v1/office/things", dependencies=[Depends(require_role("marketing"))])
    async def things(session: StaffSessionDep) -> ...: ...

``require_role`` always lets ``admin`` through. ``staff_session`` is a *tenant* session (role
``balise_app``, RLS on) of the staff member's destination.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core import credentials
from crm.core.audit import audit
from crm.core.credentials import Credential
from crm.core.deps import DbDep
from crm.core.errors import Problem, problems
from crm.core.models import utcnow
from crm.staff.models import STAFF_ROLES, StaffUser

SESSION_COOKIE = "balise_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StaffBearer",
    description="A staff token (POST /api/v1/auth/login)",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="StaffSession",
    description="The session cookie set by POST /api/v1/auth/login",
)


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    """Who is calling: a staff member of one destination, with one role."""

    user_id: uuid.UUID
    destination_id: uuid.UUID
    role: str
    email: str

    @property
    def actor(self) -> str:
        """How the staff member appears in the audit log and the ledgers."""
        return f"staff:{self.user_id}"

    async def audit(
        self,
        session: AsyncSession,
        action: str,
        visitor_id: uuid.UUID | None = None,
        **detail: Any,
    ) -> None:
        """Record in the audit log that this staff member did ``action`` on the data of
        ``visitor_id`` (the entry's detail names their role)."""
        await audit(
            session,
            self.destination_id,
            self.actor,
            action,
            visitor_id,
            {"role": self.role, **detail},
        )


def _unauthorized(detail: str = "a valid staff token or session is required") -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


async def principal_for_token(db_session: AsyncSession, token: str) -> StaffPrincipal | None:
    """The live, enabled staff member a token belongs to (needs a ``system`` session)."""
    row = (
        await db_session.execute(
            select(StaffUser)
            .join(Credential, col(Credential.subject) == cast(col(StaffUser.id), String))
            .where(
                credentials.granting(token, "staff", utcnow()),
                col(Credential.destination_id) == col(StaffUser.destination_id),
                col(StaffUser.disabled_at).is_(None),
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return StaffPrincipal(
        user_id=row.id, destination_id=row.destination_id, role=row.role, email=row.email
    )


async def presented_token(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> str:
    """The staff secret the request carries (bearer header first, else the cookie), or 401.

    A state-changing request authenticated only by the cookie must not come from another
    origin: when the browser sends ``Origin`` it has to match the request's own (CSRF defence
    on top of SameSite=Lax).
    """
    if bearer is not None and bearer.scheme.lower() == "bearer" and bearer.credentials:
        token = bearer.credentials
    elif cookie:
        token = cookie
        origin = request.headers.get("origin")
        if request.method not in _SAFE_METHODS and origin is not None:
            own = f"{request.url.scheme}://{request.url.netloc}"
            if origin.rstrip("/") != own:
                raise Problem(403, "Forbidden", "cross-origin request with a session cookie")
    else:
        raise _unauthorized()
    if len(token) > 256:
        raise _unauthorized("the staff token is unknown, expired or revoked")
    return token


async def current_staff(
    db: DbDep, token: Annotated[str, Depends(presented_token)]
) -> StaffPrincipal:
    """The staff member behind the bearer token or the session cookie, or 401 problem+json."""
    async with db.session(system=True) as session:
        principal = await principal_for_token(session, token)
    if principal is None:
        raise _unauthorized("the staff token is unknown, expired or revoked")
    return principal


StaffDep = Annotated[StaffPrincipal, Depends(current_staff)]


def require_role(*roles: str) -> Callable[[StaffPrincipal], Awaitable[StaffPrincipal]]:
    """A dependency letting through staff with one of ``roles`` (admin always); 403 otherwise."""
    unknown = set(roles) - set(STAFF_ROLES)
    if unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown)}")
    allowed = frozenset({"admin", *roles})

    async def _check(staff: StaffDep) -> StaffPrincipal:
        if staff.role not in allowed:
            raise Problem(
                403,
                "Forbidden",
                f"this needs the role {' or '.join(sorted(allowed))}; you are {staff.role}",
            )
        return staff

    return _check


async def staff_session(staff: StaffDep, db: DbDep) -> AsyncIterator[AsyncSession]:
    """A tenant session (RLS on) of the staff member's destination."""
    async with db.session(staff.destination_id) as session:
        yield session


StaffSessionDep = Annotated[AsyncSession, Depends(staff_session)]


# What the office API's routers declare: who may call (admin always may) and the answers to
# a caller who may not.
READ = [Depends(require_role("marketing", "desk"))]
ADMIN = [Depends(require_role("admin"))]
DESK = [Depends(require_role("desk"))]
DeskStaff = Annotated[StaffPrincipal, Depends(require_role("desk"))]
STAFF_PROBLEMS = problems(
    {
        401: "Missing, unknown, expired or revoked staff token",
        403: "The staff member's role does not allow this",
    }
)
