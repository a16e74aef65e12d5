"""Office API: the destination's partners and sites (admin writes; marketing and desk read)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from crm.destinations import service
from crm.destinations.schemas import (
    PartnerCreate,
    PartnerOut,
    PartnerUpdate,
    SiteCreate,
    SiteOut,
    SiteUpdate,
)
from crm.staff.deps import ADMIN, READ, STAFF_PROBLEMS, StaffDep, StaffSessionDep

router = APIRouter(prefix="/api/v1/office", tags=["office"])

ONE = {**STAFF_PROBLEMS, 404: {"description": "Not in this destination"}}
WRITES = {**ONE, 409: {"description": "The slug is taken"}}


@router.get("/sites", dependencies=READ, responses=STAFF_PROBLEMS)
async def list_sites(session: StaffSessionDep) -> list[SiteOut]:
    """The destination's sites, by name."""
    return [SiteOut.model_validate(s) for s in await service.list_sites(session)]


@router.post("/sites", status_code=201, dependencies=ADMIN, responses=WRITES)
async def create_site(body: SiteCreate, staff: StaffDep, session: StaffSessionDep) -> SiteOut:
    """Register a site (geo position, opening hours, wishes it serves, its partner)."""
    site = await service.create_site(session, staff.destination_id, body.model_dump())
    await session.commit()
    return SiteOut.model_validate(site)


@router.get("/sites/{site_id}", dependencies=READ, responses=ONE)
async def get_site(site_id: uuid.UUID, session: StaffSessionDep) -> SiteOut:
    """One site."""
    return SiteOut.model_validate(await service.get_site(session, site_id))


@router.patch("/sites/{site_id}", dependencies=ADMIN, responses=WRITES)
async def update_site(site_id: uuid.UUID, body: SiteUpdate, session: StaffSessionDep) -> SiteOut:
    """Change a site; only the fields sent change."""
    site = await service.update_site(session, site_id, body.changes())
    await session.commit()
    return SiteOut.model_validate(site)


@router.get("/partners", dependencies=READ, responses=STAFF_PROBLEMS)
async def list_partners(session: StaffSessionDep) -> list[PartnerOut]:
    """The destination's partner businesses, by name."""
    return [PartnerOut.model_validate(p) for p in await service.list_partners(session)]


@router.post("/partners", status_code=201, dependencies=ADMIN, responses=WRITES)
async def create_partner(
    body: PartnerCreate, staff: StaffDep, session: StaffSessionDep
) -> PartnerOut:
    """Register a partner business."""
    partner = await service.create_partner(session, staff.destination_id, body.slug, body.name)
    await session.commit()
    return PartnerOut.model_validate(partner)


@router.get("/partners/{partner_id}", dependencies=READ, responses=ONE)
async def get_partner(partner_id: uuid.UUID, session: StaffSessionDep) -> PartnerOut:
    """One partner."""
    return PartnerOut.model_validate(await service.get_partner(session, partner_id))


@router.patch("/partners/{partner_id}", dependencies=ADMIN, responses=WRITES)
async def update_partner(
    partner_id: uuid.UUID, body: PartnerUpdate, session: StaffSessionDep
) -> PartnerOut:
    """Rename a partner or change its slug."""
    partner = await service.update_partner(session, partner_id, body.model_dump(exclude_unset=True))
    await session.commit()
    return PartnerOut.model_validate(partner)
