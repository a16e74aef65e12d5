"""Visits: site-level sessions built from stored proximity events, updated set-wise per batch.

A visit merges every gateway of a site: an event of visitor V at site S joins V's visit at S when
it falls within ``visit_gap_s`` of it (before its first or after its last sighting); otherwise
it opens a new visit, and the previous one, if still open, is closed at its last sighting.
``dwell_s`` is the longest of last - first sighting and the stay the gateways reported
(``dwell_s`` of an exit is the whole stay at that gateway). An exit that is the latest sighting
closes the visit; a later sighting within the gap reopens it.

Per batch: one statement takes transaction-level advisory locks on the (visitor, site) pairs in
a fixed order (so concurrent batches of two gateways of one site cannot both open a visit), one
reads the latest visit of each pair, and one upserts the changed visits and sends
``NOTIFY balise_visit, '{"visitor_id", "site_id", "visit_id", "state": "opened"|"closed"}'``
(delivered on commit) for the roadbook to react to.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

VISIT_CHANNEL = "balise_visit"


@dataclass(frozen=True, slots=True)
class Sighting:
    """A stored event of a consented visitor, as visits need it."""

    visitor_id: uuid.UUID
    observed_at: datetime
    kind: str
    dwell_s: int


@dataclass(slots=True)
class _Visit:
    id: uuid.UUID
    visitor_id: uuid.UUID
    first_seen_at: datetime
    last_seen_at: datetime
    dwell_s: int
    closed_at: datetime | None
    new: bool = False
    changed: bool = False
    notices: list[str] = field(default_factory=list)


def lock_key(visitor_id: uuid.UUID, site_id: uuid.UUID) -> int:
    """The advisory lock key of a (visitor, site) pair: a stable signed 64-bit hash."""
    digest = hashlib.blake2b(visitor_id.bytes + site_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _fits(visit: _Visit, at: datetime, gap: timedelta) -> bool:
    return visit.first_seen_at - gap <= at <= visit.last_seen_at + gap


def merge(latest: _Visit | None, sightings: list[Sighting], gap: timedelta) -> list[_Visit]:
    """Fold one visitor's sightings (any order) at one site into visits; returns those changed."""
    visits: list[_Visit] = [latest] if latest is not None else []
    for s in sorted(sightings, key=lambda s: s.observed_at):
        at = s.observed_at
        visit = next((v for v in reversed(visits) if _fits(v, at, gap)), None)
        if visit is None:
            if visits and visits[-1].closed_at is None and at > visits[-1].last_seen_at:
                previous = visits[-1]
                previous.closed_at = previous.last_seen_at
                previous.changed = True
                previous.notices.append("closed")
            visit = _Visit(uuid.uuid4(), s.visitor_id, at, at, 0, None, new=True, changed=True)
            visit.notices.append("opened")
            visits.append(visit)
        before = (visit.first_seen_at, visit.last_seen_at, visit.dwell_s, visit.closed_at)
        was_closed = visit.closed_at is not None
        is_latest = at >= visit.last_seen_at
        visit.first_seen_at = min(visit.first_seen_at, at)
        visit.last_seen_at = max(visit.last_seen_at, at)
        span = int((visit.last_seen_at - visit.first_seen_at).total_seconds())
        visit.dwell_s = max(visit.dwell_s, span, s.dwell_s)
        if is_latest:
            if s.kind == "exit":
                visit.closed_at = at
                if not was_closed:
                    visit.notices.append("closed")
            elif was_closed:
                visit.closed_at = None
                visit.notices.append("opened")
        # a sighting inside a visit's bounds that moves nothing costs no write
        if (visit.first_seen_at, visit.last_seen_at, visit.dwell_s, visit.closed_at) != before:
            visit.changed = True
    return [v for v in visits if v.changed]


# One index probe per visitor (LIMIT 1 under LATERAL): the plan stays the same whether
# PostgreSQL plans it custom or generic (psycopg prepares a statement after 5 runs, and the
# generic plan of a DISTINCT ON over a join read every visit of the site: ~40 ms a batch).
_LATEST = """
SELECT v.id, v.visitor_id, v.first_seen_at, v.last_seen_at, v.dwell_s, v.closed_at
FROM unnest(%(visitors)b::uuid[]) AS q(visitor_id)
CROSS JOIN LATERAL (
    SELECT id, visitor_id, first_seen_at, last_seen_at, dwell_s, closed_at
    FROM visit
    WHERE visitor_id = q.visitor_id AND site_id = %(site)b AND destination_id = %(dest)b
    ORDER BY last_seen_at DESC
    LIMIT 1
) AS v
"""

_UPSERT = """
WITH up AS (
    INSERT INTO visit (id, destination_id, visitor_id, site_id, first_seen_at, last_seen_at,
        dwell_s, closed_at)
    SELECT t.id, %(dest)b, t.visitor_id, %(site)b, t.first_seen_at, t.last_seen_at, t.dwell_s,
        t.closed_at
    FROM unnest(%(id)b::uuid[], %(visitor)b::uuid[], %(first)b::timestamptz[],
        %(last)b::timestamptz[], %(dwell)b::int[], %(closed)b::timestamptz[])
        AS t(id, visitor_id, first_seen_at, last_seen_at, dwell_s, closed_at)
    ON CONFLICT (id) DO UPDATE SET first_seen_at = excluded.first_seen_at,
        last_seen_at = excluded.last_seen_at, dwell_s = excluded.dwell_s,
        closed_at = excluded.closed_at
)
SELECT count(pg_notify(%(channel)b, n)) FROM unnest(%(notices)b::text[]) AS n
"""


async def record_sightings(
    conn: Any,
    destination_id: uuid.UUID,
    site_id: uuid.UUID,
    sightings: list[Sighting],
    gap_s: float,
) -> list[dict[str, str]]:
    """Update the visits of ``sightings`` at ``site_id``; returns the notifications sent.

    ``conn`` is the psycopg connection of the caller's tenant transaction.
    """
    by_visitor: dict[uuid.UUID, list[Sighting]] = defaultdict(list)
    for s in sightings:
        by_visitor[s.visitor_id].append(s)
    visitors = sorted(by_visitor, key=lambda v: v.int)  # UUID order, compared in C
    keys = sorted(lock_key(v, site_id) for v in visitors)
    latest: dict[uuid.UUID, _Visit] = {}
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%b::bigint[]) AS k", [keys]
        )
        # A new statement: its snapshot sees what the lock holders before us committed.
        await cur.execute(_LATEST, {"dest": destination_id, "site": site_id, "visitors": visitors})
        for row in await cur.fetchall():
            latest[row[1]] = _Visit(*row)
        gap = timedelta(seconds=gap_s)
        changed: list[_Visit] = []
        for visitor_id in visitors:
            changed.extend(merge(latest.get(visitor_id), by_visitor[visitor_id], gap))
        notices = [
            {
                "visitor_id": str(v.visitor_id),
                "site_id": str(site_id),
                "visit_id": str(v.id),
                "state": state,
            }
            for v in changed
            for state in v.notices
        ]
        await cur.execute(
            _UPSERT,
            {
                "dest": destination_id,
                "site": site_id,
                "id": [v.id for v in changed],
                "visitor": [v.visitor_id for v in changed],
                "first": [v.first_seen_at for v in changed],
                "last": [v.last_seen_at for v in changed],
                "dwell": [v.dwell_s for v in changed],
                "closed": [v.closed_at for v in changed],
                "channel": VISIT_CHANNEL,
                "notices": [json.dumps(n, separators=(",", ":")) for n in notices],
            },
        )
    return notices
