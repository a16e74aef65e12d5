"""Enrolment (desk and QR self-enrolment), the notice, and the consent ledger.

Who may do what: enrolling at the desk, reading a profile and changing consents for a visitor
standing at the counter are ``desk`` tasks (``admin`` too); ``marketing`` works on aggregates and
reads no individual profile. Every staff read or change of a visitor's data is audited.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.deps import DbDep, SettingsDep, get_settings
from crm.core.errors import Problem, problems
from crm.core.urls import public_url
from crm.core.vocabulary import Language
from crm.destinations import service as destinations_service
from crm.passes.models import Device
from crm.passes.schemas import PassAssign, PassOut
from crm.staff.deps import DeskStaff, StaffPrincipal, StaffSessionDep
from crm.visitors import notice, pages, service
from crm.visitors.consent import consent_state
from crm.visitors.deps import VisitorDep
from crm.visitors.models import Visitor
from crm.visitors.schemas import (
    ConsentChange,
    ConsentEntry,
    ConsentsOut,
    DeskEnrolmentIn,
    EnrolmentBase,
    EnrolmentOut,
    NoticeOut,
    SelfEnrolmentIn,
    TokenOut,
    VisitorOut,
)

router = APIRouter(tags=["visitors"])
# The server-rendered self-enrolment page rides on this router (no extra wiring in crm.main).
router.include_router(pages.router)

_VISITOR_ERRORS = problems({404: "Unknown or revoked roadbook token", 422: "Invalid choices"})
# A desk operation on one visitor (crm.rights answers the same, its 422 aside).
OFFICE_ERRORS = problems(
    {
        401: "No valid staff token or session",
        403: "The staff member's role does not allow this",
        404: "No such visitor in the staff member's destination",
        422: "Invalid input",
    }
)


def _no_store(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


@router.get("/api/v1/notice", responses=problems({404: "Unknown notice version"}))
async def get_notice(
    settings: SettingsDep,
    lang: Annotated[Language, Query(description="fr, en, de or nl")] = "fr",
    version: Annotated[str, Query(max_length=32)] = notice.CURRENT_VERSION,
) -> NoticeOut:
    """The enrolment notice to show before asking for consent (the current version by default)."""
    if not notice.is_known(version):
        raise Problem(404, "Not Found", f"no notice version {version!r}")
    shown = notice.render(
        lang,
        version,
        retention_days=settings.retention_days_after_stay,
        inactivity_days=settings.profile_inactivity_days,
    )
    return NoticeOut.model_validate(shown, from_attributes=True)


async def _enrol(
    session: AsyncSession,
    destination_id: uuid.UUID,
    body: EnrolmentBase,
    *,
    pass_uid: str | None,
    by: str,
) -> service.Enrolment:
    return await service.enrol(
        session,
        destination_id,
        language=body.language,
        wishes=body.wishes,
        consents=body.consents,
        pass_uid=pass_uid,
        stay_start=body.stay_start,
        stay_end=body.stay_end,
        adults=body.adults,
        children=body.children,
        accessibility=body.accessibility,
        notice_version=body.notice_version,
        by=by,
    )


def _enrolment_out(request: Request, enrolment: service.Enrolment) -> EnrolmentOut:
    return EnrolmentOut(
        visitor_id=enrolment.visitor.id,
        roadbook_token=enrolment.roadbook_token,
        roadbook_url=public_url(get_settings(request), f"/r/{enrolment.roadbook_token}"),
        notice_version=enrolment.notice_version,
    )


@router.post(
    "/api/v1/enrol",
    status_code=201,
    responses={**problems({404: "Unknown destination"}), 422: _VISITOR_ERRORS[422]},
)
async def self_enrol(
    body: SelfEnrolmentIn, request: Request, response: Response, db: DbDep
) -> EnrolmentOut:
    """Self-enrolment from the QR code at a site: returns the roadbook token, shown once."""
    async with db.session(system=True) as session:
        destination = await destinations_service.destination_by_slug(session, body.destination)
    if destination is None:
        raise Problem(404, "Not Found", f"no destination {body.destination!r}")
    async with db.session(destination.id) as session:
        enrolment = await _enrol(session, destination.id, body, pass_uid=None, by="visitor")
        await session.commit()
    _no_store(response)
    return _enrolment_out(request, enrolment)


@router.post("/api/v1/visitors", status_code=201, responses=OFFICE_ERRORS)
async def desk_enrol(
    body: DeskEnrolmentIn,
    request: Request,
    response: Response,
    staff: DeskStaff,
    session: StaffSessionDep,
) -> EnrolmentOut:
    """Enrolment at the desk (role desk): may hand over a static UID pass."""
    enrolment = await _enrol(
        session, staff.destination_id, body, pass_uid=body.pass_uid, by=staff.actor
    )
    await staff.audit(
        session, "visitor.enrol", enrolment.visitor.id, **{"pass": body.pass_uid is not None}
    )
    await session.commit()
    _no_store(response)
    return _enrolment_out(request, enrolment)


async def _consents_out(session: AsyncSession, visitor_id: uuid.UUID) -> ConsentsOut:
    ledger = await service.consent_ledger(session, visitor_id)
    return ConsentsOut(
        state=consent_state(ledger),
        ledger=[
            ConsentEntry(
                scope=c.scope,
                granted=c.granted,
                notice_version=c.notice_version,
                at=c.at,
                by=c.by,
            )
            for c in ledger
        ],
    )


@router.get("/r/{token}/consents", responses=_VISITOR_ERRORS)
async def my_consents(visitor: VisitorDep, db: DbDep, response: Response) -> ConsentsOut:
    """The visitor's consents: each scope's state and the whole ledger."""
    async with db.session(visitor.destination_id) as session:
        out = await _consents_out(session, visitor.id)
    _no_store(response)
    return out


@router.post("/r/{token}/consents", status_code=201, responses=_VISITOR_ERRORS)
async def change_my_consent(
    body: ConsentChange, visitor: VisitorDep, db: DbDep, response: Response
) -> ConsentsOut:
    """Give or withdraw a scope (appended to the ledger; a withdrawal of ``proximity`` applies
    from the next batch any gateway sends)."""
    async with db.session(visitor.destination_id) as session:
        await service.record_consent(
            session,
            visitor,
            body.scope,
            body.granted,
            by="visitor",
            notice_version=body.notice_version,
        )
        await session.commit()
        out = await _consents_out(session, visitor.id)
    _no_store(response)
    return out


async def office_visitor(
    session: AsyncSession, staff: StaffPrincipal, visitor_id: uuid.UUID
) -> Visitor:
    """The visitor of the staff member's destination, or 404."""
    found = await service.visitor_in(session, staff.destination_id, visitor_id)
    if found is None:
        raise Problem(404, "Not Found", "no such visitor")
    return found


@router.get("/api/v1/office/visitors/{visitor_id}", responses=OFFICE_ERRORS)
async def office_profile(
    visitor_id: uuid.UUID, staff: DeskStaff, session: StaffSessionDep, response: Response
) -> VisitorOut:
    """A visitor's profile (audited)."""
    visitor = await office_visitor(session, staff, visitor_id)
    ledger = await service.consent_ledger(session, visitor.id)
    await staff.audit(session, "visitor.read", visitor.id)
    await session.commit()
    _no_store(response)
    fields = visitor.model_dump(include=set(VisitorOut.model_fields) - {"consents"})
    return VisitorOut(**fields, consents=consent_state(ledger))


@router.get("/api/v1/office/visitors/{visitor_id}/consents", responses=OFFICE_ERRORS)
async def office_consents(
    visitor_id: uuid.UUID, staff: DeskStaff, session: StaffSessionDep, response: Response
) -> ConsentsOut:
    """A visitor's consent ledger (audited)."""
    visitor = await office_visitor(session, staff, visitor_id)
    out = await _consents_out(session, visitor.id)
    await staff.audit(session, "consents.read", visitor.id)
    await session.commit()
    _no_store(response)
    return out


@router.post(
    "/api/v1/office/visitors/{visitor_id}/consents", status_code=201, responses=OFFICE_ERRORS
)
async def office_change_consent(
    visitor_id: uuid.UUID,
    body: ConsentChange,
    staff: DeskStaff,
    session: StaffSessionDep,
    response: Response,
) -> ConsentsOut:
    """Record a consent given or withdrawn on the visitor's behalf (``by`` the staff member)."""
    visitor = await office_visitor(session, staff, visitor_id)
    await service.record_consent(
        session,
        visitor,
        body.scope,
        body.granted,
        by=staff.actor,
        notice_version=body.notice_version,
    )
    await staff.audit(
        session, "consents.change", visitor.id, scope=body.scope, granted=body.granted
    )
    await session.commit()
    out = await _consents_out(session, visitor.id)
    _no_store(response)
    return out


def _token_out(request: Request, token: str) -> TokenOut:
    return TokenOut(
        roadbook_token=token, roadbook_url=public_url(get_settings(request), f"/r/{token}")
    )


@router.post("/r/{token}/token", status_code=201, responses=_VISITOR_ERRORS)
async def reissue_my_token(
    visitor: VisitorDep, request: Request, db: DbDep, response: Response
) -> TokenOut:
    """Replace my roadbook address (if the link leaked): the old one stops working at once."""
    async with db.session(visitor.destination_id) as session:
        token = await service.reissue_roadbook_token(session, visitor)
        await service.touch(session, visitor)
        await session.commit()
    _no_store(response)
    return _token_out(request, token)


@router.post("/api/v1/office/visitors/{visitor_id}/token", status_code=201, responses=OFFICE_ERRORS)
async def office_reissue_token(
    visitor_id: uuid.UUID,
    request: Request,
    staff: DeskStaff,
    session: StaffSessionDep,
    response: Response,
) -> TokenOut:
    """A new roadbook address for a visitor who lost theirs (at the desk); old ones revoked."""
    visitor = await office_visitor(session, staff, visitor_id)
    token = await service.reissue_roadbook_token(session, visitor)
    await staff.audit(session, "token.reissue", visitor.id)
    await session.commit()
    _no_store(response)
    return _token_out(request, token)


@router.patch(
    "/api/v1/office/passes/{pass_id}",
    tags=["office"],
    responses={
        **OFFICE_ERRORS,
        **problems(
            {
                404: "No such pass in the staff member's destination",
                422: "Invalid body or unknown visitor",
            }
        ),
    },
)
async def assign_pass(
    pass_id: uuid.UUID, body: PassAssign, staff: DeskStaff, session: StaffSessionDep
) -> PassOut:
    """Hand a pass to a visitor of the destination, or take it back (desk or admin; audited)."""
    before = await session.get(Device, pass_id)
    previous = before.visitor_id if before is not None else None
    device = await service.assign_pass(session, pass_id, body.visitor_id)
    for visitor_id, action in ((previous, "pass.return"), (body.visitor_id, "pass.assign")):
        if visitor_id is not None and previous != body.visitor_id:
            await staff.audit(session, action, visitor_id, **{"pass": str(device.id)})
    await session.commit()
    return PassOut.of(device)
