"""Ingest of one gateway batch: validate, dedup, resolve, consent gate, store — in one transaction.

Python validates (pydantic, from the bytes) and decides what the gateway is told about each event
(rejections with reasons, duplicates inside the batch); PostgreSQL does the set work. The valid
events travel as one array literal per column (built from the validated events, so the
database only ever reads values Python accepted) to one statement, inside the batch's tenant
transaction (RLS on):

1. maps every identity to its device and visitor (UIDs by ``device.identity``, EIDs by the
   precomputed ``eid_window``);
2. applies the consent gate (``_CONSENT_GATE``) against each visitor's ``proximity`` ledger;
3. inserts the ids into the destination's ``ingested_event`` ledger (``ON CONFLICT DO NOTHING
   RETURNING id`` tells new from retried, race-safe; an id of another destination is new here),
   the new consented events into ``proximity_event`` and the rest, identity dropped, into
   ``presence_count`` — COPY is refused under row-level security, so it reads ``unnest`` of the
   column arrays instead;
4. queues the new stored sightings (one ``visit_queue`` row) for the visits follower
   (``crm.visits.follower``), which merges them into visits and sends the NOTIFYs in its own
   transaction: a batch never waits for visits, and the follower merges many batches at once.

Duplicate ids inside one batch count once (the extra copies count as duplicates), so
``accepted + duplicates + len(rejected) == len(events)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.db import array_literal, driver_connection
from crm.core.errors import Problem
from crm.core.settings import Settings
from crm.core.vocabulary import uid_identity
from crm.ingest.schemas import (
    EVENT,
    IngestBatch,
    IngestResult,
    ProximityEventIn,
    Rejection,
    RejectReason,
    reason_for,
)
from crm.visits.service import EPOCH_US

_EVENTS = TypeAdapter(list[ProximityEventIn])


class _ValidBatch(IngestBatch):
    """A batch whose every event is valid: the common case, validated from the bytes in one go.

    Unbounded on purpose: the count is checked against the server's limit afterwards (413).
    A length limit here would save nothing: pydantic stops at the first event over it, but
    then turns the whole input into Python objects for its error, which costs more than
    validating every event of the batch.
    """

    events: list[ProximityEventIn]


@dataclass(frozen=True, slots=True)
class Source:
    """Who sent the batch (the authenticated gateway)."""

    gateway_id: str
    destination_id: uuid.UUID
    site_id: uuid.UUID


def parse_batch(body: bytes) -> IngestBatch:
    """The batch envelope: 400 when the body is not JSON, 422 when it is not a batch.

    Events are validated here only when every one of them is valid; otherwise
    :func:`ingest_batch` counts them (413 past the limit) before it validates them one by one.
    """
    try:
        # Fast path (~3 ms of CPU less per 1,000 events): no intermediate Python objects.
        return _ValidBatch.model_validate_json(body)
    except ValueError:  # ValidationError included: the general path below decides
        pass
    try:
        data = from_json(body)
    except ValueError as exc:
        raise Problem(400, "Bad Request", f"the body is not valid JSON: {exc}") from None
    try:
        return IngestBatch.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise Problem(
            422, "Unprocessable Content", "the body is not an ingest batch", errors=errors
        ) from None


def _raw_id(raw: Any) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("id")
        if isinstance(value, str):
            return value[:64]
    return None


def _validate_events(raw_events: list[Any]) -> list[ProximityEventIn | Rejection]:
    """Every event validated; one bad event never sinks the batch."""
    try:
        return list(_EVENTS.validate_python(raw_events))
    except ValidationError:
        pass
    out: list[ProximityEventIn | Rejection] = []
    for raw in raw_events:
        try:
            out.append(EVENT.validate_python(raw))
        except ValidationError as exc:
            reason = RejectReason.MALFORMED
            if isinstance(raw, dict):
                reason = reason_for([dict(e) for e in exc.errors()])
            out.append(Rejection(id=_raw_id(raw), reason=reason))
    return out


# A visitor's ``proximity`` ledger summed up (``c``: its consent entries): whether it holds
# grants only, and the first of them.
_LEDGER = "c.visitor_id, bool_and(c.granted) AS always, min(c.at) AS since"

# docs/architecture.md, per event ``ev`` of visitor ``l.visitor_id``: stored when consent was
# granted at
# ``observed_at`` (the latest entry at or before it is a grant) and is not withdrawn now (the
# latest entry is a grant); at a tie the withdrawal wins. Most ledgers hold grants only: then
# whether ``observed_at`` is past the first grant decides, and the entries are not read again.
_CONSENT_GATE = """
CASE WHEN l.always THEN ev.observed_at >= l.since
ELSE coalesce((
        SELECT c.granted FROM consent AS c
        WHERE c.visitor_id = l.visitor_id AND c.scope = 'proximity' AND c.at <= ev.observed_at
        ORDER BY c.at DESC, c.granted
        LIMIT 1
    ), false)
    AND (
        SELECT c.granted FROM consent AS c
        WHERE c.visitor_id = l.visitor_id AND c.scope = 'proximity'
        ORDER BY c.at DESC, c.granted
        LIMIT 1
    )
END
"""

_STORE = f"""
WITH ev AS (
    SELECT t.id, t.observed_at, t.kind, t.uid,
        decode(t.eid, 'hex') AS eid, t.seq, t.rssi, t.distance_m, t.zone,
        round(t.dwell_s)::int AS dwell_s  -- whole seconds (gateways may send fractions)
    FROM unnest(%(id)s::uuid[], %(observed_at)s::timestamptz[], %(kind)s::text[],
        %(uid)s::text[], %(eid)s::text[], %(seq)s::bigint[], %(rssi)s::float8[],
        %(distance_m)s::float8[], %(zone)s::text[], %(dwell_s)s::float8[])
        AS t(id, observed_at, kind, uid, eid, seq, rssi, distance_m, zone, dwell_s)
),
hit AS (
    SELECT ev.id, d.id AS device_id, d.visitor_id
    FROM ev JOIN device AS d ON d.identity = ev.uid
    WHERE d.destination_id = %(dest)b AND d.visitor_id IS NOT NULL
    UNION ALL
    SELECT ev.id, d.id, d.visitor_id
    FROM ev JOIN eid_window AS w ON w.eid = ev.eid AND w.destination_id = %(dest)b
    JOIN device AS d ON d.id = w.device_id
    WHERE d.visitor_id IS NOT NULL
),
ledger AS (
    SELECT {_LEDGER}
    FROM consent AS c
    WHERE c.scope = 'proximity' AND c.visitor_id IN (SELECT visitor_id FROM hit)
    GROUP BY c.visitor_id
),
gated AS (
    SELECT hit.id, hit.device_id, hit.visitor_id
    FROM hit JOIN ev USING (id) JOIN ledger AS l USING (visitor_id)
    WHERE {_CONSENT_GATE}
),
new AS (
    INSERT INTO ingested_event (id, destination_id, gateway_id, ingested_at)
    SELECT id, %(dest)b, %(gateway)b, %(now)b FROM ev ORDER BY id
    ON CONFLICT (destination_id, id) DO NOTHING
    RETURNING id
),
stored AS (
    INSERT INTO proximity_event (id, observed_at, destination_id, received_at, gateway_id,
        site_id, device_id, visitor_id, seq, kind, rssi, distance_m, zone, dwell_s)
    SELECT ev.id, ev.observed_at, %(dest)b, %(now)b, %(gateway)b, %(site)b, g.device_id,
        g.visitor_id, ev.seq, ev.kind, ev.rssi, ev.distance_m, ev.zone, ev.dwell_s
    FROM ev JOIN new USING (id) JOIN gated AS g USING (id)
    -- Stored events are keyed by (id, observed_at) across destinations (a partitioned table's
    -- key must hold the partition key, not necessarily the tenant). New to this destination's
    -- ledger yet present: another destination's copy of this very event (same id, same
    -- instant, e.g. a Pi moved between destinations with a batch whose answer was lost). It
    -- stays that destination's; this one is answered as new and not stored twice.
    ON CONFLICT (id, observed_at) DO NOTHING
    RETURNING visitor_id, {EPOCH_US.format("observed_at")} AS observed_us, kind, dwell_s
),
queued AS (
    -- for the visits follower (crm.visits.follower): one row per batch, in this transaction
    INSERT INTO visit_queue (destination_id, site_id, queued_at, visitor_ids, observed_us,
        kinds, dwell_s)
    SELECT %(dest)b, %(site)b, %(now)b, array_agg(visitor_id), array_agg(observed_us),
        array_agg(kind), array_agg(dwell_s)
    FROM stored
    HAVING count(*) > 0
),
counted AS (
    -- the identity is dropped here: only the site, the hour and the kind are kept
    INSERT INTO presence_count AS p (destination_id, site_id, hour, kind, count)
    SELECT %(dest)b, %(site)b, date_trunc('hour', ev.observed_at, 'UTC'), ev.kind, count(*)
    FROM ev JOIN new USING (id)
    WHERE NOT EXISTS (SELECT FROM gated AS g WHERE g.id = ev.id)
    GROUP BY 3, 4 ORDER BY 3, 4
    ON CONFLICT (destination_id, site_id, hour, kind) DO UPDATE SET count = p.count + excluded.count
)
SELECT count(*)::int FROM new
"""  # noqa: S608 (a constant fragment, no input)

# Months whose partition is known to exist, per database (a process may serve several in tests).
_PARTITIONS: set[tuple[str, date]] = set()


async def _ensure_partitions(conn: Any, database: str, months: set[date]) -> None:
    missing = sorted(m for m in months if (database, m) not in _PARTITIONS)
    if not missing:
        return
    async with conn.cursor() as cur:
        await cur.execute(
            "SELECT balise_ensure_event_partition(m) FROM unnest(%b::date[]) AS m", [missing]
        )
    _PARTITIONS.update((database, m) for m in missing)


async def ingest_batch(
    session: AsyncSession,
    source: Source,
    batch: IngestBatch,
    settings: Settings,
    now: datetime,
) -> IngestResult:
    """Validate, dedup, resolve, gate and store one batch in the session's transaction."""
    if batch.gateway_id != source.gateway_id:
        raise Problem(403, "Forbidden", "the batch's gateway_id is not the token's gateway")
    # Counted before any event is judged: past the limit the whole batch is a 413, which the
    # gateway answers by halving it (a 422 or a partial answer would stall it for good).
    if len(batch.events) > settings.ingest_max_events:
        raise Problem(
            413,
            "Content Too Large",
            f"{len(batch.events)} events: at most {settings.ingest_max_events} per batch",
            max_events=settings.ingest_max_events,
        )
    # Clock arithmetic in durations only: a client may send any time from year 1 to 9999 with
    # any offset, and adding such an offset to a time may leave datetime's range (a 500), while
    # the difference of two aware datetimes always fits a timedelta.
    offset = now - batch.sent_at
    if abs(offset.total_seconds()) <= settings.clock_skew_correction_s:
        offset = timedelta(0)
    # The window on ``observed_at - now`` before correction (``observed_at + offset`` must lie
    # in [now - ingest_past_days, now + ingest_future_s]).
    earliest = -timedelta(days=settings.ingest_past_days) - offset
    latest = timedelta(seconds=settings.ingest_future_s) - offset

    rejected: list[Rejection] = []
    events: list[ProximityEventIn] = []
    ids: list[str] = []  # in lower case: the form ids are deduplicated in
    seen: set[str] = set()
    observed: list[datetime] = []  # corrected, in UTC
    # the fast path of parse_batch has validated every event already
    items = batch.events if isinstance(batch, _ValidBatch) else _validate_events(batch.events)
    for item in items:
        if isinstance(item, Rejection):
            rejected.append(item)
            continue
        lead = item["observed_at"] - now
        if not earliest <= lead <= latest:
            rejected.append(Rejection(id=item["id"], reason=RejectReason.CLOCK))
            continue
        key = item["id"].lower()
        if key not in seen:
            seen.add(key)
            events.append(item)
            ids.append(key)
            # In UTC: PostgreSQL reads offsets up to ±15:59 only, RFC 3339 allows ±23:59.
            observed.append(now + (lead + offset))
    duplicates = len(batch.events) - len(rejected) - len(events)
    if not events:
        return IngestResult(accepted=0, duplicates=duplicates, rejected=rejected)

    sa_conn = await session.connection()
    conn = driver_connection(sa_conn)
    await _ensure_partitions(conn, str(sa_conn.engine.url.database), months(observed))
    async with conn.cursor() as cur:
        await cur.execute(
            _STORE,
            {
                **_columns(events, ids, observed),
                "dest": source.destination_id,
                "gateway": source.gateway_id,
                "site": source.site_id,
                "now": now,
            },
        )
        row = await cur.fetchone()
    accepted = int(row[0]) if row else 0
    return IngestResult(
        accepted=accepted,
        duplicates=duplicates + len(events) - accepted,
        rejected=rejected,
    )


def _columns(
    events: list[ProximityEventIn], ids: list[str], observed: list[datetime]
) -> dict[str, str]:
    """The events as one array literal per column: PostgreSQL parses these ~10x faster than
    JSON records, and they cost less to build than binary arrays element by element."""
    uids: list[str | None] = []
    eids: list[str | None] = []
    for e in events:
        device = e["device"]
        if device["type"] == "eddystone-uid":
            uids.append(uid_identity(device["namespace"], device["instance"]))
            eids.append(None)
        else:
            uids.append(None)
            eids.append(device["eid"])
    return {
        "id": array_literal(ids),
        "observed_at": array_literal(observed),
        "kind": array_literal([e["kind"] for e in events]),
        "seq": array_literal([e["seq"] for e in events]),
        "rssi": array_literal([e.get("rssi") for e in events]),
        "distance_m": array_literal([e.get("distance_m") for e in events]),
        "zone": array_literal([e.get("zone") for e in events]),
        "dwell_s": array_literal([e.get("dwell_s", 0) for e in events]),
        "uid": array_literal(uids),
        "eid": array_literal(eids),
    }


def months(moments: list[datetime]) -> set[date]:
    """The first day of every UTC month from the earliest to the latest of ``moments``."""
    first = min(moments).astimezone(UTC).date().replace(day=1)
    last = max(moments).astimezone(UTC).date().replace(day=1)
    out = {first}
    while first < last:
        first = (first + timedelta(days=31)).replace(day=1)
        out.add(first)
    return out
