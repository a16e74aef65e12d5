"""What a visitor's event stream says: a welcome for each visit opened after its cursor.

The cursor is the key of the last visit the stream told (or the moment it started): the visit's
opening time (its first sighting, microseconds since the Unix epoch) and its id, written
``<first_us>_<uuid>``. It is every event's ``id:``, so a browser that reconnects sends it back
as ``Last-Event-ID`` and the stream resumes after it; a live notice, a resync and a reconnect all
read the visit table through :func:`welcomes_after`, so they cannot disagree.

A welcome is due for a visit that is still going on: not closed by an exit, and seen within the
visit gap (``Settings.visit_gap_s``; past it the next sighting opens a new visit). A visitor who
had already left, or a gateway that uploads hours late, gets no welcome for a stale visit.
Visits come in key order and the cursor only moves forward, so a visit that a late upload opens
*before* one already told is not told either: the welcome is about where the visitor is now.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.i18n import catalogue, translate
from crm.core.models import utcnow
from crm.visitors.models import Visitor

# How far back a stream opened without Last-Event-ID looks: a visit opened while the page was
# loading (or the few seconds before) is still welcomed.
FIRST_LOOK_BACK = timedelta(minutes=2)
# Welcomes read per query (a stream reads again until it has them all).
PAGE = 20

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(\d{1,19})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
_NIL = uuid.UUID(int=0)

# The stream's words (the welcome): service.toml, next to this file.
MESSAGES = catalogue(__name__)


@dataclass(frozen=True, order=True, slots=True)
class Cursor:
    """A visit's key: opening time (microseconds since the Unix epoch), then id."""

    first_us: int
    visit_id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.first_us}_{self.visit_id}"

    @classmethod
    def parse(cls, value: str | None) -> Cursor | None:
        """A cursor this module wrote, else ``None`` (a stale or foreign ``Last-Event-ID``)."""
        match = _CURSOR.fullmatch((value or "").strip())
        if match is None:
            return None
        return cls(int(match[1]), uuid.UUID(match[2]))

    @classmethod
    def at(cls, moment: datetime) -> Cursor:
        """Before every visit opened at or after ``moment``."""
        return cls(microseconds(moment), _NIL)


def microseconds(moment: datetime) -> int:
    """``moment`` as microseconds since the Unix epoch (exact)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def start_cursor(last_event_id: str | None, now: datetime | None = None) -> Cursor:
    """Where a stream starts: after the browser's ``Last-Event-ID``, else a little before now."""
    return Cursor.parse(last_event_id) or Cursor.at((now or utcnow()) - FIRST_LOOK_BACK)


@dataclass(frozen=True, slots=True)
class Welcome:
    """One ``welcome`` event: the visit's key (the event's id) and what the page shows."""

    cursor: Cursor
    site_name: str
    site_slug: str
    at: datetime
    message: str
    time: str  # ``at`` on the destination's clock, ``14:05``, as the page writes its times

    def data(self) -> dict[str, Any]:
        return {
            "kind": "enter",
            "site": {"name": self.site_name, "slug": self.site_slug},
            "message": self.message,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "time": self.time,
        }


def local_clock(at: datetime, timezone: str) -> str:
    """``at`` as ``HH:MM`` in ``timezone`` (the roadbook page's 24-hour times)."""
    local = at.astimezone(ZoneInfo(timezone))
    return f"{local.hour:02d}:{local.minute:02d}"


# Under the visitor's tenant (RLS): the visitor's own visits after the cursor, still going on.
# ix_visit_visitor_site finds the visitor's few visits.
_WELCOMES = text("""
SELECT v.id, (extract(epoch FROM v.first_seen_at) * 1000000)::bigint, v.first_seen_at,
    s.name, s.slug, d.timezone
FROM visit AS v
JOIN site AS s ON s.id = v.site_id
JOIN destination AS d ON d.id = v.destination_id
WHERE v.visitor_id = :visitor
    AND (v.first_seen_at, v.id)
        > (timestamptz 'epoch' + :after_us * interval '1 microsecond', :after_id)
    AND v.closed_at IS NULL
    AND v.last_seen_at >= :seen_since
ORDER BY v.first_seen_at, v.id
LIMIT :page
""")


async def welcomes_after(
    session: AsyncSession,
    visitor: Visitor,
    cursor: Cursor,
    gap_s: float,
    now: datetime | None = None,
) -> list[Welcome]:
    """The welcomes due to ``visitor`` after ``cursor``, in key order (at most ``PAGE``)."""
    now = now or utcnow()
    rows = await session.execute(
        _WELCOMES,
        {
            "visitor": visitor.id,
            "after_us": cursor.first_us,
            "after_id": cursor.visit_id,
            "seen_since": now - timedelta(seconds=gap_s),
            "page": PAGE,
        },
    )
    return [
        Welcome(
            Cursor(first_us, visit_id),
            name,
            slug,
            first_seen_at,
            translate(MESSAGES, "welcome", visitor.language, site=name),
            local_clock(first_seen_at, timezone),
        )
        for visit_id, first_us, first_seen_at, name, slug, timezone in rows
    ]
