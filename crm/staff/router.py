"""Staff login and logout, and the admin's management of staff accounts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from crm.core import metrics, ratelimit
from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.core.settings import Settings
from crm.staff import service
from crm.staff.deps import (
    ADMIN,
    SESSION_COOKIE,
    STAFF_PROBLEMS,
    StaffDep,
    StaffSessionDep,
    presented_token,
)
from crm.staff.models import StaffUser
from crm.staff.schemas import LoginRequest, LoginResponse, StaffCreate, StaffOut, StaffUpdate

router = APIRouter(tags=["staff"])


def _login_failures(request: Request, settings: Settings) -> ratelimit.FailureThrottle:
    """The app's failed-login throttle (made by crm.core.ratelimit.install)."""
    throttle: ratelimit.FailureThrottle | None = getattr(request.app.state, "login_failures", None)
    if throttle is None:  # an app built without install()
        throttle = request.app.state.login_failures = ratelimit.login_throttle(settings)
    return throttle


@router.post(
    "/api/v1/auth/login",
    responses={
        401: {"description": "Wrong destination, e-mail or password"},
        429: {"description": "Too many failed logins (Retry-After says when to try again)"},
    },
)
async def login(
    body: LoginRequest, request: Request, response: Response, db: DbDep, settings: SettingsDep
) -> LoginResponse:
    """Exchange a staff member's credentials for a bearer token (also set as a session cookie).

    The token is shown once; it expires after ``BALISE_STAFF_SESSION_HOURS``. Pages use the
    ``balise_session`` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS), API clients the
    ``Authorization: Bearer`` header.
    """
    ttl = timedelta(hours=settings.staff_session_hours)
    throttle = _login_failures(request, settings)
    client = ratelimit.client_address(request.scope)
    # Per address and account, not per account alone: a guesser elsewhere cannot lock the
    # owner out; per address too, so one address cannot spread guesses over every account.
    keys = {
        "client": client,
        "account": f"{client} {body.destination} {service.normalize_email(body.email)}",
    }
    if wait := throttle.attempt(**keys):
        metrics.RATE_LIMITED.labels("staff login").inc()
        raise Problem(
            429,
            "Too Many Requests",
            "too many failed logins; try again later",
            headers={"Retry-After": ratelimit.retry_after(wait)},
        )
    failed = False
    try:
        async with db.session(system=True) as session:
            done = await service.login(session, body.destination, body.email, body.password, ttl)
            await session.commit()
    except Problem as problem:
        failed = problem.status == 401
        raise
    finally:  # the try reserved above is spent only by a wrong password
        if not failed:
            throttle.succeeded(**keys)
    response.set_cookie(
        SESSION_COOKIE,
        done.token,
        max_age=int(ttl.total_seconds()),
        path="/",
        httponly=True,
        secure=request.url.scheme == "https" or settings.public_url.startswith("https:"),
        samesite="lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return LoginResponse(
        token=done.token, expires_at=done.expires_at, staff=StaffOut.model_validate(done.user)
    )


@router.post("/api/v1/auth/logout", status_code=204, responses=STAFF_PROBLEMS)
async def logout(
    staff: StaffDep,
    db: DbDep,
    token: Annotated[str, Depends(presented_token)],
) -> Response:
    """Revoke the token this request carries and clear the session cookie."""
    async with db.session(system=True) as session:
        await service.logout(session, token)
        await session.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/api/v1/auth/me", responses=STAFF_PROBLEMS)
async def me(staff: StaffDep, session: StaffSessionDep) -> StaffOut:
    """The staff member this token belongs to."""
    user = await session.get(StaffUser, staff.user_id)
    return StaffOut.model_validate(user)


@router.get("/api/v1/office/staff", dependencies=ADMIN, responses=STAFF_PROBLEMS)
async def list_staff(session: StaffSessionDep) -> list[StaffOut]:
    """The destination's staff accounts (admin only)."""
    return [StaffOut.model_validate(u) for u in await service.list_staff(session)]


@router.post("/api/v1/office/staff", status_code=201, dependencies=ADMIN, responses=STAFF_PROBLEMS)
async def create_staff(body: StaffCreate, staff: StaffDep, session: StaffSessionDep) -> StaffOut:
    """Create a staff account in the admin's destination."""
    # The body's fields are add_staff's keywords (email, name, role, password).
    user = await service.add_staff(session, staff.destination_id, **body.model_dump())
    await session.commit()
    return StaffOut.model_validate(user)


@router.patch("/api/v1/office/staff/{staff_id}", dependencies=ADMIN, responses=STAFF_PROBLEMS)
async def update_staff(
    staff_id: uuid.UUID, body: StaffUpdate, session: StaffSessionDep
) -> StaffOut:
    """Rename, change the role of, disable or re-enable an account, or set its password.

    A role change, a new password or disabling ends the account's sessions; the destination
    always keeps at least one enabled admin.
    """
    # Absent fields are None, which update_staff leaves alone.
    user = await service.update_staff(session, staff_id, **body.model_dump())
    await session.commit()
    return StaffOut.model_validate(user)
