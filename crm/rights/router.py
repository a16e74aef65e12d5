"""Access / portability (``export.json``) and erasure, for the visitor and for office staff.

The visitor acts through their roadbook token; staff with the ``desk`` role (or ``admin``)
answer requests made at the desk or by mail. Every staff export is audited; a visitor's own
export is audited with actor ``visitor``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from crm.core.audit import audit
from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import problems
from crm.core.models import utcnow
from crm.rights import service
from crm.staff.deps import DeskStaff, StaffSessionDep
from crm.visitors import service as visitors_service
from crm.visitors.deps import VisitorDep
from crm.visitors.router import OFFICE_ERRORS, office_visitor

router = APIRouter(tags=["rights"])

_VISITOR_ERRORS = problems({404: "Unknown or revoked roadbook token"})
_OFFICE_ERRORS = {**OFFICE_ERRORS, **problems({422: "Invalid visitor id"})}
_EXPORT: dict[str, Any] = {
    "description": "Everything held about the visitor (JSON)",
    "content": {"application/json": {"schema": {"type": "object"}}},
}


def _export_response(document: dict[str, Any]) -> JSONResponse:
    filename = f"balise-export-{utcnow().date().isoformat()}.json"
    return JSONResponse(
        jsonable_encoder(document),
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@router.get(
    "/r/{token}/export.json",
    response_class=JSONResponse,
    responses={200: _EXPORT, **_VISITOR_ERRORS},
)
async def my_export(visitor: VisitorDep, db: DbDep, settings: SettingsDep) -> JSONResponse:
    """Everything held about me, in one JSON document (access and portability)."""
    async with db.session(visitor.destination_id) as session:
        await audit(session, visitor.destination_id, "visitor", "visitor.export", visitor.id)
        # Exporting one's data is an action of the visitor (it resets the inactivity clock).
        await visitors_service.touch(session, visitor)
        document = await service.export_visitor(session, visitor, settings)
        await session.commit()
    return _export_response(document)


@router.delete("/r/{token}", status_code=204, responses=_VISITOR_ERRORS)
async def erase_me(visitor: VisitorDep, db: DbDep) -> Response:
    """Erase me and everything about me; the roadbook address stops working at once."""
    async with db.session(visitor.destination_id) as session:
        await service.erase_visitor(session, visitor, by="visitor")
        await session.commit()
    return Response(status_code=204)


@router.get(
    "/api/v1/office/visitors/{visitor_id}/export.json",
    response_class=JSONResponse,
    responses={200: _EXPORT, **_OFFICE_ERRORS},
)
async def office_export(
    visitor_id: uuid.UUID, staff: DeskStaff, session: StaffSessionDep, settings: SettingsDep
) -> JSONResponse:
    """A visitor's full export, for a request made at the desk or by mail (audited)."""
    visitor = await office_visitor(session, staff, visitor_id)
    await staff.audit(session, "visitor.export", visitor.id)
    document = await service.export_visitor(session, visitor, settings)
    await session.commit()
    return _export_response(document)


@router.delete("/api/v1/office/visitors/{visitor_id}", status_code=204, responses=_OFFICE_ERRORS)
async def office_erase(
    visitor_id: uuid.UUID, staff: DeskStaff, session: StaffSessionDep
) -> Response:
    """Erase a visitor and everything about them (recorded in the erasure ledger, by whom)."""
    visitor = await office_visitor(session, staff, visitor_id)
    await service.erase_visitor(session, visitor, by=staff.actor)
    # Accountability without the id: the ledger entry says which pseudonymous id, and by whom.
    await staff.audit(session, "visitor.erase", None)
    await session.commit()
    return Response(status_code=204)
