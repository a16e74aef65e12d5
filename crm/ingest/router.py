"""Gateway ingest endpoint (DESIGN.md §4): thin — reading, auth and the transaction only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from crm.core import metrics
from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import PROBLEM_JSON, Problem
from crm.core.models import utcnow
from crm.gateways.deps import GatewayCredentials, enter_as_gateway, require_bearer
from crm.ingest import service
from crm.ingest.body import read_body
from crm.ingest.schemas import IngestBatch, IngestResult

router = APIRouter(prefix="/api/v1/gateway", tags=["gateway"])

_PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.post(
    "/events",
    response_model=IngestResult,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": IngestBatch.model_json_schema()},
            },
            "description": "A batch of proximity events (JSON, optionally Content-Encoding: gzip)",
        }
    },
    responses={
        400: {"description": "Not JSON or not valid gzip", **_PROBLEM},
        401: {"description": "No valid gateway token", **_PROBLEM},
        403: {"description": "gateway_id is not the token's gateway", **_PROBLEM},
        413: {"description": "Inflated body or event count over the limit", **_PROBLEM},
        422: {"description": "Not an ingest batch", **_PROBLEM},
    },
)
async def post_events(
    request: Request, credentials: GatewayCredentials, db: DbDep, settings: SettingsDep
) -> IngestResult:
    """Store a batch: new events counted in ``accepted``, retried ones in ``duplicates``.

    The token is checked inside the batch's own transaction (one statement that also switches
    to the gateway's tenant), not in a short session of its own. The body is read before it
    (a slow upload holds no database connection) but its errors wait for the token's: a bad
    token is a 401 whatever the body.
    """
    now = utcnow()
    require_bearer(credentials)  # no token at all: 401 before the body is even read
    body = b""
    body_problem: Problem | None = None
    try:
        body = await read_body(
            request.stream(),
            request.headers.get("content-encoding"),
            settings.ingest_max_body_bytes,
        )
    except Problem as exc:
        body_problem = exc
    async with db.session(system=True) as session, session.begin():
        gateway = await enter_as_gateway(session, credentials)
        if body_problem is not None:
            raise body_problem
        batch = service.parse_batch(body)
        source = service.Source(gateway.gateway_id, gateway.destination_id, gateway.site_id)
        result = await service.ingest_batch(session, source, batch, settings, now)
    metrics.record_ingest(result.accepted, result.duplicates, (r.reason for r in result.rejected))
    return result
