"""The visitor behind a roadbook token: the only credential of ``/r/{token}/...`` URLs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession

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


def _unknown() -> Problem:
    return Problem(404, "Not Found", "no roadbook at this address")


async def current_seat(db: DbDep, token: Token) -> Seat:
    """The visitor behind a live roadbook token and their destination, or 404 (never saying
    whether it existed). One statement: a roadbook request reads both.

    The look-up session is closed before the handler opens its tenant session.
    """
    async with db.session(system=True) as session:
        found = await service.roadbook_seat(session, token)
    if found is None:
        raise _unknown()
    return Seat(*found)


SeatDep = Annotated[Seat, Depends(current_seat)]


async def current_visitor(seat: SeatDep) -> Visitor:
    """The visitor behind a live roadbook token, or 404 (never saying whether it existed)."""
    return seat.visitor


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


@dataclass(frozen=True, slots=True)
class Entered:
    """A session of the token's visitor's destination (RLS on), opened by the token's look-up
    itself, and who the visitor is."""

    session: AsyncSession
    seat: Seat


async def entered(db: DbDep, token: Token) -> AsyncIterator[Entered]:
    """The visitor behind a live roadbook token, or 404 as :func:`current_seat`; the session
    that looked the token up then serves as the visitor's tenant session (one statement both
    checks the token and enters the tenant: crm.visitors.service.enter_as_visitor), closed when
    the route returns. For the routes that read the roadbook on every visit."""
    async with db.session(system=True) as session:
        found = await service.enter_as_visitor(session, token)
        if found is None:
            raise _unknown()
        yield Entered(session, Seat(*found))


EnteredDep = Annotated[Entered, Depends(entered, scope="function")]
