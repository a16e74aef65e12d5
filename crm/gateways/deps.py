"""Authentication of gateways: a bearer token that maps to exactly one gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.credentials import Credential, granting, live_sql, token_hash
from crm.core.db import APP_ROLE, driver_connection, sets_its_own_role
from crm.core.deps import get_db
from crm.core.errors import Problem, problems
from crm.core.models import utcnow
from crm.core.ratelimit import BearerGuard
from crm.gateways.models import Gateway

_bearer = HTTPBearer(auto_error=False, description="The gateway's token (crm gateway add)")


def upload_document(
    schema: dict[str, Any], what: str, *, too_large: str, invalid: str
) -> dict[str, Any]:
    """The OpenAPI of a gateway's upload (events, heartbeat), read by ``crm.core.body.read_body``
    (FastAPI never sees the body): ``openapi_extra`` and ``responses``, as route keywords."""
    return {
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schema}},
                "description": f"{what} (JSON, optionally Content-Encoding: gzip)",
            }
        },
        "responses": problems(
            {
                400: "Not JSON or not valid gzip",
                401: "No valid gateway token",
                403: "gateway_id is not the token's gateway",
                413: too_large,
                422: invalid,
            }
        ),
    }


@dataclass(frozen=True, slots=True)
class GatewayPrincipal:
    """Who is calling: a gateway, its destination and its site."""

    gateway_id: str
    destination_id: uuid.UUID
    site_id: uuid.UUID


def _unauthorized() -> Problem:
    return Problem(
        401,
        "Unauthorized",
        "a valid gateway token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def gateway_for_token(
    session: AsyncSession, credentials: HTTPAuthorizationCredentials | None
) -> GatewayPrincipal:
    """The gateway behind the bearer token, looked up in ``session`` (a system one), or 401."""
    unauthorized = _unauthorized()
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized
    row = (
        await session.execute(
            select(col(Gateway.id), col(Gateway.destination_id), col(Gateway.site_id))
            .join(Credential, col(Credential.subject) == Gateway.id)
            .where(
                granting(credentials.credentials, "gateway", utcnow()),
            )
        )
    ).one_or_none()
    if row is None:
        raise unauthorized
    return GatewayPrincipal(gateway_id=row[0], destination_id=row[1], site_id=row[2])


GatewayCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

# The look-up and the switch to the gateway's tenant in one statement: ``set_config`` in the
# select list runs only for the matching row, and takes effect from the next statement on.
_ENTER = f"""
SELECT g.id, g.destination_id, g.site_id,
    set_config('role', %(role)b, true),
    set_config('app.destination_id', g.destination_id::text, true)
FROM credential AS c JOIN gateway AS g ON g.id = c.subject
WHERE c.token_hash = %(hash)b AND c.kind = 'gateway' AND {live_sql("c", "%(now)b")}
"""  # noqa: S608 (constant text: live_sql of literals)


def require_bearer(credentials: HTTPAuthorizationCredentials | None) -> str:
    """The bearer token, or 401 when there is none."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized()
    return credentials.credentials


async def enter_as_gateway(
    session: AsyncSession, credentials: HTTPAuthorizationCredentials | None
) -> GatewayPrincipal:
    """Authenticate in ``session`` (a system one, in a transaction), then become its tenant, or 401.

    One round trip instead of a short session of its own (checkout, ping, begin, role, select,
    end): on success the rest of the transaction runs as ``balise_app`` under the gateway's
    destination (RLS on), exactly as a tenant session; on 401 nothing was switched.
    """
    token = require_bearer(credentials)
    with sets_its_own_role(session):  # the statement enters the tenant
        conn = driver_connection(await session.connection())
        async with conn.cursor() as cur:
            await cur.execute(
                _ENTER, {"hash": token_hash(token), "now": utcnow(), "role": APP_ROLE}, binary=True
            )
            row = await cur.fetchone()
    if row is None:
        raise _unauthorized()
    session.info["system"] = False
    session.info["destination_id"] = row[1]
    return GatewayPrincipal(gateway_id=row[0], destination_id=row[1], site_id=row[2])


def _guard(request: Request) -> BearerGuard:
    guard: BearerGuard | None = getattr(request.app.state, "gateway_auth", None)
    if guard is None:  # an app built without crm.core.ratelimit.install: trust nothing
        guard = request.app.state.gateway_auth = BearerGuard(None)
    return guard


async def check_token_first(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> bytes:
    """401 for a missing or wrong token before anything costly is done; the token's hash.

    A token proven valid lately (crm.core.ratelimit.BearerGuard, in this process) skips the
    look-up: the hot path stays one statement, and the caller's own check in its transaction
    (``enter_as_gateway``) still refuses a token revoked since. Any other token is looked up
    in a short session of its own before the request body is read or inflated.
    """
    digest = token_hash(require_bearer(credentials))
    guard = _guard(request)
    if not guard.trusted(digest):
        async with get_db(request).session(system=True) as session:
            await gateway_for_token(session, credentials)
        guard.trust(digest)
    return digest


def forget_token(request: Request, digest: bytes) -> None:
    """A token ``check_token_first`` trusted failed its transaction's check: stop trusting it."""
    _guard(request).distrust(digest)
