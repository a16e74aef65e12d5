"""The office back-office's URLs, and how the shell plugs into the app.

- ``GET /office`` — home: who is signed in (role, destination, session end), the fleet at a
  glance, the other pages of the menu.
- ``GET /office/gateways`` — the destination's gateways, online or not from their heartbeats.
- ``GET /office/staff`` — the destination's staff accounts (admin).
- ``GET|POST /office/sign-in``, ``POST /office/sign-out`` — ``crm/office/signin.py``.
- ``GET /office/static/{package}/{name}`` — stylesheets, scripts and images of the pages
  (``crm/office/assets.py``; the page CSP allows nothing inline).

A page without a live session sends the browser to the sign-in form (303, coming back after);
a page the role does not allow answers a 403 page inside the layout.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.office import assets, fleet, nav, signin
from crm.office import language as office_language
from crm.office.render import render_office_page
from crm.office.session import (
    HOME,
    SIGN_IN,
    OfficeDep,
    OfficeForbidden,
    OfficeSession,
    SignInRequired,
    require_office_role,
)
from crm.office.texts import UI, role_label, state_labels, t
from crm.staff import service as staff_service

router = APIRouter(include_in_schema=False)
router.include_router(signin.router)

# The shell's own menu entries; other packages add theirs the same way (crm/office/nav.py).
MENU = (
    nav.NavEntry(key="home", path="/office", labels=UI["home"], order=0),
    nav.NavEntry(key="gateways", path="/office/gateways", labels=UI["gateways"], order=50),
    nav.NavEntry(
        key="staff", path="/office/staff", labels=UI["staff"], order=90, roles=frozenset({"admin"})
    ),
)


@router.get("/office", response_class=HTMLResponse)
async def home(
    request: Request, office: OfficeDep, db: DbDep, settings: SettingsDep
) -> HTMLResponse:
    """Who is signed in, the fleet at a glance, and where to go next."""
    language = office_language.negotiate(request)
    rows = await fleet.gateway_rows(db, office, settings)
    return render_office_page(
        request,
        office,
        "office/home.html",
        {
            "counts": fleet.state_counts(rows),
            "states": state_labels(language),
            "session_until": fleet.local_time(office.expires_at, office.timezone),
        },
        title=t("home", language),
    )


@router.get("/office/gateways", response_class=HTMLResponse)
async def gateways(
    request: Request, office: OfficeDep, db: DbDep, settings: SettingsDep
) -> HTMLResponse:
    """The destination's gateways with their state from the last heartbeat."""
    language = office_language.negotiate(request)
    return render_office_page(
        request,
        office,
        "office/gateways.html",
        {
            "rows": await fleet.gateway_rows(db, office, settings),
            "states": state_labels(language),
        },
        title=t("gateways", language),
    )


@router.get("/office/staff", response_class=HTMLResponse)
async def staff(
    request: Request,
    office: Annotated[OfficeSession, Depends(require_office_role("admin"))],
    db: DbDep,
) -> HTMLResponse:
    """The destination's staff accounts (admin only)."""
    language = office_language.negotiate(request)
    async with db.session(office.staff.destination_id) as session:
        users = await staff_service.list_staff(session)
    accounts = [
        {
            "name": user.name,
            "email": user.email,
            "role": role_label(user.role, language),
            "enabled": user.disabled_at is None,
        }
        for user in users
    ]
    return render_office_page(
        request,
        office,
        "office/staff.html",
        {"accounts": accounts},
        title=t("staff", language),
    )


@router.get("/office/static/{package}/{name}")
async def static(
    package: Annotated[str, PathParam(max_length=32)],
    name: Annotated[str, PathParam(max_length=80)],
) -> FileResponse:
    """A static file of the shell or of a package's office pages (``crm/office/assets.py``)."""
    path = assets.find(package, name)
    if path is None:
        raise Problem(404, "Not Found", f"no office file {package}/{name}")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=300"})


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = SIGN_IN
    if exc.next_path != HOME:
        target += "?" + urlencode({"next": exc.next_path})
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OfficeForbidden)
    language = office_language.negotiate(request)
    if exc.office is None:
        settings = request.app.state.settings
        return signin.denied_page(request, language, settings, signed_in=False)
    roles = ", ".join(role_label(role, language) for role in sorted(exc.roles or ()))
    return render_office_page(
        request,
        exc.office,
        "office/denied.html",
        {
            "message": t(
                "forbidden_role",
                language,
                roles=roles,
                role=role_label(exc.office.staff.role, language),
            ),
            "back": "/office",
            "back_label": t("back_home", language),
        },
        title=t("forbidden_title", language),
        status_code=403,
    )


def install(app: FastAPI) -> None:
    """Serve the office: its pages, and the answers of its two page outcomes (sign in first,
    403 page)."""
    for entry in MENU:
        nav.register(entry)
    app.include_router(router)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(OfficeForbidden, _forbidden)
