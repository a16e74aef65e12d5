"""One gateway's event chain, built once: pipeline → outbox → uploader, and its fleet client.

``run`` (:mod:`beacon_gateway.runtime`), ``simulate`` (:mod:`beacon_gateway.simulate`, one node
per simulated gateway) and ``replay`` (:mod:`beacon_gateway.cli.replay`) all build their outbox
and uploader here, from the gateway's config, so the three cannot drift apart. A node is fed by
its owner (scanner callback, simulated world, trace file), stores what the pipeline decides, and
its uploader and fleet client (heartbeat, remote config) run as tasks until the stop event.
A remote config is applied live the same way everywhere: presence thresholds and filters at
once, the upload cadence at the next batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx2

from beacon_gateway.clock import Clock
from beacon_gateway.config import GatewayConfig
from beacon_gateway.events import ProximityEvent
from beacon_gateway.fleet_client import FleetClient
from beacon_gateway.outbox import Outbox
from beacon_gateway.pipeline import Pipeline, id_factory
from beacon_gateway.uploader import Uploader

__all__ = ["DRAIN_S", "GatewayNode", "open_outbox", "uploader_for"]

DRAIN_S = 5.0  # at shutdown, how long the uploader may still send what is stored


def open_outbox(cfg: GatewayConfig) -> Outbox:
    """The gateway's outbox: ``data_dir/outbox.db``, bounded by ``upload.outbox_max_events``."""
    return Outbox(Path(cfg.gateway.data_dir) / "outbox.db", cfg.upload.outbox_max_events)


def uploader_for(
    cfg: GatewayConfig, outbox: Outbox, client: httpx2.AsyncClient, token: str, clock: Clock
) -> Uploader:
    """The uploader that drains ``outbox`` to the gateway's CRM with its token."""
    return Uploader(
        outbox,
        client,
        gateway_id=cfg.gateway.id,
        token=token,
        crm_url=cfg.gateway.crm_url,
        config=cfg.upload,
        clock=clock,
    )


class GatewayNode:
    """A gateway's pipeline, outbox, uploader and fleet client, wired together.

    ``on_config`` is told of every remote config applied (after the node has applied it to the
    pipeline and uploader): the runtime restarts its scanner when ``[scan]`` changed.
    """

    def __init__(
        self,
        cfg: GatewayConfig,
        client: httpx2.AsyncClient,
        *,
        token: str,
        clock: Clock,
        make_id: Callable[[float], str] | None = None,
        on_config: Callable[[GatewayConfig], None] | None = None,
        watchdog: Callable[[], Mapping[str, int]] | None = None,
        heartbeat_interval_s: float = 60.0,
        fleet_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock
        self.outbox = open_outbox(cfg)
        self.pipeline = Pipeline(cfg, make_id or id_factory(clock))
        self.uploader = uploader_for(cfg, self.outbox, client, token, clock)
        self.wake = asyncio.Event()
        self._on_config = on_config
        self.fleet = FleetClient(
            cfg,
            client,
            token=token,
            clock=clock,
            pipeline=self.pipeline,
            outbox=self.outbox,
            uploader=self.uploader,
            on_config=self._apply,
            watchdog=watchdog,
            interval_s=heartbeat_interval_s,
            **dict(fleet_options or {}),
        )
        self._tasks: list[asyncio.Task[None]] = []

    def _apply(self, new: GatewayConfig) -> None:
        self.pipeline.reconfigure(new)
        self.uploader.config = new.upload
        self.uploader.batch_size = min(self.uploader.batch_size, new.upload.batch_max)
        if self._on_config is not None:
            self._on_config(new)

    def load_stored(self) -> bool:
        """Apply the last good remote config from disk (before feeding, without network)."""
        return self.fleet.load_stored()

    def store(self, events: list[ProximityEvent]) -> None:
        """Commit ``events`` to the outbox (one transaction), wake the uploader, empty the list."""
        if events:
            self.outbox.add(events, base=self.clock.base())
            events.clear()
            self.wake.set()

    def start(self, stop: asyncio.Event) -> None:
        """Start uploading and heartbeating until ``stop``."""
        self._tasks = [
            asyncio.create_task(self.uploader.run(stop, self.wake)),
            asyncio.create_task(self.fleet.run(stop)),
        ]

    def close_presence(self, now: float) -> None:
        """Close every open presence at ``now`` (shutdown) and store the exits."""
        self.store(self.pipeline.close_all(now))

    async def finish(self) -> None:
        """After ``stop``: let the tasks end, then send what the outbox holds for at most
        :data:`DRAIN_S` (what is not acknowledged stays in the outbox for next time)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.uploader.drain(DRAIN_S)

    def close(self) -> None:
        """Close the outbox (the HTTP client belongs to the caller)."""
        self.outbox.close()
