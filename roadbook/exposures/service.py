"""Recording what the roadbook shows and what the visitor follows (docs/roadbook-engine.md
§ Exposures).

A *showing* lasts :data:`SHOWING`: reloading the page within it records nothing new and does
not count against an offer's caps (a visitor who reloads does not see an offer vanish); the
next showing after it counts. Caps read the visitor's partner-offer exposures
(:attr:`History.for_caps`); fairness between partners reads the destination's recent offer
exposures per partner (:func:`partner_exposure`, an aggregate, no visitor).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.db import Read, on_driver, read_together
from crm.core.kept import Kept
from crm.ingest.schemas import rfc3339
from crm.visitors.models import Visitor
from roadbook.engine.inputs import Exposure as Shown
from roadbook.engine.output import Item
from roadbook.exposures.models import Click, Exposure

SHOWING = timedelta(minutes=30)
# Fairness between partners looks at this much of the destination's recent offer exposures,
# re-read at most every FAIRNESS_TTL_S seconds per process.
FAIRNESS_WINDOW = timedelta(days=7)
FAIRNESS_TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class History:
    """The visitor's exposures as the roadbook needs them."""

    # Items shown in the current showing (not recorded again, not counted by caps).
    current: frozenset[str]
    # Partner-offer exposures before the current showing, for the engine's caps.
    for_caps: tuple[Shown, ...]


# On every roadbook request: to the driver (crm.core.db.read_together), in the session's
# transaction (its role and tenant), ~0.4 ms less CPU than through SQLAlchemy's machinery.
_HISTORY = """
SELECT item_id, shown_at, partner_id, commercial FROM exposure
WHERE visitor_id = %(visitor)s AND (commercial IS true OR shown_at > %(since)s)
"""


def history_read(visitor_id: uuid.UUID, now: datetime) -> Read:
    """The statement of :func:`history` (for crm.core.db.read_together); :func:`history_of`
    reads its rows."""
    return _HISTORY, {"visitor": visitor_id, "since": now - SHOWING}


def history_of(rows: Iterable[tuple[Any, ...]], now: datetime) -> History:
    """:func:`history` from the rows of :func:`history_read`."""
    since = now - SHOWING
    current: set[str] = set()
    for_caps: list[Shown] = []
    for item_id, shown_at, partner_id, commercial in rows:
        if shown_at > since:
            current.add(item_id)
        elif commercial:
            partner = str(partner_id) if partner_id else None
            for_caps.append(Shown(item_id, shown_at.astimezone(UTC), partner, True))
    return History(frozenset(current), tuple(for_caps))


async def history(session: AsyncSession, visitor_id: uuid.UUID, now: datetime) -> History:
    """One indexed read: the visitor's offer exposures, and every exposure of this showing."""
    (rows,) = await read_together(session, [history_read(visitor_id, now)])
    return history_of(rows, now)


# A showing's new exposures in one statement (a visitor's first roadbook request of a showing
# records some 20): to the driver (crm.core.db.on_driver).
_RECORD = """
INSERT INTO exposure
    (destination_id, visitor_id, item_id, kind, section, partner_id, commercial, shown_at)
SELECT %(destination)s, %(visitor)s, t.item_id, t.kind, t.section, t.partner_id, t.commercial,
    %(at)s
FROM unnest(%(items)s::text[], %(kinds)s::text[], %(sections)s::text[], %(partners)s::uuid[],
    %(commercial)s::bool[]) WITH ORDINALITY AS t(item_id, kind, section, partner_id, commercial, n)
ORDER BY t.n
"""


async def record(
    session: AsyncSession,
    visitor: Visitor,
    items: Iterable[Item],
    seen: History,
    now: datetime,
) -> int:
    """Record the items shown that this showing has not recorded yet; how many."""
    new = [item for item in items if item.id not in seen.current]
    if new:
        shown = {
            "destination": visitor.destination_id,
            "visitor": visitor.id,
            "items": [item.id for item in new],
            "kinds": [item.kind for item in new],
            "sections": [item.section for item in new],
            "partners": [
                uuid.UUID(item.partner_id) if item.commercial and item.partner_id else None
                for item in new
            ],
            "commercial": [item.commercial for item in new],
            "at": now,
        }
        await on_driver(session, (_RECORD, shown))
    return len(new)


async def record_click(
    session: AsyncSession, visitor: Visitor, item_id: str, partner_id: str | None, now: datetime
) -> None:
    session.add(
        Click(
            destination_id=visitor.destination_id,
            visitor_id=visitor.id,
            item_id=item_id,
            partner_id=uuid.UUID(partner_id) if partner_id else None,
            clicked_at=now,
        )
    )


FAIRNESS: Kept[uuid.UUID, Mapping[str, int]] = Kept(FAIRNESS_TTL_S)


async def partner_exposure(
    session: AsyncSession, destination_id: uuid.UUID, now: datetime
) -> Mapping[str, int]:
    """How often each partner's offers were shown lately, destination-wide (cached)."""
    kept = FAIRNESS.get(destination_id)
    if kept is not None:
        return kept
    rows = await session.execute(
        select(col(Exposure.partner_id), func.count())
        .where(
            col(Exposure.destination_id) == destination_id,
            col(Exposure.commercial).is_(True),
            col(Exposure.shown_at) > now - FAIRNESS_WINDOW,
        )
        .group_by(col(Exposure.partner_id))
    )
    counts = {str(partner): count for partner, count in rows if partner is not None}
    return FAIRNESS.put(destination_id, counts)


async def export(session: AsyncSession, visitor: Visitor) -> Mapping[str, Any]:
    """The visitor's exposures and clicks, for their export (``visitor.export`` hook)."""
    shown = await session.scalars(
        select(Exposure)
        .where(col(Exposure.visitor_id) == visitor.id)
        .order_by(col(Exposure.shown_at), col(Exposure.id))
    )
    clicked = await session.scalars(
        select(Click)
        .where(col(Click.visitor_id) == visitor.id)
        .order_by(col(Click.clicked_at), col(Click.id))
    )
    return {
        "exposures": [
            {
                "item": exposure.item_id,
                "kind": exposure.kind,
                "section": exposure.section,
                "sponsored": exposure.commercial,
                "shown_at": rfc3339(exposure.shown_at),
            }
            for exposure in shown
        ],
        "clicks": [
            {"item": click.item_id, "clicked_at": rfc3339(click.clicked_at)} for click in clicked
        ],
    }


async def erase(
    session: AsyncSession, destination_id: uuid.UUID, visitor_ids: Sequence[uuid.UUID]
) -> None:
    """Delete the visitors' exposures and clicks (``visitor.erase`` hook; idempotent)."""
    for table in (Exposure, Click):
        await session.execute(
            delete(table).where(
                col(table.destination_id) == destination_id,
                col(table.visitor_id).in_(visitor_ids),
            )
        )
