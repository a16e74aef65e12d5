"""Gateway ingest endpoint (docs/architecture.md): thin — reading, auth and the transaction only."""

from __future__ import annotations

from fastapi import APIRouter, Request

from crm.core import metrics
from crm.core.body import read_body
from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.core.models import utcnow
from crm.gateways.deps import (
    GatewayCredentials,
    check_token_first,
    enter_as_gateway,
    forget_token,
    upload_document,
)
from crm.ingest import service
from crm.ingest.schemas import IngestBatch, IngestResult

router = APIRouter(prefix="/api/v1/gateway", tags=["gateway"])


@router.post(
    "/events",
    response_model=IngestResult,
    **upload_document(
        IngestBatch.model_json_schema(),
        "A batch of proximity events",
        too_large="Inflated body or event count over the limit",
        invalid="Not an ingest batch",
    ),
)
async def post_events(
    request: Request, credentials: GatewayCredentials, db: DbDep, settings: SettingsDep
) -> IngestResult:
    """Store a batch: new events counted in ``accepted``, retried ones in ``duplicates``.

    The token comes first: an unknown one is looked up in a short query before the body is read
    (a bad token is a 401 whatever the body, and costs no inflation), while a token proven valid
    lately skips that look-up. Then the body is read (a slow upload holds no database
    connection), and the token is checked again, authoritatively, inside the batch's own
    transaction (one statement that also switches to the gateway's tenant), so a revoked token
    stops at once; body errors are answered after that check. Failed authentications are
    limited per client address (crm.core.ratelimit).
    """
    now = utcnow()
    digest = await check_token_first(request, credentials)
    body = b""
    body_problem: Problem | None = None
    try:
        body = await read_body(
            request.stream(),
            request.headers.get("content-encoding"),
            settings.ingest_max_body_bytes,
        )
    except Problem as exc:  # answered after the token's own check, like every body error
        body_problem = exc
    async with db.session(system=True) as session, session.begin():
        try:
            gateway = await enter_as_gateway(session, credentials)
        except Problem:
            forget_token(request, digest)
            raise
        if body_problem is not None:
            raise body_problem
        batch = service.parse_batch(body)
        source = service.Source(gateway.gateway_id, gateway.destination_id, gateway.site_id)
        result = await service.ingest_batch(session, source, batch, settings, now)
    metrics.record_ingest(result.accepted, result.duplicates, (r.reason for r in result.rejected))
    return result
