"""Staff login and logout, and the admin's management of staff accounts."""

from __future__ import annotations

import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.staff import service
from crm.staff.deps import (
    SESSION_COOKIE,
    StaffDep,
    StaffSessionDep,
    presented_token,
    require_role,
)
from crm.staff.models import StaffUser
from crm.staff.schemas import LoginRequest, LoginResponse, StaffCreate, StaffOut, StaffUpdate

router = APIRouter(tags=["staff"])

_PROBLEMS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, unknown, expired or revoked staff token"},
    403: {"description": "The staff member's role does not allow this"},
}


class LoginThrottle:
    """Failed logins, per account and per client address, in each worker's memory (like
    ``crm.core.ratelimit``): ``burst`` failures, then one more try per ``1 / rate`` seconds.
    Successful logins do not count. Keeps argon2 guessing slow and cheap to refuse."""

    LIMITS = ((1 / 30, 10), (1.0, 60))  # (rate, burst): an account, then a client address
    MAX_KEYS = 10_000

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.credit: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key → tokens, at

    def _tokens(self, key: str, rate: float, burst: int, now: float) -> float:
        tokens, at = self.credit.get(key, (float(burst), now))
        return min(float(burst), tokens + (now - at) * rate)

    def retry_after(self, *keys: str) -> float:
        """Seconds before all of ``keys`` may try again (0: now)."""
        now = self.clock()
        waits = [0.0]
        for key, (rate, burst) in zip(keys, self.LIMITS, strict=False):
            tokens = self._tokens(key, rate, burst, now)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / rate)
        return max(waits)

    def failed(self, *keys: str) -> None:
        """Count a failed login against the account and the client."""
        now = self.clock()
        for key, (rate, burst) in zip(keys, self.LIMITS, strict=False):
            self.credit[key] = (self._tokens(key, rate, burst, now) - 1.0, now)
            self.credit.move_to_end(key)
        while len(self.credit) > self.MAX_KEYS:
            self.credit.popitem(last=False)


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
    throttle: LoginThrottle | None = getattr(request.app.state, "login_throttle", None)
    if throttle is None:
        throttle = request.app.state.login_throttle = LoginThrottle()
    keys = (
        f"account:{body.destination}:{service.normalize_email(body.email)}",
        f"ip:{request.client.host if request.client else 'unknown'}",
    )
    if wait := throttle.retry_after(*keys):
        raise Problem(
            429,
            "Too Many Requests",
            "too many failed logins; try again later",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    try:
        async with db.session(system=True) as session:
            done = await service.login(session, body.destination, body.email, body.password, ttl)
            await session.commit()
    except Problem as problem:
        if problem.status == 401:
            throttle.failed(*keys)
        raise
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


@router.post("/api/v1/auth/logout", status_code=204, responses=_PROBLEMS)
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


@router.get("/api/v1/auth/me", responses=_PROBLEMS)
async def me(staff: StaffDep, session: StaffSessionDep) -> StaffOut:
    """The staff member this token belongs to."""
    user = await session.get(StaffUser, staff.user_id)
    return StaffOut.model_validate(user)


_admin = [Depends(require_role("admin"))]


@router.get("/api/v1/office/staff", dependencies=_admin, responses=_PROBLEMS)
async def list_staff(session: StaffSessionDep) -> list[StaffOut]:
    """The destination's staff accounts (admin only)."""
    return [StaffOut.model_validate(u) for u in await service.list_staff(session)]


@router.post("/api/v1/office/staff", status_code=201, dependencies=_admin, responses=_PROBLEMS)
async def create_staff(body: StaffCreate, staff: StaffDep, session: StaffSessionDep) -> StaffOut:
    """Create a staff account in the admin's destination."""
    user = await service.add_staff(
        session,
        staff.destination_id,
        email=body.email,
        name=body.name,
        role=body.role,
        password=body.password,
    )
    await session.commit()
    return StaffOut.model_validate(user)


@router.patch("/api/v1/office/staff/{staff_id}", dependencies=_admin, responses=_PROBLEMS)
async def update_staff(
    staff_id: uuid.UUID, body: StaffUpdate, session: StaffSessionDep
) -> StaffOut:
    """Rename, change the role of, disable or re-enable an account, or set its password.

    A role change, a new password or disabling ends the account's sessions; the destination
    always keeps at least one enabled admin.
    """
    user = await service.update_staff(
        session,
        staff_id,
        name=body.name,
        role=body.role,
        disabled=body.disabled,
        password=body.password,
    )
    await session.commit()
    return StaffOut.model_validate(user)
