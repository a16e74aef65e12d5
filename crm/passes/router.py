"""Office API: the destination's beacon passes (list with health, put in stock).

Desk and admin register passes; marketing, desk and admin read. Handing a pass to a visitor
is the visitors domain's ``PATCH /api/v1/office/passes/{id}`` (it needs the visitor).
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlmodel import col

from crm.passes import service
from crm.passes.models import Device
from crm.passes.schemas import PassCreate, PassOut
from crm.staff.deps import DESK, READ, STAFF_PROBLEMS, StaffDep, StaffSessionDep

router = APIRouter(prefix="/api/v1/office", tags=["office"])


@router.get("/passes", dependencies=READ, responses=STAFF_PROBLEMS)
async def list_passes(staff: StaffDep, session: StaffSessionDep) -> list[PassOut]:
    """The destination's beacon passes with their last TLM health (no identity keys).

    Who holds a pass is personal data: desk and admin see ``visitor_id`` (the read is
    audited), marketing only ``assigned``.
    """
    rows = await session.execute(select(Device).order_by(col(Device.created_at), col(Device.id)))
    devices = rows.scalars().all()
    holder = staff.role in ("admin", "desk")
    if holder:
        held = sum(d.visitor_id is not None for d in devices)
        await staff.audit(session, "pass.list", held=held)
        await session.commit()
    return [PassOut.of(d, holder=holder) for d in devices]


@router.post(
    "/passes",
    status_code=201,
    dependencies=DESK,
    responses={**STAFF_PROBLEMS, 409: {"description": "Already registered"}},
)
async def register_pass(body: PassCreate, staff: StaffDep, session: StaffSessionDep) -> PassOut:
    """Put a static UID pass in stock (desk or admin); hand it out with PATCH."""
    namespace, instance = body.uid.lower().split(":")
    device = await service.register_uid_pass(session, staff.destination_id, namespace, instance)
    await session.commit()
    return PassOut.of(device)
