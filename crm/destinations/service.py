"""Destinations, partners and sites."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.errors import Problem
from crm.destinations.models import Destination, Partner, Site


async def create_destination(
    session: AsyncSession, slug: str, name: str, timezone: str = "Europe/Paris"
) -> Destination:
    """Create a destination (a tenant)."""
    destination = Destination.model_validate({"slug": slug, "name": name, "timezone": timezone})
    session.add(destination)
    await session.flush()
    return destination


async def destination_by_slug(session: AsyncSession, slug: str) -> Destination | None:
    """The destination with this slug, if visible to the session."""
    result = await session.execute(select(Destination).where(col(Destination.slug) == slug))
    return result.scalar_one_or_none()


async def add_partner(
    session: AsyncSession, destination_id: uuid.UUID, slug: str, name: str
) -> Partner:
    """Register a partner business of the destination."""
    partner = Partner.model_validate({"destination_id": destination_id, "slug": slug, "name": name})
    session.add(partner)
    await session.flush()
    return partner


async def add_site(
    session: AsyncSession, destination_id: uuid.UUID, slug: str, name: str, **fields: Any
) -> Site:
    """Register a site (where a gateway stands)."""
    site = Site.model_validate(
        {"destination_id": destination_id, "slug": slug, "name": name, **fields}
    )
    session.add(site)
    await session.flush()
    return site


async def list_sites(
    session: AsyncSession, destination_id: uuid.UUID | None = None
) -> Sequence[Site]:
    """Sites visible to the session (one destination's, under RLS), by name."""
    query = select(Site).order_by(Site.name)
    if destination_id is not None:
        query = query.where(col(Site.destination_id) == destination_id)
    return (await session.execute(query)).scalars().all()


async def find_site(session: AsyncSession, slug_or_id: str) -> Site:
    """A site by slug or id; a clear error names what was not found."""
    condition = col(Site.slug) == slug_or_id
    with contextlib.suppress(ValueError):
        condition = or_(condition, col(Site.id) == uuid.UUID(slug_or_id))
    sites = (await session.execute(select(Site).where(condition))).scalars().all()
    if not sites:
        raise Problem(404, "Not Found", f"no site {slug_or_id!r}")
    if len(sites) > 1:
        raise Problem(
            409, "Conflict", f"{slug_or_id!r} names sites in several destinations: use its id"
        )
    return sites[0]
