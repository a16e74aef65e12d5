"""Visitor URLs under ``/r/{token}``: the token is the only credential (no account, no cookie)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from crm.core.deps import DbDep, SettingsDep
from crm.core.urls import public_url
from crm.visitors.deps import Token, VisitorDep
from roadbook.feeds import service

router = APIRouter(tags=["roadbook"])

JSON_FEED = "application/feed+json"


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
