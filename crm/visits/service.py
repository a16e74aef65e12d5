"""Visits: site-level sessions built from stored proximity events, updated set-wise.

A visit merges every gateway of a site: an event of visitor V at site S joins V's visit at S when
it falls within ``visit_gap_s`` of it (before its first or after its last sighting); otherwise
it opens a new visit, and the previous one, if still open, is closed at its last sighting.
``dwell_s`` is the longest of last - first sighting and the stay the gateways reported
(``dwell_s`` of an exit is the whole stay at that gateway). An exit that is the latest sighting
closes the visit; a later sighting within the gap reopens it.

Visits are merged by the follower (``crm.visits.follower``) from the sightings ingest queued,
many batches at a time. Per site: one statement takes a transaction-level advisory lock on the
site (so two mergers cannot both open a visit; the follower takes sites in sorted order, so two
followers cannot deadlock) and locks the visitors that still exist against erasure, one reads
the latest visit of each pair, and one upserts the changed visits and sends one
``pg_notify('balise_visit', payload)`` per change of a visit's state, in the follower's
transaction (so delivered only if it commits), for the roadbook to react to (``roadbook/live``:
the welcome card). The payload is a small JSON object, ~230 bytes whatever the batch
(PostgreSQL refuses payloads over 8000 bytes)::

    {"destination_id": "...", "visitor_id": "...", "site_id": "...", "visit_id": "...",
     "state": "opened", "at": "2026-12-03T10:15:02.250000Z"}

``state`` is ``opened`` for a new visit (a new row: the visitor entered the site), ``reopened``
when a sighting within the gap reopens a visit an exit had closed, ``closed`` when an exit (or
a sighting past the gap, which opens the next visit) ends one; ``at`` is the sighting that
changed it. One notification per change rather than one per site with a list: each stays
self-contained and far under the limit however many visits a run opens, a listener parses one
small object per visitor it may have to tell, and the cost is measured (docs/live.md § Cost).

The merge runs on every stored event, so it computes in plain ints and strs: times in
microseconds since the Unix epoch (exact, converted by PostgreSQL), ids in their text form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from crm.core.db import Read, array_literal

VISIT_CHANNEL = "balise_visit"

_EPOCH_DAY = date(1970, 1, 1)

# SQL: a timestamptz as microseconds since the Unix epoch, and back (both exact)
EPOCH_US = "(extract(epoch FROM {}) * 1000000)::bigint"
FROM_EPOCH_US = "(timestamptz 'epoch' + {} * interval '1 microsecond')"


@dataclass(frozen=True, slots=True)
class Sightings:
    """One visitor's stored events at one site, in time order (parallel lists)."""

    observed_us: list[int]  # microseconds since the Unix epoch, ascending
    kinds: list[str]
    dwell_s: list[int]


@dataclass(slots=True)
class _Visit:
    id: str
    visitor_id: str
    first_us: int
    last_us: int
    dwell_s: int
    closed_us: int | None
    changed: bool = False
    # What happened to it in this merge, in order ("opened", "reopened", "closed"), and when
    # (microseconds since the Unix epoch of the sighting that did it), in parallel.
    notices: list[str] = field(default_factory=list)
    notice_us: list[int] = field(default_factory=list)

    def notice(self, state: str, at_us: int) -> None:
        self.notices.append(state)
        self.notice_us.append(at_us)


@lru_cache(maxsize=64)
def _day(days: int) -> str:
    return (_EPOCH_DAY + timedelta(days=days)).isoformat()


def rfc3339_us(us: int) -> str:
    """Microseconds since the Unix epoch as an RFC 3339 UTC time (exact).

    Arithmetic and one cached date: ~3x faster than ``datetime.strftime``, on every notice.
    """
    days, rest = divmod(us, 86_400_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{micro:06d}Z"


def merge(
    latest: _Visit | None, visitor_id: str, sightings: Sightings, gap_us: int
) -> list[_Visit]:
    """Fold one visitor's sightings at one site into visits; returns the visits changed."""
    visits: list[_Visit] = [latest] if latest is not None else []
    for at, kind, dwell_s in zip(
        sightings.observed_us, sightings.kinds, sightings.dwell_s, strict=True
    ):
        visit = None
        for candidate in reversed(visits):
            if candidate.first_us - gap_us <= at <= candidate.last_us + gap_us:
                visit = candidate
                break
        if visit is None:
            if visits and visits[-1].closed_us is None and at > visits[-1].last_us:
                previous = visits[-1]
                previous.closed_us = previous.last_us
                previous.changed = True
                previous.notice("closed", previous.last_us)
            visit = _Visit(str(uuid.uuid4()), visitor_id, at, at, 0, None, changed=True)
            visit.notice("opened", at)
            visits.append(visit)
        before = (visit.first_us, visit.last_us, visit.dwell_s, visit.closed_us)
        was_closed = visit.closed_us is not None
        is_latest = at >= visit.last_us
        visit.first_us = min(visit.first_us, at)
        visit.last_us = max(visit.last_us, at)
        span_s = (visit.last_us - visit.first_us) // 1_000_000
        visit.dwell_s = max(visit.dwell_s, span_s, dwell_s)
        if is_latest:
            if kind == "exit":
                visit.closed_us = at
                if not was_closed:
                    visit.notice("closed", at)
            elif was_closed:
                visit.closed_us = None
                visit.notice("reopened", at)
        # a sighting inside a visit's bounds that moves nothing costs no write
        if (visit.first_us, visit.last_us, visit.dwell_s, visit.closed_us) != before:
            visit.changed = True
    return [v for v in visits if v.changed]


# The site's advisory lock first (an InitPlan: taken once), then the visitors that still exist,
# locked against erasure (which takes them FOR UPDATE before it deletes their visits) until the
# merge commits. One lock per site, not per (visitor, site) pair: a transaction's advisory locks
# live in PostgreSQL's shared lock table (max_locks_per_transaction x max_connections entries),
# and a claim of many large batches held more pairs than it has room for ("out of shared memory"
# on every retry: the queue stalled).
_LOCK = """
SELECT v.id::text
FROM visitor AS v
WHERE v.id = ANY(%(visitors)s::text[]::uuid[])
    AND (SELECT count(pg_advisory_xact_lock(hashtextextended('visits:' || %(site)s, 0)))) >= 0
ORDER BY v.id
FOR KEY SHARE OF v
"""

# One index probe per visitor (LIMIT 1 under LATERAL): the plan stays the same whether
# PostgreSQL plans it custom or generic (psycopg prepares a statement after 5 runs, and the
# generic plan of a DISTINCT ON over a join read every visit of the site: ~40 ms a batch).
_LATEST = f"""
SELECT v.id::text, v.visitor_id::text, {EPOCH_US.format("v.first_seen_at")},
    {EPOCH_US.format("v.last_seen_at")}, v.dwell_s, {EPOCH_US.format("v.closed_at")}
FROM unnest(%(visitors)s::uuid[]) AS q(visitor_id)
CROSS JOIN LATERAL (
    SELECT id, visitor_id, first_seen_at, last_seen_at, dwell_s, closed_at
    FROM visit
    WHERE visitor_id = q.visitor_id AND site_id = %(site)s AND destination_id = %(dest)s
    ORDER BY last_seen_at DESC
    LIMIT 1
) AS v
"""  # noqa: S608 (constant fragments)

_UPSERT = f"""
WITH up AS (
    INSERT INTO visit (id, destination_id, visitor_id, site_id, first_seen_at, last_seen_at,
        dwell_s, closed_at)
    SELECT t.id, %(dest)s, t.visitor_id, %(site)s, {FROM_EPOCH_US.format("t.first_us")},
        {FROM_EPOCH_US.format("t.last_us")}, t.dwell_s, {FROM_EPOCH_US.format("t.closed_us")}
    FROM unnest(%(id)s::uuid[], %(visitor)s::uuid[], %(first)s::bigint[], %(last)s::bigint[],
        %(dwell)s::int[], %(closed)s::bigint[])
        AS t(id, visitor_id, first_us, last_us, dwell_s, closed_us)
    ON CONFLICT (id) DO UPDATE SET first_seen_at = excluded.first_seen_at,
        last_seen_at = excluded.last_seen_at, dwell_s = excluded.dwell_s,
        closed_at = excluded.closed_at
)
SELECT count(pg_notify(%(channel)s, n::text)) FROM json_array_elements(%(notices)s::json) AS n
"""  # noqa: S608 (constant fragments)


async def record_sightings(
    conn: Any,
    destination_id: uuid.UUID,
    site_id: uuid.UUID,
    sightings: dict[str, Sightings],
    gap_s: float,
) -> list[dict[str, str]]:
    """Merge ``sightings`` (by visitor id, as text) at ``site_id``; returns the notices sent.

    ``conn`` is the psycopg connection of the caller's transaction (the follower's). Sightings of
    visitors that no longer exist are dropped.
    """
    site = str(site_id)
    latest: dict[str, _Visit] = {}
    async with conn.cursor() as cur:
        await cur.execute(_LOCK, {"site": site, "visitors": array_literal(list(sightings))})
        # erased since their events were queued: nothing of theirs is kept
        existing = [row[0] for row in await cur.fetchall()]
        visitors = array_literal(existing)
        # A new statement: its snapshot sees what the lock holders before us committed.
        await cur.execute(_LATEST, {"dest": destination_id, "site": site_id, "visitors": visitors})
        for row in await cur.fetchall():
            latest[row[1]] = _Visit(*row)
        gap_us = round(gap_s * 1_000_000)
        changed: list[_Visit] = []
        for visitor_id in existing:
            changed.extend(merge(latest.get(visitor_id), visitor_id, sightings[visitor_id], gap_us))
        destination = str(destination_id)
        notices = [
            {
                "destination_id": destination,
                "visitor_id": v.visitor_id,
                "site_id": site,
                "visit_id": v.id,
                "state": state,
                "at": rfc3339_us(at_us),
            }
            for v in changed
            for state, at_us in zip(v.notices, v.notice_us, strict=True)
        ]
        await cur.execute(
            _UPSERT,
            {
                "dest": destination_id,
                "site": site_id,
                "id": array_literal([v.id for v in changed]),
                "visitor": array_literal([v.visitor_id for v in changed]),
                "first": array_literal([v.first_us for v in changed]),
                "last": array_literal([v.last_us for v in changed]),
                "dwell": array_literal([v.dwell_s for v in changed]),
                "closed": array_literal([v.closed_us for v in changed]),
                "channel": VISIT_CHANNEL,
                # one JSON array: each element's text is the payload, as written here
                "notices": json.dumps(notices, separators=(",", ":")),
            },
        )
    return notices


class LatestVisit(NamedTuple):
    """One of a visitor's latest visits with its site, as :func:`latest_read` reads it (no ORM
    objects: a roadbook reads up to 50 of them on every request). Times in UTC."""

    id: uuid.UUID
    site_id: uuid.UUID
    first_seen_at: datetime
    last_seen_at: datetime
    dwell_s: int
    closed_at: datetime | None
    slug: str
    name: str
    kind: str


_VISITORS_LATEST = """
SELECT v.id, v.site_id, v.first_seen_at, v.last_seen_at, v.dwell_s, v.closed_at,
    s.slug, s.name, s.kind
FROM visit AS v JOIN site AS s ON s.id = v.site_id
WHERE v.visitor_id = %(visitor)s
ORDER BY v.last_seen_at DESC
LIMIT %(limit)s
"""


def latest_read(visitor_id: uuid.UUID, limit: int) -> Read:
    """The statement reading the visitor's ``limit`` latest visits, newest first, for
    crm.core.db.read_together; :func:`latest_of` reads its rows."""
    return _VISITORS_LATEST, {"visitor": visitor_id, "limit": limit}


def latest_of(rows: Iterable[tuple[Any, ...]]) -> list[LatestVisit]:
    """The rows of :func:`latest_read` as visits, their times in UTC (as the models' columns
    give them, whatever the connection's time zone)."""
    return [
        LatestVisit(
            visit_id,
            site_id,
            first.astimezone(UTC),
            last.astimezone(UTC),
            dwell_s,
            closed.astimezone(UTC) if closed is not None else None,
            slug,
            name,
            kind,
        )
        for visit_id, site_id, first, last, dwell_s, closed, slug, name, kind in rows
    ]
