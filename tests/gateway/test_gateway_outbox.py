"""Outbox: durable, ordered, seq survives restarts, bounded with dwell dropped first."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import signal
from pathlib import Path

from beacon_gateway.outbox import Outbox
from tests.gateway.upload_support import event

# signal and distance with more digits than the wire form keeps
ev = functools.partial(event, rssi=-67.46, distance_m=2.123)


def test_add_assigns_seq_and_round_trips_the_wire_form(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        stored = box.add([ev(1), ev(2, "dwell")])
        assert [e.seq for e in stored] == [1, 2]
        (first, second) = box.pending(10)
        assert first.to_wire() == {
            "id": "00000000-0000-7000-8000-000000000001",
            "seq": 1,
            "observed_at": "2026-11-25T09:46:41.000Z",
            "kind": "enter",
            "device": {"type": "eddystone-uid", "namespace": "00" * 10, "instance": "00" * 6},
            "rssi": -67.5,
            "distance_m": 2.12,
            "zone": "near",
            "dwell_s": 0.0,
        }
        assert second.kind == "dwell"
        assert box.depth == 2


def test_seq_survives_restart_and_delete(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        box.add([ev(1), ev(2)])
        assert box.delete(["00000000-0000-7000-8000-000000000001"]) == 1
    with Outbox(tmp_path / "o.db") as box:
        assert box.depth == 1
        (again,) = box.add([ev(3)])
        assert again.seq == 3
        assert [e.seq for e in box.pending(10)] == [2, 3]


def test_wal_and_full_sync(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as box:
        assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_overflow_drops_dwell_first_then_oldest(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db", max_events=4) as box:
        box.add([ev(1, "enter"), ev(2, "dwell"), ev(3, "dwell"), ev(4, "exit")])
        box.add([ev(5, "enter"), ev(6, "enter")])
        assert [(e.seq, e.kind) for e in box.pending(10)] == [
            (1, "enter"),
            (4, "exit"),
            (5, "enter"),
            (6, "enter"),
        ]
        box.add([ev(7, "exit")])  # no dwell left: the oldest goes
        assert [e.seq for e in box.pending(10)] == [4, 5, 6, 7]
        s = box.stats()
        assert (s.depth, s.dropped_dwell, s.dropped_other, s.next_seq) == (4, 2, 1, 8)


def test_depth_and_oldest_age(tmp_path: Path) -> None:
    now = [1000.0]
    with Outbox(tmp_path / "o.db", wall=lambda: now[0]) as box:
        assert box.stats().oldest_age_s is None
        box.add([ev(1)])
        now[0] = 1042.5
        box.add([ev(2)])
        s = box.stats()
        assert (s.depth, s.oldest_age_s) == (2, 42.5)


def test_monotonic_rows_wait_for_the_clock(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db", wall=lambda: 5000.0) as box:
        box.add([ev(1, at=100.0)], base="mono:old-boot")
        box.add([ev(2, at=200.0)], base="mono:this-boot")
        box.add([ev(3, at=1_795_600_000.0)], base="unix")
        unsynced = box.pending(10, current_base="mono:this-boot", offset=None)
        # earlier boot: stamped with the wall guess; this boot: held back; unix: as is
        assert [(e.seq, e.observed_unix) for e in unsynced] == [(1, 5000.0), (3, 1_795_600_003.0)]
        synced = box.pending(10, current_base="mono:this-boot", offset=1_000_000.0)
        assert [(e.seq, e.observed_unix) for e in synced] == [
            (1, 5000.0),
            (2, 1_000_202.0),
            (3, 1_795_600_003.0),
        ]


def _writer(path: str, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    box = Outbox(path)
    n = 0
    while True:
        n += 1
        box.add([ev(n)])
        if n == 50:
            ready.set()


def test_committed_events_survive_sigkill(tmp_path: Path) -> None:
    path = str(tmp_path / "o.db")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_writer, args=(path, ready))
    proc.start()
    assert ready.wait(30)
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    with Outbox(path) as box:
        rows = box.pending(1_000_000)
        assert len(rows) >= 50
        assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
        assert all(json.loads(e.payload)["kind"] == "enter" for e in rows)


def test_progress_mark_commits_with_the_events(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with Outbox(path) as box:
        assert box.get_meta("replay_made:x") is None
        box.add([ev(1), ev(2)], progress=("replay_made:x", 2))
        box.add([], progress=("replay_done:x", 1))
    with Outbox(path) as box:
        assert box.get_meta("replay_made:x") == 2
        assert box.get_meta("replay_done:x") == 1
        assert box.depth == 2


def test_seeded_ids_are_deterministic_uuid7() -> None:
    import uuid

    from beacon_gateway.ids import SeededIds

    a, b, other = SeededIds(b"trace-1"), SeededIds(b"trace-1"), SeededIds(b"trace-2")
    first = [a(1_795_600_000.0 + i) for i in range(100)]
    assert first == [b(1_795_600_000.0 + i) for i in range(100)]
    assert not set(first) & {other(1_795_600_000.0 + i) for i in range(100)}
    assert len(set(first)) == 100 and a.count == 100
    parsed = [uuid.UUID(x) for x in first]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert parsed == sorted(parsed, key=lambda u: u.int >> 80)  # time-ordered by ms


def test_the_outbox_and_its_folder_are_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with Outbox(tmp_path / "data" / "outbox.db") as box:
            box.add([ev(1)])
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "data").iterdir()}
    assert modes["outbox.db"] == 0o600
    assert set(modes.values()) == {0o600}, modes  # -wal and -shm too, when they remain
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o750
