"""Visitors: enrolment, passes, the consent ledger and roadbook tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import DateTime, String, Uuid, bindparam, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core import credentials
from crm.core.db import APP_ROLE, Read, sets_its_own_role
from crm.core.errors import Problem
from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.core.vocabulary import (
    ACCESSIBILITY,
    CONSENT_SCOPES,
    LANGUAGES,
    WISHES,
    parse_pass_uid,
    uid_identity,
)
from crm.passes.models import Device
from crm.visitors import notice
from crm.visitors.consent import granted_at
from crm.visitors.models import Consent, Visitor

NOTICE_VERSION = notice.CURRENT_VERSION
MAX_PARTY = 50
MAX_STAY_DAYS = 366


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A new visitor and the secret of their roadbook (shown once)."""

    visitor: Visitor
    roadbook_token: str
    notice_version: str = NOTICE_VERSION


async def enrol(
    session: AsyncSession,
    destination_id: uuid.UUID,
    *,
    language: str = "fr",
    wishes: Iterable[str] = (),
    consents: Iterable[str] = (),
    pass_uid: str | None = None,
    stay_start: date | None = None,
    stay_end: date | None = None,
    adults: int = 1,
    children: int = 0,
    accessibility: Iterable[str] = (),
    notice_version: str | None = None,
    by: str = "visitor",
    at: datetime | None = None,
) -> Enrolment:
    """Enrol a visitor with their choices; every consent given goes into the ledger.

    ``notice_version`` is the notice the visitor was shown (default: the current one); every
    consent given cites it. Everything is validated before anything is written.
    """
    wishes, consents = list(dict.fromkeys(wishes)), list(dict.fromkeys(consents))
    accessibility = list(dict.fromkeys(accessibility))
    notice_version = notice_version or NOTICE_VERSION
    if language not in LANGUAGES:
        raise Problem(
            422, "Unprocessable Content", f"language must be one of {', '.join(LANGUAGES)}"
        )
    if unknown := [w for w in wishes if w not in WISHES]:
        raise Problem(
            422,
            "Unprocessable Content",
            f"unknown wishes {unknown}; choose from {', '.join(WISHES)}",
        )
    if unknown := [c for c in consents if c not in CONSENT_SCOPES]:
        raise Problem(
            422,
            "Unprocessable Content",
            f"unknown consent scopes {unknown}; choose from {', '.join(CONSENT_SCOPES)}",
        )
    if unknown := [a for a in accessibility if a not in ACCESSIBILITY]:
        raise Problem(
            422,
            "Unprocessable Content",
            f"unknown accessibility needs {unknown}; choose from {', '.join(ACCESSIBILITY)}",
        )
    if not notice.is_known(notice_version):
        raise Problem(422, "Unprocessable Content", f"unknown notice version {notice_version!r}")
    if stay_start and stay_end and stay_end < stay_start:
        raise Problem(422, "Unprocessable Content", "the stay ends before it starts")
    if stay_start and stay_end and (stay_end - stay_start).days > MAX_STAY_DAYS:
        raise Problem(422, "Unprocessable Content", f"a stay lasts at most {MAX_STAY_DAYS} days")
    if not 0 <= adults <= MAX_PARTY or not 0 <= children <= MAX_PARTY or adults + children < 1:
        raise Problem(
            422,
            "Unprocessable Content",
            f"a party is 0 to {MAX_PARTY} adults and 0 to {MAX_PARTY} children, "
            "at least one person",
        )
    at = at or utcnow()
    # Raw events are kept until 30 days after the stay: a far-off end would keep them forever.
    if stay_end and stay_end > at.date() + timedelta(days=MAX_STAY_DAYS):
        raise Problem(
            422, "Unprocessable Content", f"the stay ends more than {MAX_STAY_DAYS} days from now"
        )
    try:
        namespace_instance = parse_pass_uid(pass_uid) if pass_uid else None
    except ValueError as exc:
        raise Problem(422, "Unprocessable Content", str(exc)) from None
    visitor = Visitor.model_validate(
        {
            "destination_id": destination_id,
            "language": language,
            "wishes": wishes,
            "stay_start": stay_start,
            "stay_end": stay_end,
            "adults": adults,
            "children": children,
            "accessibility": accessibility,
            "created_at": at,
            "last_action_at": at,
        }
    )
    session.add(visitor)
    await session.flush()
    for scope in consents:
        session.add(
            Consent(
                destination_id=destination_id,
                visitor_id=visitor.id,
                scope=scope,
                granted=True,
                notice_version=notice_version,
                at=at,
                by=by,
            )
        )
    if namespace_instance:
        await assign_uid_pass(session, visitor, *namespace_instance)
    token = await credentials.issue(session, "roadbook", str(visitor.id), destination_id)
    return Enrolment(visitor=visitor, roadbook_token=token, notice_version=notice_version)


async def assign_uid_pass(
    session: AsyncSession, visitor: Visitor, namespace: str, instance: str
) -> Device:
    """Give a visitor a static UID pass (reassigning a returned card to its new holder)."""
    identity = uid_identity(namespace, instance)
    device = (
        await session.execute(
            select(Device).where(
                col(Device.destination_id) == visitor.destination_id,
                col(Device.identity) == identity,
            )
        )
    ).scalar_one_or_none()
    if device is None:
        device = Device(
            destination_id=visitor.destination_id,
            kind="eddystone-uid",
            identity=identity,
            visitor_id=visitor.id,
        )
        session.add(device)
    else:
        device.visitor_id = visitor.id
    await session.flush()
    return device


async def record_consent(
    session: AsyncSession,
    visitor: Visitor,
    scope: str,
    granted: bool,
    by: str = "visitor",
    *,
    notice_version: str | None = None,
    at: datetime | None = None,
) -> Consent:
    """Append a consent given or withdrawn to the ledger (never updated in place).

    Ingest's consent gate reads the latest entry per scope, so a withdrawal committed here
    applies to the next batch ingested. Only the visitor's own changes count as their action
    (for the inactivity clock); staff changes are recorded with ``by`` = the staff member.
    """
    if scope not in CONSENT_SCOPES:
        raise Problem(422, "Unprocessable Content", f"unknown consent scope {scope!r}")
    notice_version = notice_version or NOTICE_VERSION
    if not notice.is_known(notice_version):
        raise Problem(422, "Unprocessable Content", f"unknown notice version {notice_version!r}")
    consent = Consent(
        destination_id=visitor.destination_id,
        visitor_id=visitor.id,
        scope=scope,
        granted=granted,
        notice_version=notice_version,
        at=at or utcnow(),
        by=by,
    )
    session.add(consent)
    if by == "visitor":
        await touch(session, visitor, consent.at)
    await session.flush()
    return consent


async def touch(session: AsyncSession, visitor: Visitor, at: datetime | None = None) -> None:
    """Record an action of the visitor themself (resets the 3-year inactivity clock)."""
    at = at or utcnow()
    if visitor.last_action_at < at:
        visitor.last_action_at = at
        await session.execute(
            update(Visitor)
            .where(col(Visitor.id) == visitor.id, col(Visitor.last_action_at) < at)
            .values(last_action_at=at)
        )


async def consent_ledger(session: AsyncSession, visitor_id: uuid.UUID) -> Sequence[Consent]:
    """The visitor's consent ledger in the order the consent rule reads it (the last decides)."""
    result = await session.execute(
        select(Consent)
        .where(col(Consent.visitor_id) == visitor_id)
        .order_by(col(Consent.at), col(Consent.granted).desc(), col(Consent.id))
    )
    return result.scalars().all()


# One scope's ledger for crm.core.db.read_together (a roadbook request reads the personalisation
# consent so, with its other reads, in one round trip); :func:`scope_granted` judges its rows.
_SCOPE_LEDGER = """
SELECT scope, granted, at FROM consent WHERE visitor_id = %(visitor)s AND scope = %(scope)s
"""


def scope_ledger_read(visitor_id: uuid.UUID, scope: str) -> Read:
    """The statement reading the visitor's ledger entries of ``scope`` (all of them)."""
    return _SCOPE_LEDGER, {"visitor": visitor_id, "scope": scope}


class _Entry(NamedTuple):
    scope: str
    granted: bool
    at: datetime


def scope_granted(rows: Iterable[tuple[str, bool, datetime]], scope: str) -> bool:
    """Whether the rows of :func:`scope_ledger_read` grant ``scope`` now: the consent rule
    (crm.visitors.consent.granted_at) over them."""
    return granted_at([_Entry(*row) for row in rows], scope)


async def reissue_roadbook_token(
    session: AsyncSession, visitor: Visitor, at: datetime | None = None
) -> str:
    """Revoke every roadbook token of ``visitor`` and issue a new one (returned, shown once).

    For a link that leaked, or one the visitor lost (then at the desk).
    """
    at = at or utcnow()
    await credentials.revoke(
        session, "roadbook", subject=str(visitor.id), destination_id=visitor.destination_id, now=at
    )
    return await credentials.issue(
        session, "roadbook", str(visitor.id), visitor.destination_id, now=at
    )


async def roadbook_owner(session: AsyncSession, token: str) -> Visitor | None:
    """The visitor a live roadbook token (not revoked, not expired) belongs to.

    Runs before the tenant is known, so ``session`` must be a system session.
    """
    found = await roadbook_seat(session, token)
    return found[0] if found is not None else None


# The credential's moment is a bound parameter: the statement is built once (every roadbook
# request starts with it). ``:token_hash`` and ``:now``.
_NOW: Any = bindparam("now", type_=DateTime(timezone=True))
_SEAT = (
    select(Visitor, Destination)
    .join(Destination, col(Destination.id) == col(Visitor.destination_id))
    .where(
        col(Visitor.id)
        == select(cast(col(credentials.Credential.subject), Uuid))
        .where(
            col(credentials.Credential.token_hash) == bindparam("token_hash"),
            col(credentials.Credential.kind) == "roadbook",
            credentials.live(_NOW),
        )
        .scalar_subquery()
    )
)


async def roadbook_seat(
    session: AsyncSession, token: str, now: datetime | None = None
) -> tuple[Visitor, Destination] | None:
    """:func:`roadbook_owner` and the visitor's destination, in one statement: the live
    credential is found by its hash (:func:`crm.core.credentials.granting`), in a subquery
    naming its subject.

    Runs before the tenant is known, so ``session`` must be a system session.
    """
    return await _seated(session, _SEAT, token, now)


async def _seated(
    session: AsyncSession, statement: Any, token: str, now: datetime | None
) -> tuple[Visitor, Destination] | None:
    """The visitor and destination ``statement`` (:data:`_SEAT` or :data:`_ENTER`) finds."""
    found = (
        await session.execute(
            statement, {"token_hash": credentials.token_hash(token), "now": now or utcnow()}
        )
    ).first()
    return None if found is None else (found[0], found[1])


# :data:`_SEAT` that also makes its transaction the visitor's tenant's: ``set_config`` in the
# select list runs only for the matching row, and takes effect from the next statement on (as
# crm.gateways.deps.enter_as_gateway does for a gateway).
_ENTER = _SEAT.add_columns(
    func.set_config("role", APP_ROLE, True),
    func.set_config("app.destination_id", cast(col(Visitor.destination_id), String), True),
)


async def enter_as_visitor(
    session: AsyncSession, token: str, now: datetime | None = None
) -> tuple[Visitor, Destination] | None:
    """:func:`roadbook_seat` in ``session`` (a system one, in a transaction), which then becomes
    the visitor's tenant session: one round trip instead of a short session of its own
    (checkout, ping, begin, role, select, end) before the tenant's. On success the rest of the
    transaction runs as ``balise_app`` under the visitor's destination (RLS on), exactly as a
    tenant session, and so do the session's later transactions; on None nothing was switched.
    """
    with sets_its_own_role(session):  # the statement enters the tenant
        found = await _seated(session, _ENTER, token, now)
    if found is not None:
        session.info["system"] = False
        session.info["destination_id"] = found[0].destination_id
    return found


async def visitor_in(
    session: AsyncSession, destination_id: uuid.UUID, visitor_id: uuid.UUID
) -> Visitor | None:
    """The visitor ``visitor_id`` of ``destination_id`` (None when absent or another tenant's)."""
    return (
        await session.execute(
            select(Visitor).where(
                col(Visitor.id) == visitor_id, col(Visitor.destination_id) == destination_id
            )
        )
    ).scalar_one_or_none()


async def assign_pass(
    session: AsyncSession, pass_id: uuid.UUID, visitor_id: uuid.UUID | None
) -> Device:
    """Hand a pass (visible to the session) to a visitor of the destination, or take it back."""
    device = await session.get(Device, pass_id)
    if device is None:
        raise Problem(404, "Not Found", f"no pass {pass_id}")
    if visitor_id is not None and await session.get(Visitor, visitor_id) is None:
        raise Problem(422, "Unprocessable Content", f"no visitor {visitor_id}")
    device.visitor_id = visitor_id
    session.add(device)
    await session.flush()
    return device
