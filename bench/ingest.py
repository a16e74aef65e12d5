"""Ingest benchmark: HTTP ingest end to end vs a raw binary COPY vs row-by-row SQLModel.

Creates its own database from scratch on the ``DATABASE_URL`` server (the embedded one when
unset), migrates it, seeds one destination with ``SITES`` sites, ``GATEWAYS`` gateways and
``VISITORS`` visitors (each with a UID pass and ``proximity`` consent), then, in the same run:

a. **ingest**: the real app served by uvicorn in a separate process (``WORKERS`` workers),
   ``CLIENTS`` concurrent clients posting gzip batches of 1,000 events built beforehand (3 of 4
   events from enrolled passes, 1 of 4 from unknown passes: the anonymous-count path), each
   event new with a UUIDv7 id as gateways mint them (validate, dedup, resolve, consent gate,
   store events and counts, queue the sightings); the scheduler runs as deployed, so the
   leader's visits follower merges the queue into visits meanwhile, and the run also reports
   when visits have caught up (its CPU counts in the per-batch figures);
b. **copy**: a binary ``COPY`` of the same number of rows into the same partitioned
   ``proximity_event`` table (as the table owner: COPY is refused under RLS);
c. **orm**: the usual row-by-row path: one SQLModel ``ProximityEvent`` added and committed at a
   time, through an async session (a smaller sample).

Figures are medians over ``REPEATS`` runs; ratio = ingest events/s over COPY rows/s.
Budget (bench/README.md): ratio >= 0.3 and >= 30k events/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import os
import random
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import psycopg
from sqlalchemy import text

from beacon_gateway.ids import uuid7
from bench import create_database, drop_database, dsn, start_server
from bench.report import report
from crm.core.db import Database

VISITORS = 2_000
BATCH = 1_000
BATCHES = 160  # ~3-4 s of posting a repeat: the visits tail (<= ~1 s) weighs little
CLIENTS = 8
# Each client is one gateway posting its own batches one after the other, as a gateway's uploader
# does; gateways stand two to a site, so visits still merge concurrent batches of one site.
GATEWAYS = int(os.environ.get("BENCH_INGEST_GATEWAYS", str(CLIENTS)))
SITES = int(os.environ.get("BENCH_INGEST_SITES", str(max(1, GATEWAYS // 2))))
WORKERS = int(os.environ.get("BENCH_INGEST_WORKERS", "2"))
ROAMING = os.environ.get("BENCH_INGEST_ROAMING", "") == "1"
REPEATS = 3
ORM_ROWS = 500
NAMESPACE = "0123456789abcdef0123"


async def seed(url: str) -> dict[str, Any]:
    """One destination, SITES sites, GATEWAYS gateways and VISITORS consenting UID visitors."""
    from crm.destinations import service as destinations
    from crm.gateways import service as gateways
    from crm.main import install
    from crm.visitors import service as visitors

    install()
    db = Database(url)
    async with db.session(system=True) as session:
        destination = await destinations.create_destination(session, "bench", "Bench")
        sites = [
            await destinations.add_site(session, destination.id, f"site-{i}", f"Site {i}")
            for i in range(SITES)
        ]
        tokens = {}
        for i in range(GATEWAYS):
            _, tokens[f"bench-gw-{i}"] = await gateways.add_gateway(
                session, f"bench-gw-{i}", sites[i % SITES]
            )
        at = datetime.now(UTC) - timedelta(days=1)
        visitor_ids: list[uuid.UUID] = []
        for i in range(VISITORS):
            enrolment = await visitors.enrol(
                session,
                destination.id,
                consents=["proximity"],
                pass_uid=f"{NAMESPACE}:{i:012x}",
                at=at,
            )
            visitor_ids.append(enrolment.visitor.id)
        await session.commit()
        rows = await session.execute(text("SELECT id FROM device ORDER BY identity"))
        device_ids = list(rows.scalars().all())
    await db.dispose()
    # a live database has statistics (autovacuum); a freshly seeded one must be analysed once
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        conn.execute("ANALYZE")
    return {
        "destination_id": destination.id,
        "site_id": sites[0].id,
        "tokens": tokens,
        "visitor_ids": visitor_ids,
        "device_ids": device_ids,
    }


def wire_events(rng: random.Random, n: int, now: datetime, site: int = 0) -> list[dict[str, Any]]:
    """``n`` new events heard at ``site``: 3 in 4 from enrolled passes, 1 in 4 from unknown ones.

    A pass is at one place at a time: the enrolled ones heard at site ``s`` are those of the
    visitors spending the hour there (visitor ``i`` at site ``i % SITES``), unless ROAMING
    (every visitor heard everywhere within the hour: the worst case for visits).
    """
    kinds = ("enter", "dwell", "dwell", "dwell", "exit")
    out = []
    for i in range(n):
        known = rng.random() < 0.75
        if not known:
            instance = VISITORS + rng.randrange(10**6)
        elif ROAMING:
            instance = rng.randrange(VISITORS)
        else:
            instance = site + SITES * rng.randrange(VISITORS // SITES)
        at = now - timedelta(seconds=rng.uniform(1, 3600))
        out.append(
            {
                # gateways mint UUIDv7 (time-ordered): the ledger's index sees them in order
                "id": str(uuid7(int(time.time() * 1000))),
                "seq": i,
                "kind": rng.choice(kinds),
                "observed_at": at.isoformat().replace("+00:00", "Z"),
                "device": {
                    "type": "eddystone-uid",
                    "namespace": NAMESPACE,
                    "instance": f"{instance:012x}",
                },
                "rssi": round(rng.uniform(-90, -50), 1),
                "distance_m": round(rng.uniform(0.2, 8), 2),
                "zone": rng.choice(("immediate", "near", "far")),
                "dwell_s": rng.randrange(0, 600),
            }
        )
    return out


def _proc_cpu(match: Any) -> float:
    """CPU seconds (user + system) of the live processes for which ``match(pid, ppid, comm)``."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if match(int(entry), int(fields[1]), comm):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def cpu_snapshot(server_pid: int) -> tuple[float, float, float]:
    """CPU seconds so far of: this client process, the uvicorn workers, PostgreSQL processes."""
    return (
        time.process_time(),
        _proc_cpu(lambda pid, ppid, comm: ppid == server_pid or pid == server_pid),
        _proc_cpu(lambda pid, ppid, comm: comm == "postgres"),
    )


def gateway_of(batch: int) -> str:
    return f"bench-gw-{batch % GATEWAYS}"


def site_of(batch: int) -> int:
    """The site of ``gateway_of(batch)`` (``seed`` puts gateway ``g`` at site ``g % SITES``)."""
    return batch % GATEWAYS % SITES


def gzip_batch(gateway_id: str, events: list[dict[str, Any]]) -> bytes:
    envelope = {"gateway_id": gateway_id, "sent_at": datetime.now(UTC).isoformat()}
    return gzip.compress(json.dumps({**envelope, "events": events}).encode(), 6)


async def post_all(
    port: int, tokens: dict[str, str], bodies: list[bytes], server_pid: int
) -> tuple[int, float, tuple[float, float, float]]:
    """Post every body (body i from gateway ``gateway_of(i)``) with CLIENTS concurrent clients.

    Client c posts gateway ``c % GATEWAYS``'s bodies one after another. The clients are set up
    before the clock starts (each builds an SSL context, ~15 ms of CPU, even for http://).
    Returns (accepted, seconds, ``cpu_snapshot`` at the start).
    """
    queues: dict[str, asyncio.Queue[bytes]] = {g: asyncio.Queue() for g in tokens}
    for i, body in enumerate(bodies):
        queues[gateway_of(i)].put_nowait(body)
    accepted = 0

    async def client(c: httpx2.AsyncClient, gateway_id: str) -> None:
        nonlocal accepted
        queue = queues[gateway_id]
        headers = {
            "Authorization": f"Bearer {tokens[gateway_id]}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }
        while not queue.empty():
            body = queue.get_nowait()
            r = await c.post("/api/v1/gateway/events", content=body, headers=headers)
            r.raise_for_status()
            accepted += r.json()["accepted"]

    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120)
            )
            for _ in range(CLIENTS)
        ]
        cpu = cpu_snapshot(server_pid)
        start = time.perf_counter()
        await asyncio.gather(*(client(clients[c], gateway_of(c)) for c in range(CLIENTS)))
        return accepted, time.perf_counter() - start, cpu


def wait_for_visits(url: str) -> float:
    """Seconds until the visits follower has merged everything ingest queued."""
    start = time.perf_counter()
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        while conn.execute("SELECT EXISTS (SELECT FROM visit_queue)").fetchone() != (False,):
            if time.perf_counter() - start > 300:
                raise RuntimeError("the visits follower did not catch up in 5 minutes")
            time.sleep(0.02)
    return time.perf_counter() - start


def copy_rows(url: str, seeded: dict[str, Any], events: list[dict[str, Any]]) -> float:
    """Binary COPY of ``events`` as proximity_event rows; returns rows/s."""
    now = datetime.now(UTC)
    devices, visitors = seeded["device_ids"], seeded["visitor_ids"]
    rows = []
    for i, e in enumerate(events):
        rows.append(
            (
                uuid7(int(time.time() * 1000)),
                datetime.fromisoformat(e["observed_at"]),
                seeded["destination_id"],
                now,
                "bench-gw-0",
                seeded["site_id"],
                devices[i % len(devices)],
                visitors[i % len(visitors)],
                e["seq"],
                e["kind"],
                e["rssi"],
                e["distance_m"],
                e["zone"],
                e["dwell_s"],
            )
        )
    types = [
        "uuid",
        "timestamptz",
        "uuid",
        "timestamptz",
        "varchar",
        "uuid",
        "uuid",
        "uuid",
        "int8",
        "varchar",
        "float8",
        "float8",
        "varchar",
        "int4",
    ]
    with psycopg.connect(dsn(url)) as conn, conn.cursor() as cur:
        start = time.perf_counter()
        with cur.copy(
            "COPY proximity_event (id, observed_at, destination_id, received_at, gateway_id,"
            " site_id, device_id, visitor_id, seq, kind, rssi, distance_m, zone, dwell_s)"
            " FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return len(rows) / (time.perf_counter() - start)


async def orm_rows(url: str, seeded: dict[str, Any], events: list[dict[str, Any]]) -> float:
    """The usual path: one SQLModel row added and committed at a time; returns rows/s."""
    from crm.ingest.models import ProximityEvent

    db = Database(url)
    now = datetime.now(UTC)
    start = time.perf_counter()
    async with db.session(seeded["destination_id"]) as session:
        for i, e in enumerate(events):
            session.add(
                ProximityEvent.model_validate(
                    {
                        "id": uuid7(int(time.time() * 1000)),
                        "observed_at": datetime.fromisoformat(e["observed_at"]),
                        "destination_id": seeded["destination_id"],
                        "received_at": now,
                        "gateway_id": "bench-gw-0",
                        "site_id": seeded["site_id"],
                        "device_id": seeded["device_ids"][i % VISITORS],
                        "visitor_id": seeded["visitor_ids"][i % VISITORS],
                        "seq": e["seq"],
                        "kind": e["kind"],
                        "rssi": e["rssi"],
                        "distance_m": e["distance_m"],
                        "zone": e["zone"],
                        "dwell_s": e["dwell_s"],
                    }
                )
            )
            await session.commit()
    rate = len(events) / (time.perf_counter() - start)
    await db.dispose()
    return rate


def main() -> None:
    url = create_database("balise_bench_ingest")
    proc: subprocess.Popen[bytes] | None = None
    try:
        seeded = asyncio.run(seed(url))
        rng = random.Random(42)
        now = datetime.now(UTC)
        port = 18000 + rng.randrange(1000)
        proc = start_server(
            url,
            port,
            {
                # as deployed: the leader's visits follower merges what ingest queued, every second
                "BALISE_SCHEDULER_ENABLED": "true",
                # the benchmark measures ingest, not the per-gateway token bucket (one token here)
                "BALISE_RATELIMIT_INGEST_PER_S": "0",
            },
            workers=WORKERS,
            fast=True,
        )
        # warm-up: connection pools, prepared statements, partitions cache
        warm = [
            gzip_batch(gateway_of(i), wire_events(rng, BATCH, now, site_of(i)))
            for i in range(CLIENTS)
        ]
        asyncio.run(post_all(port, seeded["tokens"], warm, proc.pid))
        wait_for_visits(url)
        ingest_rates, caught_up_rates, lags, copy_rates, orm_rates = [], [], [], [], []
        cpu: list[tuple[float, float, float]] = []
        for _ in range(REPEATS):
            batches = [wire_events(rng, BATCH, now, site_of(i)) for i in range(BATCHES)]
            bodies = [gzip_batch(gateway_of(i), b) for i, b in enumerate(batches)]
            accepted, seconds, before = asyncio.run(
                post_all(port, seeded["tokens"], bodies, proc.pid)
            )
            lag = wait_for_visits(url)
            # CPU until the visits are merged too: the follower's work is part of ingest's cost
            after = cpu_snapshot(proc.pid)
            cpu.append(tuple((b - a) * 1000 / BATCHES for a, b in zip(before, after, strict=True)))
            assert accepted == BATCH * BATCHES, accepted
            ingest_rates.append(accepted / seconds)
            caught_up_rates.append(accepted / (seconds + lag))
            lags.append(lag)
            copy_rates.append(copy_rows(url, seeded, [e for b in batches for e in b]))
            orm_rates.append(asyncio.run(orm_rows(url, seeded, batches[0][:ORM_ROWS])))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop_database(url)
    events_per_s = statistics.median(ingest_rates)
    caught_up_per_s = statistics.median(caught_up_rates)
    lag_s = statistics.median(lags)
    copy_per_s = statistics.median(copy_rates)
    orm_per_s = statistics.median(orm_rates)
    ratio = events_per_s / copy_per_s
    client_ms, server_ms, pg_ms = (statistics.median(c[i] for c in cpu) for i in range(3))
    report(
        "ingest",
        [
            (
                "HTTP ingest end to end",
                f"{events_per_s:,.0f} events/s",
                f"{CLIENTS} clients as {GATEWAYS} gateways at {SITES} sites"
                f" ({'visitors roaming' if ROAMING else 'a visitor at one site'}), {BATCH}-event"
                f" gzip batches, {WORKERS} uvicorn workers",
            ),
            (
                "... with visits caught up",
                f"{caught_up_per_s:,.0f} events/s",
                f"until the visits follower has merged every batch ({lag_s:.2f} s after the last"
                " response)",
            ),
            (
                "binary COPY, same rows",
                f"{copy_per_s:,.0f} rows/s",
                "same partitioned table and indexes, table owner",
            ),
            (
                "SQLModel row by row",
                f"{orm_per_s:,.0f} rows/s",
                f"{ORM_ROWS} rows, add + commit each",
            ),
            ("ingest / COPY", f"{ratio:.2f}", "budget >= 0.3"),
            ("CPU per batch: client", f"{client_ms:.0f} ms", "httpx2 posting pre-gzipped bodies"),
            (
                "CPU per batch: uvicorn",
                f"{server_ms:.0f} ms",
                f"{WORKERS} workers together, visits follower included",
            ),
            ("CPU per batch: PostgreSQL", f"{pg_ms:.0f} ms", "every postgres process"),
        ],
        {
            "events_per_s": round(events_per_s),
            "events_with_visits_per_s": round(caught_up_per_s),
            "visits_lag_s": round(lag_s, 3),
            "copy_rows_per_s": round(copy_per_s),
            "orm_rows_per_s": round(orm_per_s),
            "cpu_count": os.cpu_count(),
            "clients": CLIENTS,
            "gateways": GATEWAYS,
            "sites": SITES,
            "roaming": ROAMING,
            "client_cpu_ms_per_batch": round(client_ms, 1),
            "server_cpu_ms_per_batch": round(server_ms, 1),
            "postgres_cpu_ms_per_batch": round(pg_ms, 1),
        },
        ratio,
        ">= 0.3 of COPY and >= 30k events/s",
    )


if __name__ == "__main__":
    main()
