"""Fleet endpoints (docs/architecture.md): heartbeat, remote config, enrolment; the office's config
edit.

Thin: reading, auth and the transaction; the logic is in :mod:`crm.fleet.service`,
the models in :mod:`crm.fleet.schemas`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from crm.core.body import read_body
from crm.core.deps import DbDep, SettingsDep, get_db
from crm.core.errors import Problem, problems
from crm.core.models import utcnow
from crm.fleet import service
from crm.fleet.schemas import (
    ConfigOverride,
    EnrollIn,
    EnrollOut,
    GatewayConfigDocument,
    HeartbeatAck,
    HeartbeatIn,
    OfficeGatewayConfig,
)
from crm.gateways.deps import GatewayPrincipal, gateway_for_token, upload_document
from crm.staff.deps import ADMIN, StaffSessionDep

router = APIRouter(prefix="/api/v1/gateway", tags=["gateway"])
office_router = APIRouter(prefix="/api/v1/office/gateways", tags=["office"])

HEARTBEAT_MAX_BYTES = 4 * 1024 * 1024
_bearer = HTTPBearer(auto_error=False, description="The gateway's token (crm gateway add)")


async def fleet_gateway(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> GatewayPrincipal:
    """The calling gateway (401 otherwise), looked up in a session closed before the work."""
    async with get_db(request).session(system=True) as session:
        return await gateway_for_token(session, credentials)


FleetGatewayDep = Annotated[GatewayPrincipal, Depends(fleet_gateway)]


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema with ``$defs`` inlined (a ``#/$defs`` ref breaks inside OpenAPI)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            out = {key: resolve(value) for key, value in node.items()}
            if isinstance(out.get("discriminator"), dict):
                # mapping values are refs too; with inlined variants, propertyName suffices
                out["discriminator"] = {"propertyName": out["discriminator"]["propertyName"]}
            return out
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def _invalid(exc: ValidationError) -> Problem:
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    if any(e["type"] == "json_invalid" for e in errors):
        return Problem(400, "Bad Request", "the body is not JSON")
    return Problem(
        422, "Unprocessable Content", "The request does not match the schema.", errors=errors
    )


@router.post(
    "/heartbeat",
    response_model=HeartbeatAck,
    **upload_document(
        inline_schema(HeartbeatIn),
        "The gateway's health",
        too_large="Body too large",
        invalid="Not a heartbeat",
    ),
)
async def post_heartbeat(
    request: Request, gateway: FleetGatewayDep, db: DbDep, settings: SettingsDep
) -> HeartbeatAck:
    """Record the gateway's health and its passes' TLM; says whether its config is stale."""
    now = utcnow()
    body = await read_body(
        request.stream(), request.headers.get("content-encoding"), HEARTBEAT_MAX_BYTES
    )
    try:
        heartbeat = HeartbeatIn.model_validate_json(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    async with db.session(gateway.destination_id) as session, session.begin():
        return await service.record_heartbeat(
            session, gateway.gateway_id, heartbeat, now, max_events=settings.ingest_max_events
        )


@router.get(
    "/config",
    response_model=GatewayConfigDocument,
    responses={
        304: {"description": "If-None-Match matches the current ETag"},
        **problems({401: "No valid gateway token"}),
    },
)
async def get_config(
    gateway: FleetGatewayDep,
    db: DbDep,
    settings: SettingsDep,
    response: Response,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Any:
    """The gateway's remote config (``[scan] [presence] [advertise] [upload]``), with ETag."""
    async with db.session(gateway.destination_id) as session, session.begin():
        document, etag = await service.gateway_config(
            session, gateway.gateway_id, max_events=settings.ingest_max_events
        )
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if service.etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return document


@router.post(
    "/enroll",
    response_model=EnrollOut,
    responses=problems(
        {
            403: "Unknown, expired or used claim code",
            422: "Not a claim code",
            429: "Too many wrong codes from this address",
        }
    ),
)
async def post_enroll(
    request: Request, claim: EnrollIn, db: DbDep, settings: SettingsDep
) -> EnrollOut:
    """Exchange a one-time claim code for the gateway's id, token and config (no auth)."""
    now = utcnow()
    client = service.client_key(request.client.host if request.client else None)
    async with db.session(system=True) as session:
        outcome = await service.enroll(
            session, claim.code, client, now, max_events=settings.ingest_max_events
        )
        await session.commit()  # a refusal still counts towards the lockout
    if isinstance(outcome, service.Refused):
        raise outcome.problem
    return outcome


_OFFICE_ERRORS = problems(
    {
        401: "No valid staff token or session",
        403: "Not an admin",
        404: "No such gateway in this destination",
    }
)


@office_router.get(
    "/{gateway_id}/config",
    response_model=OfficeGatewayConfig,
    dependencies=ADMIN,
    responses=_OFFICE_ERRORS,
)
async def office_get_config(
    gateway_id: str, session: StaffSessionDep, settings: SettingsDep
) -> OfficeGatewayConfig:
    """A gateway's override, the document it is served and the version it last applied."""
    view = await service.office_config(session, gateway_id, max_events=settings.ingest_max_events)
    await session.commit()
    return view


@office_router.put(
    "/{gateway_id}/config",
    response_model=OfficeGatewayConfig,
    dependencies=ADMIN,
    responses={**_OFFICE_ERRORS, **problems({422: "Invalid override"})},
)
async def office_put_config(
    gateway_id: str, override: ConfigOverride, session: StaffSessionDep, settings: SettingsDep
) -> OfficeGatewayConfig:
    """Replace a gateway's override (only the keys to change); bumps its config version."""
    view = await service.set_override(
        session, gateway_id, override, max_events=settings.ingest_max_events
    )
    await session.commit()
    return view


@office_router.post(
    "/{gateway_id}/claim",
    dependencies=ADMIN,
    responses=_OFFICE_ERRORS,
)
async def office_new_claim(gateway_id: str, session: StaffSessionDep) -> dict[str, str]:
    """A new one-time claim code for an existing gateway (a new Pi, a replaced SD card)."""
    now = utcnow()
    code = await service.reissue_claim(session, gateway_id, now)
    await session.commit()
    return {"code": code, "expires_at": (now + service.CLAIM_TTL).isoformat()}
