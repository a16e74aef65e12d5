"""The DATAtourisme import: objects streamed in, upserted by URI in batches (docs/content.md).

Each batch is one statement (two when it updates events whose dates the office has edited) and
one commit: the rows travel as one JSON array
(``jsonb_to_recordset``), are inserted, or update the item of the same URI in place when its
``lastUpdateDatatourisme`` differs (the office's ``overrides``, the slug, ``published`` and the
publishing window are never touched), and are left alone when it is the same (``unchanged``:
not rewritten). An updated event whose dates the office has edited keeps an active range that
covers the office's dates as well as the flux's new ones (``editing.active_range``), in the
same transaction. Memory holds one batch. A record that cannot be an item is skipped with its
file (or URI) and reason; a batch the database refuses is retried row by row so that only the
refused rows are skipped.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crm.core.db import Database
from roadbook.content.datatourisme import Skip, clean, read_object, version_key
from roadbook.content.editing import active_range
from roadbook.content.flux import Found

BATCH = 250

# Column name → PostgreSQL type in the record set; every column the import writes.
COLUMNS: dict[str, str] = {
    "kind": "text",
    "subtype": "text",
    "slug": "text",
    "uri": "text",
    "title": "jsonb",
    "summary": "jsonb",
    "description": "jsonb",
    "latitude": "float8",
    "longitude": "float8",
    "address": "jsonb",
    "contact": "jsonb",
    "booking": "jsonb",
    "images": "jsonb",
    "wishes": "jsonb",
    "themes": "jsonb",
    "accessibility": "jsonb",
    "price": "jsonb",
    "labels": "jsonb",
    "opening_hours": "jsonb",
    "periods": "jsonb",
    "active_from": "date",
    "active_until": "date",
    "stops": "jsonb",
    "route": "jsonb",
    "length_m": "int",
    "duration_min": "int",
    "mode": "text",
    "source": "text",
    "producer": "text",
    "source_updated_on": "date",
    "source_version": "text",
    "raw": "jsonb",
}
# Re-derived from the source on a change; slug, overrides, published and created_at are not.
_REWRITTEN = [name for name in COLUMNS if name not in ("slug", "uri")]

UPSERT = text(
    f"""
    INSERT INTO content_item AS c (id, destination_id, {", ".join(COLUMNS)},
        overrides, published, created_at, updated_at)
    SELECT gen_random_uuid(), CAST(:destination AS uuid), {", ".join(f"r.{c}" for c in COLUMNS)},
        '{{}}'::jsonb, true, clock_timestamp(), clock_timestamp()
    FROM jsonb_to_recordset(CAST(:rows AS jsonb))
        AS r({", ".join(f"{name} {kind}" for name, kind in COLUMNS.items())})
    ON CONFLICT (destination_id, uri) DO UPDATE SET
        {", ".join(f"{c} = EXCLUDED.{c}" for c in _REWRITTEN)}, updated_at = clock_timestamp()
    WHERE c.source_version IS DISTINCT FROM EXCLUDED.source_version
    RETURNING (xmax = 0) AS created,
        CASE WHEN c.overrides -> 'periods' IS NOT NULL THEN c.id END AS edited_id,
        CASE WHEN c.overrides -> 'periods' IS NOT NULL THEN c.periods END AS periods,
        CASE WHEN c.overrides -> 'periods' IS NOT NULL THEN c.overrides END AS overrides
    """  # noqa: S608 - column names are the constants above
)
# The upsert wrote an event's active range from the flux alone: where the office has edited
# its dates, the range covering both (editing.active_range), before the batch commits.
WIDEN = text(
    """
    UPDATE content_item AS c SET active_from = r.active_from, active_until = r.active_until
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid, active_from date, active_until date)
    WHERE c.id = r.id AND c.destination_id = CAST(:destination AS uuid)
    """
)


KNOWN = text(
    "SELECT uri, source_version FROM content_item"
    " WHERE destination_id = CAST(:destination AS uuid) AND uri IS NOT NULL"
)


@dataclass
class Summary:
    """What an import did; :meth:`as_json` is the ``--json`` line (DESIGN contract)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    read: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skip(self, where: dict[str, str], reason: str) -> None:
        self.skipped.append({**where, "reason": reason})

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


def _json(value: Any) -> str:
    """``value`` as JSON PostgreSQL accepts (no NUL, no lone surrogate: cleaned if needed)."""
    dumped = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    try:
        dumped.encode("utf-8")
    except UnicodeEncodeError:
        return _json(clean(value))
    return _json(clean(value)) if "\\u0000" in dumped else dumped


def _row_json(row: dict[str, Any], raw: str | None) -> str:
    """One row of the batch; a raw record read as JSONB-ready text is spliced in as it is."""
    return _json(row) if raw is None else f'{_json(row)[:-1]},"raw":{raw}}}'


class Importer:
    """Upserts rows of one destination, a batch per transaction.

    :meth:`load_known` first reads which (URI, version) pairs the destination holds, kept as
    one hash each (~50 bytes an item: ~20 MB for a national flux): an object whose pair is
    known is counted unchanged without being parsed or sent. An object written during this run
    always goes through the upsert, so a flux listing one URI twice behaves as in order.
    """

    def __init__(self, db: Database, destination_id: uuid.UUID, batch: int = BATCH) -> None:
        self.db = db
        self.destination_id = destination_id
        self.batch_size = batch
        self.summary = Summary()
        self._rows: list[str] = []  # each row's JSON, ready for the batch's array
        self._where: list[dict[str, str]] = []
        self._uris: set[str] = set()
        self._in_flight: asyncio.Task[None] | None = None
        self._known: set[int] = set()
        self._written: set[int] = set()  # hashes of the URIs written in this run

    async def load_known(self) -> None:
        """Read the destination's (URI, version) pairs, streamed."""
        async with self.db.session(self.destination_id) as session:
            result = await session.stream(KNOWN, {"destination": str(self.destination_id)})
            async for uri, version in result:
                self._known.add(hash((uri, version)))

    async def add(self, found: Found) -> None:
        """Read one object into the batch (or skip it); write the batch when it is full."""
        if found.error is not None:
            self.summary.skip({"file": found.where}, found.error)
            return
        self.summary.read += 1
        key = version_key(found.value)
        if key is not None and hash(key) in self._known and hash(key[0]) not in self._written:
            self.summary.unchanged += 1
            return
        try:
            row = read_object(found.value)
        except Skip as skip:
            where = {"uri": skip.uri} if skip.uri else {"file": found.where}
            self.summary.skip(where, skip.reason)
            return
        if found.text is None:
            row["raw"] = found.value
        try:
            encoded = _row_json(row, found.text)
        except (RecursionError, ValueError) as exc:
            self.summary.skip({"uri": row["uri"]}, f"cannot be stored: {type(exc).__name__}")
            return
        if row["uri"] in self._uris:  # the same object twice: the first copy goes in first
            await self.flush()
        self._rows.append(encoded)
        self._where.append({"uri": row["uri"]})
        self._uris.add(row["uri"])
        self._written.add(hash(row["uri"]))
        if len(self._rows) >= self.batch_size:
            await self.flush()
        elif self._in_flight is not None:
            await asyncio.sleep(0)

    async def flush(self) -> None:
        """Send the pending batch: it is written while the next one is read (one in flight).

        The database works on one core while this process parses on the other: ``add`` gives
        the write's round trips a turn of the event loop after each object.
        """
        rows, where = self._rows, self._where
        self._rows, self._where, self._uris = [], [], set()
        if not rows:
            return
        await self.drain()
        self._in_flight = asyncio.create_task(self._store(rows, where))

    async def drain(self) -> None:
        """Wait for the batch in flight (its errors are raised here)."""
        task, self._in_flight = self._in_flight, None
        if task is not None:
            await task

    async def _store(self, rows: list[str], where: list[dict[str, str]]) -> None:
        refused = 0
        try:
            created = await self._write("[" + ",".join(rows) + "]")
        except DBAPIError:
            created = []
            for row, place in zip(rows, where, strict=True):
                try:
                    created += await self._write(f"[{row}]")
                except DBAPIError as exc:
                    refused += 1
                    reason = str(exc.orig).splitlines()[0] if exc.orig else "refused"
                    self.summary.skip(place, f"refused by the database: {reason}")
        self.summary.created += sum(created)
        self.summary.updated += len(created) - sum(created)
        self.summary.unchanged += len(rows) - len(created) - refused

    async def _write(self, payload: str) -> list[bool]:
        destination = str(self.destination_id)
        async with self.db.session(self.destination_id) as session:
            result = await session.execute(UPSERT, {"destination": destination, "rows": payload})
            written = result.all()
            edited = [
                {"id": str(row.edited_id), "active_from": start, "active_until": end}
                for row in written
                if row.edited_id is not None
                for start, end in [active_range(row.periods, row.overrides)]
            ]
            if edited:
                await session.execute(WIDEN, {"destination": destination, "rows": _json(edited)})
            await session.commit()
            return [bool(row.created) for row in written]


async def import_objects(
    db: Database,
    destination_id: uuid.UUID,
    objects: Iterable[Found],
    *,
    batch: int = BATCH,
    progress: Callable[[], None] | None = None,
) -> Summary:
    """Import every object (see the module's doc); ``progress`` is called once per object."""
    importer = Importer(db, destination_id, batch)
    await importer.load_known()
    for found in objects:
        await importer.add(found)
        if progress is not None:
            progress()
    await importer.flush()
    await importer.drain()
    return importer.summary
