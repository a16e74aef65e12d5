"""The destination's gateways as the office pages show them: site, state, last heartbeat.

States come from ``crm.fleet.jobs.classify`` (online, stale, offline, never), the rule the
fleet-health job and ``/metrics`` use, so every view of the fleet agrees.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.destinations import service as destinations_service
from crm.fleet.jobs import classify
from crm.gateways import service as gateways_service
from crm.office.session import OfficeSession

STATES = ("online", "stale", "offline", "never")


@dataclass(frozen=True, slots=True)
class GatewayRow:
    """One gateway of the list."""

    id: str
    site: str
    state: str
    last_heartbeat: str  # local time of the destination, "" when never heard
    version: str


def local_time(moment: datetime | None, timezone: str) -> str:
    """``moment`` as the destination's wall-clock time, ``YYYY-MM-DD HH:MM`` ("" for none)."""
    if moment is None:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


async def gateway_rows(
    db: Database, office: OfficeSession, settings: Settings, now: datetime | None = None
) -> list[GatewayRow]:
    """The destination's gateways by name (a tenant session: RLS keeps others out)."""
    now = now or utcnow()
    async with db.session(office.staff.destination_id) as session:
        gateways = await gateways_service.list_gateways(session)
        sites = {site.id: site.name for site in await destinations_service.list_sites(session)}
    rows = []
    for gateway in gateways:
        version = gateway.heartbeat.get("version") if isinstance(gateway.heartbeat, dict) else None
        rows.append(
            GatewayRow(
                id=gateway.id,
                site=sites.get(gateway.site_id, ""),
                state=classify(gateway.last_heartbeat_at, now, settings),
                last_heartbeat=local_time(gateway.last_heartbeat_at, office.timezone),
                version=str(version)[:40] if isinstance(version, str | int | float) else "",
            )
        )
    return rows


def state_counts(rows: list[GatewayRow]) -> dict[str, int]:
    """How many gateways are in each state (every state listed, zeros included)."""
    counts = Counter(row.state for row in rows)
    return {state: counts.get(state, 0) for state in STATES}
