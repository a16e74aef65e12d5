"""The outbox: every proximity event is on disk before anything else happens to it.

SQLite in WAL mode with ``synchronous=FULL``: a committed group survives ``kill -9`` and a power
cut. Events are committed in small groups (one transaction per :meth:`Outbox.add` call; the
caller batches, e.g. every 0.5 s) because an SD card pays for every fsync. The per-gateway
``seq`` is kept in the same database and assigned inside the same transaction, so it survives
restarts; it may have gaps (events dropped on overflow or rejected by the CRM).

**Overflow policy.** The outbox holds at most ``max_events`` (default 1,000,000 rows, about
250 MB: days of a busy site offline). When an insert would exceed it, the oldest *dwell* events
go first — a dwell is redundant with the enter and exit around it, which carry the visit (the
exit has the whole stay in ``dwell_s``). Only when no dwell is left are the oldest enter/exit
events dropped. Every drop is counted (persisted) and reported in the heartbeat.

**Time.** Each row keeps its time in the base it was observed in (``unix``, or
``mono:<boot id>`` live before the clock is synchronised) plus a wall-clock guess. When rows are
read for upload they are stamped: Unix rows as is, this boot's monotonic rows with the offset
once known (held back until then), an earlier boot's monotonic rows with the wall-clock guess
(the offset of a past boot cannot be learnt any more; better an approximate time than a lost
event, and the CRM corrects large skews).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from beacon_gateway.clock import UNIX_BASE
from beacon_gateway.events import ProximityEvent, rfc3339
from beacon_gateway.files import FOLDER_MODE, SECRET_MODE

__all__ = ["Outbox", "OutboxStats", "StoredEvent"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    observed REAL NOT NULL,
    base TEXT NOT NULL,
    wall_guess REAL NOT NULL,
    created_at REAL NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS event_dwell ON event (seq) WHERE kind = 'dwell';
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event read back for upload, already stamped with Unix time."""

    seq: int
    id: str
    kind: str
    observed_unix: float
    payload: str

    def to_wire(self) -> dict[str, Any]:
        """The event object of the ingest batch."""
        body: dict[str, Any] = {
            "id": self.id,
            "seq": self.seq,
            "observed_at": rfc3339(self.observed_unix),
        }
        body.update(json.loads(self.payload))
        return body


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Queue depth and age, for telemetry."""

    depth: int
    oldest_age_s: float | None
    dropped_dwell: int
    dropped_other: int
    next_seq: int


class Outbox:
    """A durable, bounded FIFO of proximity events for one gateway."""

    def __init__(
        self,
        path: str | Path,
        max_events: int = 1_000_000,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(FOLDER_MODE, parents=True, exist_ok=True)
        # 0600 whatever the umask: it holds pass identities. SQLite gives its -wal and -shm
        # files the database file's mode.
        os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, SECRET_MODE))
        self.max_events = max_events
        self._wall = wall
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._depth: int = self._db.execute("SELECT COUNT(*) FROM event").fetchone()[0]

    def close(self) -> None:
        """Close the database (everything committed is already durable)."""
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``): committed when the block
        ends, rolled back if anything escapes it."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _meta(self, key: str) -> int:
        return self.get_meta(key) or 0

    def _set_meta(self, key: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def get_meta(self, key: str) -> int | None:
        """A value of the meta table (e.g. a replay's progress), None if never set."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else int(row[0])

    def _bump(self, key: str, by: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
            (key, by),
        )

    def add(
        self,
        events: Sequence[ProximityEvent],
        base: str = UNIX_BASE,
        progress: tuple[str, int] | None = None,
    ) -> list[ProximityEvent]:
        """Persist ``events`` in one transaction; return them with their ``seq`` assigned.

        Returns only after the commit, so whoever acts on the result acts on durable events.
        ``progress`` ``(key, value)`` is written to the meta table in the same transaction
        (a replay records how far it got: the events and the mark are durable together).
        """
        if not events and progress is None:
            return []
        wall = self._wall()
        with self._transaction() as db:
            first = self._meta("next_seq") or 1
            stored = [replace(e, seq=first + i) for i, e in enumerate(events)]
            overflow = self._depth + len(stored) - self.max_events
            if overflow > 0:
                self._make_room(overflow)
            db.executemany(
                "INSERT INTO event (seq, id, kind, observed, base, wall_guess, created_at, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        e.seq,
                        e.id,
                        e.kind,
                        e.observed_at,
                        base,
                        wall if base != UNIX_BASE else e.observed_at,
                        wall,
                        json.dumps(e.payload(), separators=(",", ":")),
                    )
                    for e in stored
                ],
            )
            self._set_meta("next_seq", first + len(stored))
            if progress is not None:
                self._set_meta(*progress)
        self._depth = (
            db.execute("SELECT COUNT(*) FROM event").fetchone()[0]
            if overflow > 0
            else (self._depth + len(stored))
        )
        return stored

    def _make_room(self, n: int) -> None:
        """Drop ``n`` events: oldest dwells first, then oldest of any kind (inside a txn)."""
        db = self._db
        dropped = db.execute(
            "DELETE FROM event WHERE seq IN "
            "(SELECT seq FROM event WHERE kind = 'dwell' ORDER BY seq LIMIT ?)",
            (n,),
        ).rowcount
        self._bump("dropped_dwell", dropped)
        if dropped < n:
            more = db.execute(
                "DELETE FROM event WHERE seq IN (SELECT seq FROM event ORDER BY seq LIMIT ?)",
                (n - dropped,),
            ).rowcount
            self._bump("dropped_other", more)

    def pending(
        self, limit: int, current_base: str = UNIX_BASE, offset: float | None = 0.0
    ) -> list[StoredEvent]:
        """The oldest ``limit`` events that can be stamped now, in ``seq`` order.

        ``current_base`` / ``offset`` describe the live clock: rows in that base are held back
        while ``offset`` is None (clock not synchronised yet).
        """
        if offset is None:
            rows = self._db.execute(
                "SELECT seq, id, kind, observed, base, wall_guess, payload FROM event "
                "WHERE base != ? ORDER BY seq LIMIT ?",
                (current_base, limit),
            ).fetchall()
        else:
            rows = self._db.execute(
                "SELECT seq, id, kind, observed, base, wall_guess, payload FROM event "
                "ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        out = []
        for seq, id_, kind, observed, base, wall_guess, payload in rows:
            if base == UNIX_BASE:
                unix = observed
            elif base == current_base:
                assert offset is not None
                unix = observed + offset
            else:
                unix = wall_guess
            out.append(StoredEvent(seq, id_, kind, unix, payload))
        return out

    def delete(self, ids: Iterable[str]) -> int:
        """Remove acknowledged (or rejected) events; returns how many were removed."""
        id_list = list(ids)
        if not id_list:
            return 0
        removed = 0
        with self._transaction() as db:
            for start in range(0, len(id_list), 500):
                chunk = id_list[start : start + 500]
                marks = ",".join("?" * len(chunk))
                removed += db.execute(f"DELETE FROM event WHERE id IN ({marks})", chunk).rowcount  # noqa: S608
        self._depth -= removed
        return removed

    def stats(self) -> OutboxStats:
        """Depth, age of the oldest event, drop counters."""
        row = self._db.execute("SELECT created_at FROM event ORDER BY seq LIMIT 1").fetchone()
        oldest = None if row is None else max(0.0, self._wall() - float(row[0]))
        return OutboxStats(
            depth=self._depth,
            oldest_age_s=oldest,
            dropped_dwell=self._meta("dropped_dwell"),
            dropped_other=self._meta("dropped_other"),
            next_seq=self._meta("next_seq") or 1,
        )

    @property
    def depth(self) -> int:
        """Events waiting for upload."""
        return self._depth
