"""Destinations, partners and sites."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.errors import Problem
from crm.core.tenancy import Destination
from crm.destinations.models import Partner, Site


async def create_destination(
    session: AsyncSession, slug: str, name: str, timezone: str = "Europe/Paris"
) -> Destination:
    """Create a destination (a tenant); a taken slug is a 409 and rolls back nothing else."""
    destination = Destination.model_validate({"slug": slug, "name": name, "timezone": timezone})
    await _flush_unique(session, destination, "destination")
    return destination


async def destination_by_slug(session: AsyncSession, slug: str) -> Destination | None:
    """The destination with this slug, if visible to the session."""
    result = await session.execute(select(Destination).where(col(Destination.slug) == slug))
    return result.scalar_one_or_none()


def change_embed_origins(
    destination: Destination, add: Sequence[str], remove: Sequence[str]
) -> list[str]:
    """Allow the origins ``add`` (checked: schemas.check_embed_origin) to embed the
    destination's widget, and ``remove`` no more; its origins after, in the order they were
    allowed. Removing an origin it does not allow is a 404 and changes nothing."""
    current = list(destination.embed_origins)
    unknown = [origin for origin in remove if origin not in current]
    if unknown:
        allowed = ", ".join(current) or "none"
        raise Problem(
            404,
            "Not Found",
            f"{destination.slug} does not allow {unknown[0]!r} (it allows: {allowed})",
        )
    kept = [origin for origin in current if origin not in remove]
    destination.embed_origins = kept + [o for o in dict.fromkeys(add) if o not in kept]
    return destination.embed_origins


async def list_destinations(session: AsyncSession) -> Sequence[Destination]:
    """Destinations visible to the session, by slug."""
    query = select(Destination).order_by(col(Destination.slug))
    return (await session.execute(query)).scalars().all()


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


async def find_site(
    session: AsyncSession, slug_or_id: str, destination: Destination | None = None
) -> Site:
    """A site by slug or id, in ``destination`` or any; errors say what to give instead.

    A slug may name sites of several destinations (each office has its "office" site): that is
    ambiguous without ``destination``, and the error names the destinations.
    """
    condition = col(Site.slug) == slug_or_id
    with contextlib.suppress(ValueError):
        condition = or_(condition, col(Site.id) == uuid.UUID(slug_or_id))
    query = (
        select(Site, col(Destination.slug))
        .join(Destination, col(Destination.id) == col(Site.destination_id))
        .where(condition)
        .order_by(col(Destination.slug))
    )
    if destination is not None:
        query = query.where(col(Site.destination_id) == destination.id)
    found = (await session.execute(query)).all()
    if not found:
        where = f" in destination {destination.slug!r}" if destination is not None else ""
        raise Problem(404, "Not Found", f"no site {slug_or_id!r}{where}")
    if len(found) > 1:
        names = ", ".join(slug for _, slug in found)
        raise Problem(
            409,
            "Conflict",
            f"{slug_or_id!r} names sites in several destinations ({names}): "
            "name one with --destination SLUG, or give the site's id",
        )
    site: Site = found[0][0]
    return site


# --- Office API (crm/destinations/router.py): reads and writes in a tenant session -----------


async def get_site(session: AsyncSession, site_id: uuid.UUID) -> Site:
    """A site visible to the session, or 404."""
    site = await session.get(Site, site_id)
    if site is None:
        raise Problem(404, "Not Found", f"no site {site_id}")
    return site


async def get_partner(session: AsyncSession, partner_id: uuid.UUID) -> Partner:
    """A partner visible to the session, or 404."""
    partner = await session.get(Partner, partner_id)
    if partner is None:
        raise Problem(404, "Not Found", f"no partner {partner_id}")
    return partner


async def list_partners(session: AsyncSession) -> Sequence[Partner]:
    """Partners visible to the session, by name."""
    return (await session.execute(select(Partner).order_by(Partner.name))).scalars().all()


async def _check_partner(session: AsyncSession, partner_id: uuid.UUID | None) -> None:
    # Foreign keys are checked without row-level security: make sure the partner is ours.
    if partner_id is not None and await session.get(Partner, partner_id) is None:
        raise Problem(422, "Unprocessable Content", f"no partner {partner_id}")


async def _flush_unique(
    session: AsyncSession,
    row: Destination | Site | Partner,
    what: str,
    changes: dict[str, Any] | None = None,
) -> None:
    # Changes are applied inside the savepoint, so a duplicate slug rolls back only them (and
    # the savepoint's autoflush cannot fail outside it).
    changes = changes or {}
    slug = changes.get("slug", row.slug)
    try:
        async with session.begin_nested():
            for name, value in changes.items():
                setattr(row, name, value)
            session.add(row)
            await session.flush()
    except IntegrityError:
        raise Problem(409, "Conflict", f"another {what} already has the slug {slug!r}") from None


async def create_site(
    session: AsyncSession, destination_id: uuid.UUID, fields: dict[str, Any]
) -> Site:
    """A new site (its slug unique in the destination, its partner one of the destination's)."""
    await _check_partner(session, fields.get("partner_id"))
    site = Site.model_validate({**fields, "destination_id": destination_id})
    await _flush_unique(session, site, "site")
    return site


async def update_site(session: AsyncSession, site_id: uuid.UUID, changes: dict[str, Any]) -> Site:
    """Apply ``changes`` (already validated) to a site."""
    site = await get_site(session, site_id)
    if "partner_id" in changes:
        await _check_partner(session, changes["partner_id"])
    await _flush_unique(session, site, "site", changes)
    return site


async def create_partner(
    session: AsyncSession, destination_id: uuid.UUID, slug: str, name: str
) -> Partner:
    """A new partner (slug unique in the destination)."""
    partner = Partner.model_validate({"destination_id": destination_id, "slug": slug, "name": name})
    await _flush_unique(session, partner, "partner")
    return partner


async def update_partner(
    session: AsyncSession, partner_id: uuid.UUID, changes: dict[str, Any]
) -> Partner:
    """Rename a partner or change its slug."""
    partner = await get_partner(session, partner_id)
    changes = {name: value for name, value in changes.items() if value is not None}
    await _flush_unique(session, partner, "partner", changes)
    return partner
