"""Visitor URLs under ``/r/{token}``: the token is the only credential (no account, no cookie)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from crm.core.deps import DbDep
from crm.core.errors import Problem
from crm.visitors import service as visitors_service
from crm.visitors.models import Visitor
from roadbook.feeds import service

router = APIRouter(tags=["roadbook"])

Token = Annotated[
    str, Path(min_length=20, max_length=128, description="The visitor's roadbook token")
]


async def current_visitor(db: DbDep, token: Token) -> Visitor:
    """The visitor behind a roadbook token, or 404 (never saying whether it ever existed)."""
    async with db.session(system=True) as session:
        found = await visitors_service.roadbook_owner(session, token)
    if found is None:
        raise Problem(404, "Not Found", "no roadbook at this address")
    return found


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


@router.get(
    "/r/{token}/feed.json",
    response_class=JSONResponse,
    responses={404: {"description": "Unknown or revoked token"}},
)
async def feed(request: Request, db: DbDep, token: Token, visitor: VisitorDep) -> JSONResponse:
    """The visitor's roadbook as JSON Feed 1.1."""
    async with db.session(visitor.destination_id) as session:
        document: dict[str, Any] = await service.visitor_feed(
            session, visitor, str(request.base_url).rstrip("/"), token
        )
    return JSONResponse(document, media_type="application/feed+json")
