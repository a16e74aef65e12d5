"""Visitor URLs under ``/r/{token}``: the token is the only credential (no account, no cookie)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from crm.core.deps import DbDep, SettingsDep
from crm.core.urls import public_url
from crm.visitors.deps import Token, VisitorDep
from roadbook.feeds import service
from roadbook.i18n import message

router = APIRouter(tags=["roadbook"])

JSON_FEED = "application/feed+json"
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
PAGE_TEXTS = ("empty", "my_data", "feed", "export")
NOT_CACHED = {"Cache-Control": "no-store"}
# The extension's documentation, served by every CRM (docs/feed.md links to the same file).
ABOUT = Path(__file__).parent / "about.md"
ABOUT_PATH = "/about/feed"
MARKDOWN = "text/markdown; charset=utf-8"


async def _roadbook(
    db: DbDep, settings: SettingsDep, token: str, visitor: VisitorDep
) -> dict[str, Any]:
    """The visitor's feed document, its links under the public URL."""
    async with db.session(visitor.destination_id) as session:
        return await service.visitor_feed(
            session,
            visitor,
            roadbook_url=public_url(settings, f"/r/{token}"),
            about_url=public_url(settings, ABOUT_PATH),
        )


@router.get(
    "/r/{token}/feed.json",
    response_class=JSONResponse,
    responses={
        200: {
            "description": f"The roadbook as a JSON Feed 1.1 document (`_balise` extension: "
            f"{ABOUT_PATH})",
            "content": {JSON_FEED: {"schema": {"type": "object"}}},
        },
        404: {"description": "Unknown or revoked token"},
    },
)
async def feed(db: DbDep, settings: SettingsDep, token: Token, visitor: VisitorDep) -> JSONResponse:
    """The visitor's roadbook as JSON Feed 1.1 (personal data: never cached)."""
    document = await _roadbook(db, settings, token, visitor)
    return JSONResponse(document, media_type=JSON_FEED, headers=NOT_CACHED)


@router.get(
    "/r/{token}",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown or revoked token"}},
)
async def page(
    request: Request, db: DbDep, settings: SettingsDep, token: Token, visitor: VisitorDep
) -> HTMLResponse:
    """The visitor's roadbook as a page: the feed's items, in the visitor's language."""
    document = await _roadbook(db, settings, token, visitor)
    ui = {key: message(f"page_{key}", visitor.language) for key in PAGE_TEXTS}
    return templates.TemplateResponse(
        request, "roadbook.html", {"feed": document, "ui": ui}, headers=NOT_CACHED
    )


@router.get(ABOUT_PATH, response_class=Response, responses={200: {"content": {MARKDOWN: {}}}})
async def about() -> Response:
    """What the feed's fields and its ``_balise`` extension mean (the feed's ``_balise.about``)."""
    return Response(ABOUT.read_bytes(), media_type=MARKDOWN)
