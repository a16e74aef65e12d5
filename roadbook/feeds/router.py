"""Visitor URLs under ``/r/{token}``: the token is the only credential (no account, no cookie)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
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


@router.get(
    "/r/{token}/feed.json",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "The roadbook as a JSON Feed 1.1 document (`_balise` extension)",
            "content": {JSON_FEED: {"schema": {"type": "object"}}},
        },
        404: {"description": "Unknown or revoked token"},
    },
)
async def feed(db: DbDep, settings: SettingsDep, token: Token, visitor: VisitorDep) -> JSONResponse:
    """The visitor's roadbook as JSON Feed 1.1."""
    async with db.session(visitor.destination_id) as session:
        document: dict[str, Any] = await service.visitor_feed(
            session, visitor, public_url(settings, f"/r/{token}")
        )
    return JSONResponse(document, media_type=JSON_FEED)


@router.get(
    "/r/{token}",
    response_class=HTMLResponse,
    responses={404: {"description": "Unknown or revoked token"}},
)
async def page(
    request: Request, db: DbDep, settings: SettingsDep, token: Token, visitor: VisitorDep
) -> HTMLResponse:
    """The visitor's roadbook as a page: the feed's items, in the visitor's language."""
    async with db.session(visitor.destination_id) as session:
        document = await service.visitor_feed(session, visitor, public_url(settings, f"/r/{token}"))
    ui = {key: message(f"page_{key}", visitor.language) for key in PAGE_TEXTS}
    return templates.TemplateResponse(request, "roadbook.html", {"feed": document, "ui": ui})
