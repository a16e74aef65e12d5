"""Office API: the destination's gateways (tokens shown once).

Admin writes; marketing and desk read. The gateways' own endpoints (heartbeat, config,
enrolment) and the office's remote-config edit live in ``crm/fleet/router.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path
from sqlalchemy.exc import IntegrityError

from crm.core.credentials import token_hash
from crm.core.deps import DbDep
from crm.core.errors import Problem
from crm.destinations.models import Site
from crm.gateways import service
from crm.gateways.models import Gateway
from crm.gateways.schemas import GatewayCreate, GatewayOut, GatewayToken, TokensRevoked
from crm.staff.deps import ADMIN, READ, STAFF_PROBLEMS, StaffDep, StaffSessionDep

router = APIRouter(prefix="/api/v1/office", tags=["office"])

ONE = {**STAFF_PROBLEMS, 404: {"description": "Not in this destination"}}
GatewayPath = Annotated[str, Path(max_length=64, description="The gateway's name")]


async def _gateway(session: StaffSessionDep, gateway_id: str) -> Gateway:
    gateway = await session.get(Gateway, gateway_id)  # RLS: other destinations' are invisible
    if gateway is None:
        raise Problem(404, "Not Found", f"no gateway {gateway_id!r}")
    return gateway


@router.get("/gateways", dependencies=READ, responses=STAFF_PROBLEMS)
async def list_gateways(session: StaffSessionDep) -> list[GatewayOut]:
    """The destination's gateways, by name."""
    return [GatewayOut.model_validate(g) for g in await service.list_gateways(session)]


@router.post(
    "/gateways",
    status_code=201,
    dependencies=ADMIN,
    responses={
        **STAFF_PROBLEMS,
        409: {"description": "The name is taken"},
        422: {"description": "Invalid body or unknown site"},
    },
)
async def create_gateway(body: GatewayCreate, session: StaffSessionDep) -> GatewayToken:
    """Register a gateway at a site; the response carries its token, shown this once."""
    site = await session.get(Site, body.site_id)
    if site is None:
        raise Problem(422, "Unprocessable Content", f"no site {body.site_id}")
    try:
        async with session.begin_nested():
            gateway, token = await service.add_gateway(session, body.id, site)
    except IntegrityError:  # the name is taken in another destination (invisible here)
        raise Problem(409, "Conflict", f"gateway {body.id!r} already exists") from None
    await session.commit()
    return GatewayToken(gateway=GatewayOut.model_validate(gateway), token=token)


@router.get("/gateways/{gateway_id}", dependencies=READ, responses=ONE)
async def get_gateway(gateway_id: GatewayPath, session: StaffSessionDep) -> GatewayOut:
    """One gateway."""
    return GatewayOut.model_validate(await _gateway(session, gateway_id))


@router.post("/gateways/{gateway_id}/token", dependencies=ADMIN, responses=ONE)
async def rotate_token(
    gateway_id: GatewayPath,
    staff: StaffDep,
    session: StaffSessionDep,
    db: DbDep,
    background: BackgroundTasks,
) -> GatewayToken:
    """Rotate: a new token (shown once); the older ones are revoked once this response is sent.

    The new token is committed before the response, the old ones revoked after it: a rotation
    whose response never arrives leaves the gateway with a working token.
    """
    gateway = await _gateway(session, gateway_id)
    token = await service.issue_token(session, gateway)
    await session.commit()

    async def revoke_older() -> None:
        async with db.session(staff.destination_id) as later:
            await service.revoke_tokens(later, gateway.id, keep=token_hash(token))
            await later.commit()

    background.add_task(revoke_older)
    return GatewayToken(gateway=GatewayOut.model_validate(gateway), token=token)


@router.delete("/gateways/{gateway_id}/token", dependencies=ADMIN, responses=ONE)
async def revoke_tokens(gateway_id: GatewayPath, session: StaffSessionDep) -> TokensRevoked:
    """Revoke every token of the gateway (it stops uploading until given a new one)."""
    gateway = await _gateway(session, gateway_id)
    revoked = await service.revoke_tokens(session, gateway.id)
    await session.commit()
    return TokensRevoked(gateway_id=gateway.id, revoked=revoked)
