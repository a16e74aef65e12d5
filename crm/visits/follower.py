"""The visits follower: merges the sightings ingest queued into visits, exactly once.

Ingest stores a batch's events and, in the same transaction, one ``visit_queue`` row holding
the batch's stored sightings. The follower (a scheduler job, every second, on the leader) claims
queued rows in arrival order, merges their sightings per site with ``record_sightings`` (which
sends the ``balise_visit`` NOTIFYs) and deletes the rows, all in one transaction: a sighting is
merged once, a failed run leaves its rows for the next, and two followers (a leader handing
over) skip each other's rows. Merging many batches at once writes each visit once per run
instead of once per batch, and a gateway's upload never waits for visits.

Erasure strips an erased visitor's sightings from the queue (``forget``); a sighting queued by a
batch that resolved the pass just before the erasure committed is dropped by the follower, which
merges only visitors that still exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Uuid

from crm.core.db import Database, driver_connection
from crm.core.settings import Settings
from crm.visits.service import Sightings, record_sightings

# Queue rows (ingest batches) merged per transaction: up to ~100k sightings.
CLAIM_ROWS = 100

# Claims queued rows and returns their sightings by site and visitor, in time order (ties in
# arrival order: the queue row, then the place in that row).
_CLAIM = """
WITH claimed AS (
    DELETE FROM visit_queue
    WHERE id IN (SELECT id FROM visit_queue ORDER BY id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
    RETURNING id, destination_id, site_id, visitor_ids, observed_us, kinds, dwell_s
)
SELECT c.destination_id::text, c.site_id::text, s.visitor_id::text,
    array_agg(s.observed_us ORDER BY s.observed_us, c.id, s.n),
    array_agg(s.kind ORDER BY s.observed_us, c.id, s.n),
    array_agg(s.dwell_s ORDER BY s.observed_us, c.id, s.n)
FROM claimed AS c,
    unnest(c.visitor_ids, c.observed_us, c.kinds, c.dwell_s) WITH ORDINALITY
        AS s(visitor_id, observed_us, kind, dwell_s, n)
GROUP BY c.destination_id, c.site_id, s.visitor_id
"""


async def follow(db: Database, settings: Settings) -> int:
    """Job: merge every queued sighting into visits; returns how many it took off the queue."""
    merged = 0
    while True:
        async with db.session(system=True) as session, session.begin():
            conn = driver_connection(await session.connection())
            by_site: dict[tuple[str, str], dict[str, Sightings]] = {}
            async with conn.cursor() as cur:
                await cur.execute(_CLAIM, {"limit": CLAIM_ROWS})
                for (
                    destination_id,
                    site_id,
                    visitor_id,
                    observed_us,
                    kinds,
                    dwell_s,
                ) in await cur.fetchall():
                    by_site.setdefault((destination_id, site_id), {})[visitor_id] = Sightings(
                        observed_us, kinds, dwell_s
                    )
                    merged += len(observed_us)
            if not by_site:
                return merged
            for (destination_id, site_id), sightings in sorted(by_site.items()):
                await record_sightings(
                    conn,
                    uuid.UUID(destination_id),
                    uuid.UUID(site_id),
                    sightings,
                    settings.visit_gap_s,
                )


async def oldest_queued_age_s(session: AsyncSession, now: datetime) -> float:
    """Seconds the oldest queued batch has waited for the follower (0: the queue is empty)."""
    age = (
        await session.execute(
            text("SELECT extract(epoch FROM :now - min(queued_at)) FROM visit_queue"),
            {"now": now},
        )
    ).scalar()
    return max(0.0, float(age)) if age is not None else 0.0


_FORGET = text("""
UPDATE visit_queue AS q
SET (visitor_ids, observed_us, kinds, dwell_s) = (
    SELECT coalesce(array_agg(s.visitor_id ORDER BY s.n), '{}'),
        coalesce(array_agg(s.observed_us ORDER BY s.n), '{}'),
        coalesce(array_agg(s.kind ORDER BY s.n), '{}'),
        coalesce(array_agg(s.dwell_s ORDER BY s.n), '{}')
    FROM unnest(q.visitor_ids, q.observed_us, q.kinds, q.dwell_s)
        WITH ORDINALITY AS s(visitor_id, observed_us, kind, dwell_s, n)
    WHERE s.visitor_id <> ALL(:ids)
)
WHERE q.destination_id = :dest AND q.visitor_ids && :ids
""").bindparams(bindparam("ids", type_=ARRAY(Uuid())))


async def forget(session: AsyncSession, destination_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> int:
    """Strip these visitors' sightings from the queue (erasure); returns the rows changed."""
    result = await session.execute(_FORGET, {"dest": destination_id, "ids": list(ids)})
    return int(getattr(result, "rowcount", 0) or 0)
