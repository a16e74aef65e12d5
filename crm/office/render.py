"""Rendering pages inside the office layout, for ``crm`` and for the packages above it.

Templates are looked up in ``crm/office/templates`` first, then in every directory added with
:func:`add_template_directory`; keep a package's templates under a folder of its name
(``roadbook/catalogue.html``) and extend ``office/layout.html``, whose ``content`` block is the
page's main region. A page handler then answers::

    @router.get("/office/catalogue", response_class=HTMLResponse)
    async def catalogue(request: Request, office: OfficeDep) -> HTMLResponse:
        return render_office_page(request, office, "roadbook/catalogue.html", {...},
                                  title="Catalogue")

A template may link its own files (``crm/office/assets.py``) in the layout's ``head`` block.
Every page gets ``lang``, ``ui`` (the shell's words), ``t`` (shell text with fields), ``office``
(the session), ``nav`` (the menu for the staff member's role), ``csrf`` (the hidden field every
POST form carries: ``<input type="hidden" name="csrf" value="{{ csrf }}">``), ``languages`` (the
language switch) and ``title``. Pages are never cached and remember a language picked with
``?lang=``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from crm.core.vocabulary import LANGUAGE_NAMES
from crm.office import language as office_language
from crm.office import nav, texts
from crm.office.session import OfficeSession, secure_cookies

TEMPLATES = Path(__file__).parent / "templates"
_loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES))])
templates = Jinja2Templates(
    env=Environment(loader=_loader, autoescape=select_autoescape(["html"]), auto_reload=False)
)


def add_template_directory(directory: Path) -> None:
    """Let office pages use templates from ``directory`` (adding it again is a no-op)."""
    wanted = str(directory)
    for loader in _loader.loaders:
        if isinstance(loader, FileSystemLoader) and wanted in loader.searchpath:
            return
    _loader.loaders = [*_loader.loaders, FileSystemLoader(wanted)]


def language_links(request: Request, current: str) -> list[dict[str, Any]]:
    """The language switch: this page in each language (its other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return [
        {
            "code": code,
            "name": name,
            "href": f"{request.url.path}?{urlencode([*params, ('lang', code)])}",
            "current": code == current,
        }
        for code, name in LANGUAGE_NAMES.items()
    ]


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    language: str,
    secure: bool,
    status_code: int = 200,
) -> HTMLResponse:
    """A shell page (signed in or not): never cached, the picked language remembered."""

    def t(key: str, **values: object) -> str:
        return texts.t(key, language, **values)

    full = {
        "lang": language,
        "ui": texts.ui(language),
        "t": t,
        "languages": language_links(request, language),
        "office": None,
        "nav": [],
        "title": "",
        **context,
    }
    response = templates.TemplateResponse(request, template, full, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    office_language.remember(request, response, secure)
    return response


def render_office_page(
    request: Request,
    office: OfficeSession,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    title: str,
    status_code: int = 200,
) -> HTMLResponse:
    """A page of a signed-in staff member inside the layout (menu, language switch, sign-out)."""
    language = office_language.negotiate(request)
    settings = request.app.state.settings
    return render(
        request,
        template,
        {
            "office": office,
            "role_label": texts.role_label(office.staff.role, language),
            "nav": nav.links_for(office.staff.role, language, request.url.path),
            "csrf": office.csrf,
            "title": title,
            **(context or {}),
        },
        language=language,
        secure=secure_cookies(request, settings),
        status_code=status_code,
    )
