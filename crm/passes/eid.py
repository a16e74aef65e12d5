"""The precomputed EID table: what every EID pass of a destination shows around now.

Ingest resolves an EID frame with one indexed look-up in ``eid_window`` (no AES per event). The
scheduler's EID job calls :func:`refresh_eid_windows` for each destination well within the
shortest window (2^K s, K >= 8 → 256 s); the current window and ``adjacent`` ones on each side
are kept, so beacon clock drift and a late refresh are tolerated.

How an identity key is recovered (it is stored encrypted with the server key) belongs to the
pass-assignment code; the job passes it in as ``identities``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from crm.core.db import driver_connection
from crm.passes.models import Device
from eddystone.eid import TIME_COUNTER_MAX, EidIdentity, compute_eid, window_start

ComputeEid = Callable[[bytes, int, int], bytes]


def window_starts(identity: EidIdentity, now: int, adjacent: int) -> list[int]:
    """Beacon time counters of the windows kept for ``identity`` at server time ``now``."""
    size = 1 << identity.k
    current = window_start(now + identity.clock_offset, identity.k)
    starts = (current + size * step for step in range(-adjacent, adjacent + 1))
    return [s for s in starts if 0 <= s <= TIME_COUNTER_MAX]


async def refresh_eid_windows(
    session: AsyncSession,
    destination_id: uuid.UUID,
    now: datetime,
    identities: Callable[[Device], EidIdentity | None],
    *,
    compute: ComputeEid = compute_eid,
    adjacent: int = 1,
) -> int:
    """Rebuild ``destination_id``'s EID table for ``now`` in one transaction; returns its size.

    ``identities`` gives a device's identity key, K and clock offset (None skips the device).
    Readers see the old table or the new one, never a mix.
    """
    devices = (
        (
            await session.execute(
                select(Device).where(
                    col(Device.destination_id) == destination_id,
                    col(Device.kind) == "eddystone-eid",
                )
            )
        )
        .scalars()
        .all()
    )
    seconds = int(now.timestamp())

    def compute_all() -> dict[bytes, tuple[uuid.UUID, int]]:
        eids: dict[bytes, tuple[uuid.UUID, int]] = {}
        for device in devices:
            identity = identities(device)
            if identity is None:
                continue
            for start in window_starts(identity, seconds, adjacent):
                # A collision (2^-64 per pair) keeps the first pass: it cannot be told apart.
                eids.setdefault(
                    compute(identity.identity_key, start, identity.k), (device.id, start)
                )
        return eids

    # Key decryption and AES for every pass and window: seconds of CPU at 100k passes. In a
    # thread, the leader's event loop (which also serves requests) keeps its turns on the GIL
    # instead of stalling for the whole refresh. The devices are loaded: no lazy load there.
    eids = await asyncio.to_thread(compute_all)
    conn = driver_connection(await session.connection())
    async with conn.cursor() as cur:
        await cur.execute("DELETE FROM eid_window WHERE destination_id = %b", [destination_id])
        await cur.execute(
            """
            INSERT INTO eid_window (destination_id, eid, device_id, window_start, refreshed_at)
            SELECT %(dest)b, t.eid, t.device_id, t.start, %(now)b
            FROM unnest(%(eid)b::bytea[], %(device)b::uuid[], %(start)b::bigint[])
                AS t(eid, device_id, start)
            """,
            {
                "dest": destination_id,
                "now": now,
                "eid": list(eids),
                "device": [d for d, _ in eids.values()],
                "start": [s for _, s in eids.values()],
            },
        )
    return len(eids)
