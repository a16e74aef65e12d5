"""Gateways: registration, tokens (shown once, stored hashed), rotation and revocation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core import credentials
from crm.core.errors import Problem
from crm.destinations.models import Site
from crm.gateways.models import Gateway


async def register_gateway(session: AsyncSession, name: str, site: Site) -> Gateway:
    """Gateway ``name`` at ``site``, with no credential yet (409 when the name is taken)."""
    if await session.get(Gateway, name) is not None:
        raise Problem(409, "Conflict", f"gateway {name!r} already exists")
    gateway = Gateway.model_validate(
        {"id": name, "destination_id": site.destination_id, "site_id": site.id}
    )
    session.add(gateway)
    await session.flush()
    return gateway


async def add_gateway(session: AsyncSession, name: str, site: Site) -> tuple[Gateway, str]:
    """Register gateway ``name`` at ``site``; returns it and its token (never stored in clear)."""
    gateway = await register_gateway(session, name, site)
    return gateway, await issue_token(session, gateway)


async def issue_token(session: AsyncSession, gateway: Gateway) -> str:
    """A new token for ``gateway``; earlier tokens stay valid until revoked (rotation)."""
    return await credentials.issue(session, "gateway", gateway.id, gateway.destination_id)


async def revoke_tokens(
    session: AsyncSession, gateway_id: str, *, keep: bytes | None = None
) -> int:
    """Revoke every token of a gateway (but the one hashed ``keep``); how many were live."""
    return await credentials.revoke(session, "gateway", subject=gateway_id, keep=keep)


async def list_gateways(session: AsyncSession) -> list[Gateway]:
    """Gateways visible to the session."""
    return list((await session.execute(select(Gateway).order_by(Gateway.id))).scalars().all())
