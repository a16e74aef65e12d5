"""The roadbook as an installable app, and the visitor's data rights as pages.

- ``GET /pwa/{asset}``: the page's stylesheet, script, icons and service worker (public files,
  kept a year by their versioned address; ``sw.js`` is revalidated and may control ``/r/``).
- ``GET /r/{token}/manifest.webmanifest``: the web app manifest; it starts at the roadbook.
- ``GET|POST /r/{token}/privacy``: "My data": consents (the ledger of ``crm.visitors``),
  download (``/r/{token}/export.json``), erasure (``crm.rights``), as plain forms.

The token in the address is the only credential, as for every ``/r/{token}`` URL: no cookie is
involved, so another site cannot make a browser post with the visitor's rights unless it knows
the token. The forms still refuse a post another site started (``Sec-Fetch-Site``, ``Origin``),
and erasing needs its confirmation box ticked.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.core.urls import public_url
from crm.core.vocabulary import CONSENT_SCOPES, LANGUAGE_NAMES, LANGUAGES
from crm.rights import service as rights
from crm.visitors import notice
from crm.visitors import service as visitors
from crm.visitors.consent import consent_state
from crm.visitors.deps import Token, VisitorDep
from crm.visitors.models import Visitor
from crm.visitors.pages import SCOPE_LABELS
from roadbook.i18n import message
from roadbook.pwa import assets
from roadbook.pwa.page import HEADERS, templates
from roadbook.pwa.texts import language_of, page_texts, text

router = APIRouter(tags=["roadbook app"])

MANIFEST = "application/manifest+json"
Asset = Annotated[str, Path(max_length=64, description="A file of the roadbook app")]
Lang = Annotated[str | None, Query(max_length=8, description="fr, en, de or nl")]
YEAR = "public, max-age=31536000, immutable"


@router.get(
    "/pwa/{asset}",
    response_class=Response,
    responses={
        200: {"content": {"text/css": {}, "text/javascript": {}, "image/png": {}}},
        404: {"description": "No such file"},
    },
)
async def static_file(asset: Asset) -> Response:
    """A static file of the roadbook page (stylesheet, script, icons, service worker)."""
    found = assets.assets().get(asset)
    if found is None:
        raise Problem(404, "Not Found", f"no file {asset!r}")
    if asset == assets.SERVICE_WORKER:
        headers = {
            # Checked at every start: a deploy reaches phones at their next visit.
            "Cache-Control": "no-cache",
            "Service-Worker-Allowed": assets.SCOPE,
            # A worker runs under its script's policy: it fetches this origin's pages only.
            "Content-Security-Policy": "default-src 'self'",
        }
    else:
        headers = {"Cache-Control": YEAR}
    return Response(found.body, media_type=found.media_type, headers=headers)


async def _destination(session: AsyncSession, visitor: Visitor) -> Destination:
    destination = await session.get(Destination, visitor.destination_id)
    assert destination is not None  # a visitor's destination outlives its visitors
    return destination


@router.get(
    "/r/{token}/manifest.webmanifest",
    response_class=JSONResponse,
    responses={
        200: {"content": {MANIFEST: {"schema": {"type": "object"}}}},
        404: {"description": "Unknown or revoked token"},
    },
)
async def manifest(token: Token, visitor: VisitorDep, db: DbDep) -> JSONResponse:
    """The web app manifest of the visitor's roadbook (its address holds the token: no-store)."""
    async with db.session(visitor.destination_id) as session:
        destination = await _destination(session, visitor)
    language = language_of(visitor.language)
    home = f"/r/{token}"
    icons: list[dict[str, str]] = [
        {
            "src": assets.url(name),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }
        for name, size, purpose in (
            ("icon-192.png", 192, "any"),
            ("icon-512.png", 512, "any"),
            ("icon-maskable-512.png", 512, "maskable"),
        )
    ]
    icons.append({"src": assets.url("icon.svg"), "sizes": "any", "type": "image/svg+xml"})
    document: dict[str, Any] = {
        "id": home,
        "name": message("roadbook_title", language, destination=destination.name),
        "short_name": text("short_name", language),
        "lang": language,
        "dir": "ltr",
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "theme_color": assets.THEME,
        "background_color": assets.BACKGROUND,
        "icons": icons,
    }
    return JSONResponse(document, media_type=MANIFEST, headers={"Cache-Control": "no-store"})


def _from_elsewhere(request: Request, settings: Settings) -> bool:
    """Whether the browser says another site started this post (a page of ours never does).

    ``Sec-Fetch-Site`` says it whatever the referrer policy; without it (older browsers), an
    ``Origin`` that is not ours. Our pages send no Referer, so their posts carry ``Origin:
    null``: that is not a refusal.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return False
    own = {_origin(settings.public_url), _origin(str(request.base_url))}
    return _origin(origin) not in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


async def _render(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    visitor: Visitor,
    token: str,
    language: str,
    *,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    destination = await _destination(session, visitor)
    state = consent_state(await visitors.consent_ledger(session, visitor.id))
    shown = notice.render(
        language,
        retention_days=settings.retention_days_after_stay,
        inactivity_days=settings.profile_inactivity_days,
    )
    home = public_url(settings, f"/r/{token}")
    ui = _ui(language)
    context = {
        "lang": language,
        "ui": ui,
        "destination": destination.name,
        "home": home,
        "action": f"{home}/privacy",
        "export": f"{home}/export.json",
        "scopes": [
            (scope, SCOPE_LABELS[scope][language], shown.scopes[scope], state[scope])
            for scope in CONSENT_SCOPES
        ],
        "errors": errors or {},
        "saved": saved,
    }
    return templates.TemplateResponse(
        request, "privacy.html", context, status_code=status_code, headers=HEADERS
    )


def _ui(language: str) -> dict[str, Any]:
    ui: dict[str, Any] = page_texts(language)
    ui["languages"] = [(code, LANGUAGE_NAMES[code], code == language) for code in LANGUAGES]
    ui["css"] = assets.url("roadbook.css")
    ui["js"] = assets.url("roadbook.js")
    ui["icon"] = assets.url("icon.svg")
    ui["apple_icon"] = assets.url("apple-touch-icon.png")
    ui["theme"] = assets.THEME
    return ui


@router.get(
    "/r/{token}/privacy",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown or revoked token"}},
)
async def privacy_page(
    request: Request,
    token: Token,
    visitor: VisitorDep,
    db: DbDep,
    settings: SettingsDep,
    lang: Lang = None,
    saved: Annotated[bool, Query(description="Say the choices were saved")] = False,
) -> HTMLResponse:
    """My data: my consents (to change), my data to download, erasing everything."""
    language = language_of(lang or visitor.language)
    async with db.session(visitor.destination_id) as session:
        return await _render(request, session, settings, visitor, token, language, saved=saved)


@router.post(
    "/r/{token}/privacy",
    response_class=HTMLResponse,
    responses={
        303: {"description": "Choices saved: back to the page"},
        403: {"description": "Posted from another site: nothing changed"},
        404: {"description": "Unknown or revoked token"},
        422: {"description": "The form again, with a message next to the field"},
    },
)
async def privacy_form(
    request: Request, token: Token, visitor: VisitorDep, db: DbDep, settings: SettingsDep
) -> Response:
    """Save my consent choices (``action=consents``) or erase me (``action=erase`` with
    ``confirm=yes``); anything else shows the form again with a message, changing nothing."""
    form = await request.form()
    raw_language = form.get("lang")
    language = language_of(raw_language if isinstance(raw_language, str) else visitor.language)
    action = form.get("action")
    async with db.session(visitor.destination_id) as session:
        if _from_elsewhere(request, settings):
            errors = {"form": text("cross_site", language)}
            return await _render(
                request, session, settings, visitor, token, language, errors=errors, status_code=403
            )
        if action == "consents":
            chosen = [value for value in form.getlist("consents") if isinstance(value, str)]
            if any(scope not in CONSENT_SCOPES for scope in chosen):
                errors = {"consents": text("bad_choice", language)}
                return await _render(
                    request, session, settings, visitor, token, language,
                    errors=errors, status_code=422,
                )  # fmt: skip
            state = consent_state(await visitors.consent_ledger(session, visitor.id))
            for scope in CONSENT_SCOPES:
                if state[scope] != (scope in chosen):
                    await visitors.record_consent(session, visitor, scope, scope in chosen)
            await session.commit()
            back = public_url(settings, f"/r/{token}/privacy?lang={language}&saved=true#choices")
            return RedirectResponse(back, status_code=303, headers={"Cache-Control": "no-store"})
        if action == "erase" and form.get("confirm") == "yes":
            await rights.erase_visitor(session, visitor, by="visitor")
            await session.commit()
            return templates.TemplateResponse(
                request, "erased.html", {"lang": language, "ui": _ui(language)}, headers=HEADERS
            )
        key = "confirm" if action == "erase" else "form"
        errors = {key: text("erase_unconfirmed" if key == "confirm" else "bad_choice", language)}
        return await _render(
            request, session, settings, visitor, token, language, errors=errors, status_code=422
        )
