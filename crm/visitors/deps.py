"""The visitor behind a roadbook token: the only credential of ``/r/{token}/...`` URLs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from crm.core.deps import DbDep
from crm.core.errors import Problem
from crm.visitors import service
from crm.visitors.models import Visitor

Token = Annotated[
    str, Path(min_length=20, max_length=128, description="The visitor's roadbook token")
]


async def current_visitor(db: DbDep, token: Token) -> Visitor:
    """The visitor behind a live roadbook token, or 404 (never saying whether it existed).

    The look-up session is closed before the handler opens its tenant session.
    """
    async with db.session(system=True) as session:
        found = await service.roadbook_owner(session, token)
    if found is None:
        raise Problem(404, "Not Found", "no roadbook at this address")
    return found


VisitorDep = Annotated[Visitor, Depends(current_visitor)]
