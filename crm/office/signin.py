"""Signing in to and out of the office (``/office/sign-in``, ``/office/sign-out``).

A failed sign-in re-renders the form (401) with one message next to the password, in the
visitor's language, that never says whether the destination, the account or the password was
wrong; what was typed is kept except the password. Tries are counted by the staff login
throttle the API uses (``app.state.login_failures``, ``crm/core/ratelimit.py``), under the same
keys, so the form and ``POST /api/v1/auth/login`` share one budget per address and account:
past it, the form comes back with a 429 and ``Retry-After``. Bad input (missing or oversized
fields, NUL characters, a body that is not a form) re-renders the form; it never reaches the
database.
"""

from __future__ import annotations

import math
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import col
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from crm.core import metrics, ratelimit
from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.office import language as office_language
from crm.office import session as office_session
from crm.office.render import render
from crm.office.texts import t
from crm.staff import service as staff_service

router = APIRouter(include_in_schema=False)

LIMITS = {"destination": 64, "email": 254, "password": 1024}


def login_throttle(request: Request, settings: Settings) -> ratelimit.FailureThrottle:
    """The app's failed staff-login throttle (shared with ``POST /api/v1/auth/login``)."""
    throttle: ratelimit.FailureThrottle | None = getattr(request.app.state, "login_failures", None)
    if throttle is None:  # an app built without ratelimit.install()
        throttle = request.app.state.login_failures = ratelimit.login_throttle(settings)
    return throttle


def throttle_keys(request: Request, destination: str, email: str) -> dict[str, str]:
    """The throttle's keys for a try: the client, and the client with the account."""
    client = ratelimit.client_address(request.scope)
    account = f"{client} {destination} {staff_service.normalize_email(email)}"
    return {"client": client, "account": account}


async def _only_destination(db: DbDep) -> str | None:
    """The destination's slug when the deployment serves exactly one (the field is hidden)."""
    async with db.session(system=True) as session:
        slugs = (await session.execute(select(col(Destination.slug)).limit(2))).scalars().all()
    return slugs[0] if len(slugs) == 1 else None


async def _form_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    language: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    alert: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The sign-in form, with a fresh login-CSRF nonce unless the browser holds one."""
    nonce = office_session.sign_in_nonce(request)
    fresh = nonce is None
    nonce = nonce or office_session.new_sign_in_nonce()
    values = dict(values or {})
    only = await _only_destination(db)
    if only is not None:  # the hidden field: whatever was posted, the one destination
        values["destination"] = only
    values.setdefault("destination", request.query_params.get("destination", "")[:64])
    values.setdefault("next", office_session.safe_next(request.query_params.get("next")))
    secure = office_session.secure_cookies(request, settings)
    response = render(
        request,
        "office/sign_in.html",
        {
            "title": t("sign_in_title", language),
            "values": values,
            "errors": errors or {},
            "alert": alert,
            "notice": notice,
            "single_destination": only is not None,
            "csrf": office_session.sign_in_form_token(settings, nonce),
        },
        language=language,
        secure=secure,
        status_code=status_code,
    )
    if fresh:
        response.set_cookie(
            office_session.SIGN_IN_COOKIE, nonce, **office_session.cookie_options(secure)
        )
    return response


@router.get("/office/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """The sign-in form (the office's home when already signed in)."""
    secret = request.cookies.get(office_session.SESSION_COOKIE, "")
    if await office_session.load_session(db, settings, secret) is not None:
        return RedirectResponse(office_session.HOME, status_code=303)
    language = office_language.negotiate(request)
    notice = t("signed_out", language) if request.query_params.get("signed_out") else None
    return await _form_page(request, db, settings, language, notice=notice)


def _field(form: FormData, name: str) -> tuple[str, str | None]:
    """A text field as typed (trimmed, password excepted) and its problem, if any."""
    raw = form.get(name)
    value = raw if isinstance(raw, str) else ""
    if name != "password":
        value = value.strip()
    if not value:
        return "", "required"
    if len(value) > LIMITS[name]:
        return value[: LIMITS[name]], "too_long"
    if "\x00" in value:
        return value.replace("\x00", ""), "bad_characters"
    return value, None


def denied_page(
    request: Request, language: str, settings: Settings, *, signed_in: bool
) -> HTMLResponse:
    """The 403 page of a form whose CSRF token failed (nothing was changed)."""
    return render(
        request,
        "office/denied.html",
        {
            "title": t("forbidden_title", language),
            "message": t("forbidden_form", language),
            "back": office_session.HOME if signed_in else office_session.SIGN_IN,
            "back_label": t("back_home" if signed_in else "back_sign_in", language),
        },
        language=language,
        secure=office_session.secure_cookies(request, settings),
        status_code=403,
    )


async def _read_form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=16, max_part_size=4096)
    except HTTPException:  # not a form, a file, too many or too large parts
        return None


@router.post("/office/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Check the staff member's credentials; on success, the session cookie and the page
    they were going to."""
    form = await _read_form(request)
    if form is None:
        language = office_language.negotiate(request)
        return await _form_page(
            request, db, settings, language, alert=t("fix", language), status_code=400
        )
    submitted_language = form.get("lang")
    language = office_language.negotiate(
        request, submitted_language if isinstance(submitted_language, str) else None
    )
    nonce = office_session.sign_in_nonce(request)
    if nonce is None or not office_session.token_matches(
        office_session.sign_in_form_token(settings, nonce), form.get("csrf")
    ):
        return denied_page(request, language, settings, signed_in=False)
    values: dict[str, Any] = {"next": office_session.safe_next(form.get("next"))}
    errors: dict[str, str] = {}
    for name in LIMITS:
        values[name], problem = _field(form, name)
        if problem:
            errors[name] = t(problem, language, max=LIMITS[name])
    values.pop("password")
    # The form again, as entered (the password aside).
    again = partial(_form_page, request, db, settings, language, values=values)
    if errors:
        return await again(errors=errors, alert=t("fix", language), status_code=422)
    password = str(form.get("password"))
    throttle = login_throttle(request, settings)
    keys = throttle_keys(request, values["destination"], values["email"])
    if wait := throttle.attempt(**keys):
        metrics.RATE_LIMITED.labels("staff login").inc()
        response = await again(
            alert=t("throttled", language, minutes=max(1, math.ceil(wait / 60))), status_code=429
        )
        response.headers["Retry-After"] = ratelimit.retry_after(wait)
        return response
    ttl = timedelta(hours=settings.staff_session_hours)
    failed = False
    try:
        async with db.session(system=True) as session:
            done = await staff_service.login(
                session, values["destination"], values["email"], password, ttl
            )
            await session.commit()
    except Problem as problem:
        if problem.status != 401:
            raise
        failed = True
        only = await _only_destination(db)
        return await again(
            # One message whatever was wrong; it names the destination only when it was asked.
            errors={"password": t("denied_account" if only else "denied", language)},
            status_code=401,
        )
    finally:  # the try reserved above is spent only by wrong credentials
        if not failed:
            throttle.succeeded(**keys)
    cookie = office_session.cookie_options(office_session.secure_cookies(request, settings))
    signed_in = RedirectResponse(values["next"], status_code=303)
    signed_in.set_cookie(
        office_session.SESSION_COOKIE, done.token, max_age=int(ttl.total_seconds()), **cookie
    )
    signed_in.delete_cookie(office_session.SIGN_IN_COOKIE, **cookie)
    signed_in.headers["Cache-Control"] = "no-store"
    return signed_in


@router.post("/office/sign-out")
async def sign_out(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Revoke the session's credential, clear the cookie, back to the sign-in form."""
    secret = request.cookies.get(office_session.SESSION_COOKIE, "")
    office = await office_session.load_session(db, settings, secret)
    if office is not None:
        form = await _read_form(request)
        if form is None or not office_session.token_matches(office.csrf, form.get("csrf")):
            return denied_page(
                request, office_language.negotiate(request), settings, signed_in=True
            )
        async with db.session(system=True) as session:
            await staff_service.logout(session, secret)
            await session.commit()
    response = RedirectResponse(f"{office_session.SIGN_IN}?signed_out=1", status_code=303)
    response.delete_cookie(
        office_session.SESSION_COOKIE,
        **office_session.cookie_options(office_session.secure_cookies(request, settings)),
    )
    response.headers["Cache-Control"] = "no-store"
    return response
