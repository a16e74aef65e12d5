"""The visitor behind a roadbook token: the only credential of ``/r/{token}/...`` URLs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path

from crm.core.deps import DbDep
from crm.core.errors import Problem
from crm.core.tenancy import Destination
from crm.visitors import service
from crm.visitors.models import Visitor

Token = Annotated[
    str, Path(min_length=20, max_length=128, description="The visitor's roadbook token")
]


@dataclass(frozen=True, slots=True)
class Seat:
    """The visitor behind a token, and their destination (read with the token)."""

    visitor: Visitor
    destination: Destination


async def current_seat(db: DbDep, token: Token) -> Seat:
    """The visitor behind a live roadbook token and their destination, or 404 (never saying
    whether it existed). One statement: a roadbook request reads both.

    The look-up session is closed before the handler opens its tenant session.
    """
    async with db.session(system=True) as session:
        found = await service.roadbook_seat(session, token)
    if found is None:
        raise Problem(404, "Not Found", "no roadbook at this address")
    return Seat(*found)


SeatDep = Annotated[Seat, Depends(current_seat)]


async def current_visitor(seat: SeatDep) -> Visitor:
    """The visitor behind a live roadbook token, or 404 (never saying whether it existed)."""
    return seat.visitor


VisitorDep = Annotated[Visitor, Depends(current_visitor)]
