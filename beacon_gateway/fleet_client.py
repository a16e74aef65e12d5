"""The fleet client, on the gateway's side: heartbeat and following the remote config.

- **Heartbeat** (``POST /api/v1/gateway/heartbeat``, every ``interval_s``): version, the
  applied remote config (version, ETag, hash of the effective remote-managed sections, last
  error), advertisements/s, age of the last advertisement, outbox depth and oldest age,
  uploader and watchdog counters, uptime, CPU temperature and disk where the hardware says,
  clock sync, and the TLM health of passes heard since the last heartbeat (identity as in
  events, never an address). The answer says whether the config is stale.
- **Remote config** (``GET /api/v1/gateway/config`` with ``If-None-Match``): fetched at start
  and whenever a heartbeat says it is stale, applied over the local file by
  :mod:`beacon_gateway.remote_config`, then live through a callback. A document that does not
  validate is refused whole: the last good one stays in force and the error goes into the next
  heartbeat.

Enrolment is :mod:`beacon_gateway.enrolment`. The CRM's pydantic models
(``crm/fleet/schemas.py``) are the source of truth for these payloads; the gateway does
not import them (``tests/contract/test_contract_fleet_client.py`` checks the two against each
other).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx2

from beacon_gateway.clock import Clock
from beacon_gateway.config import ConfigError, GatewayConfig
from beacon_gateway.events import device_json, rfc3339
from beacon_gateway.outbox import Outbox
from beacon_gateway.pipeline import Pipeline
from beacon_gateway.remote_config import ConfigStore, RemoteConfig, apply_remote
from beacon_gateway.uploader import Uploader

__all__ = [
    "CONFIG_PATH",
    "HEARTBEAT_PATH",
    "FleetClient",
    "FleetError",
    "FleetState",
    "cpu_temperature_c",
    "gateway_version",
]

log = logging.getLogger("beacon_gateway.fleet_client")

HEARTBEAT_PATH = "/api/v1/gateway/heartbeat"
CONFIG_PATH = "/api/v1/gateway/config"
MAX_PASSES = 10_000  # the CRM takes at most this many pass health reports per heartbeat
THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")


class FleetError(RuntimeError):
    """The CRM refused or did not answer as the contract says; the message says why."""


def gateway_version() -> str:
    """This gateway's software version (the installed ``balise`` distribution)."""
    try:
        return metadata.version("balise")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def cpu_temperature_c(zone: Path = THERMAL_ZONE) -> float | None:
    """The SoC temperature (Raspberry Pi: thermal zone 0, in m°C), None where not available."""
    try:
        value = float(zone.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None
    return value if -60.0 <= value <= 150.0 else None


@dataclass(slots=True)
class _Rate:
    """Advertisements per second between two heartbeats."""

    at: float | None = None
    count: int = 0

    def update(self, now: float, count: int) -> float:
        rate = 0.0
        if self.at is not None and now > self.at:
            rate = max(0, count - self.count) / (now - self.at)
        self.at, self.count = now, count
        return rate


@dataclass(slots=True)
class FleetState:
    """What the fleet client knows, for the heartbeat and for tests."""

    applied: RemoteConfig | None = None
    config_error: str | None = None
    heartbeats: int = 0
    heartbeat_errors: int = 0
    config_fetches: int = 0
    last_error: str | None = None
    last_ack: dict[str, Any] = field(default_factory=dict)


class FleetClient:
    """Heartbeat and remote config for one running gateway."""

    def __init__(
        self,
        local: GatewayConfig,
        client: httpx2.AsyncClient,
        *,
        token: str,
        clock: Clock,
        pipeline: Pipeline,
        outbox: Outbox,
        uploader: Uploader | None = None,
        on_config: Callable[[GatewayConfig], None] | None = None,
        watchdog: Callable[[], Mapping[str, int]] | None = None,
        interval_s: float = 60.0,
        version: str | None = None,
        thermal_zone: Path = THERMAL_ZONE,
        started_at: float | None = None,
    ) -> None:
        self.local = local
        self.effective = local
        self.client = client
        self.clock = clock
        self.pipeline = pipeline
        self.outbox = outbox
        self.uploader = uploader
        self.on_config = on_config
        self.watchdog = watchdog
        self.interval_s = interval_s
        self.version = version or gateway_version()
        self.thermal_zone = thermal_zone
        self.store = ConfigStore(local.gateway.data_dir)
        self.state = FleetState()
        self._base = local.gateway.crm_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._started = clock.now() if started_at is None else started_at
        self._rate = _Rate()
        self._nudge = asyncio.Event()

    def nudge(self) -> None:
        """Heartbeat now rather than at the next interval (the gateway's state changed)."""
        self._nudge.set()

    # --- remote config ---------------------------------------------------------------------

    def _accept(self, remote: RemoteConfig, *, persist: bool) -> bool:
        try:
            _, cfg = apply_remote(self.local, remote.document, self.local.gateway.id)
        except ConfigError as exc:
            self.state.config_error = str(exc)[:500]
            log.error("refused %s; keeping the last good config", exc)
            return False
        if persist:
            self.store.save(remote)
        self.state.applied = remote
        self.state.config_error = None
        changed = cfg != self.effective
        self.effective = cfg
        if changed and self.on_config is not None:
            self.on_config(cfg)
        log.info("remote config version %d applied", remote.version)
        return True

    def load_stored(self) -> bool:
        """Apply the last good remote config from disk (at start, before any network)."""
        stored = self.store.load()
        return stored is not None and self._accept(stored, persist=False)

    async def fetch_config(self) -> bool:
        """``GET`` the config (conditional on the applied ETag); True if a new one was applied."""
        self.state.config_fetches += 1
        headers = dict(self._headers)
        applied = self.state.applied
        if applied is not None and applied.etag:
            headers["If-None-Match"] = applied.etag
        try:
            resp = await self.client.get(self._base + CONFIG_PATH, headers=headers, timeout=30.0)
        except httpx2.HTTPError as exc:
            self.state.last_error = f"config: network: {exc}"
            return False
        if resp.status_code == 304:
            return False
        if resp.status_code != 200:
            self.state.last_error = f"config: HTTP {resp.status_code}"
            log.warning("config fetch from %s failed: HTTP %d", self._base, resp.status_code)
            return False
        try:
            document = resp.json()
            version = int(document["config_version"])
        except (ValueError, KeyError, TypeError) as exc:
            self.state.config_error = f"remote config: not a config document: {exc}"[:500]
            return False
        remote = RemoteConfig(version, resp.headers.get("ETag"), dict(document))
        return self._accept(remote, persist=True)

    # --- heartbeat -------------------------------------------------------------------------

    def _passes(self) -> tuple[list[dict[str, Any]], list[tuple[bytes, object]]]:
        out: list[dict[str, Any]] = []
        sent: list[tuple[bytes, object]] = []
        for identity, tlm in list(self.pipeline.health.items())[-MAX_PASSES:]:
            out.append(
                {
                    "device": device_json(identity),
                    "battery_mv": tlm.battery_mv or None,  # 0: "not measured" (mains power)
                    "temperature_c": tlm.temperature_c,
                    "adv_count": tlm.adv_count,
                    "uptime_s": tlm.uptime_s,
                }
            )
            sent.append((identity, tlm))
        return out, sent

    def heartbeat_payload(self) -> tuple[dict[str, Any], list[tuple[bytes, object]]]:
        """The heartbeat body, and the pass health it reports (cleared once acknowledged)."""
        now = self.clock.now()
        p = self.pipeline
        counters: dict[str, float] = {
            "adverts": p.counters.adverts,
            "sightings": p.counters.sightings,
            "not_eddystone": p.counters.not_eddystone,
            "filtered_namespace": p.counters.filtered_namespace,
            "malformed": p.counters.malformed,
            "unpaired": p.counters.unpaired,
            "present": p.presence.present_count,
            "tracked": len(p.presence),
            **{f"events_{kind}": n for kind, n in p.counters.events.items()},
        }
        up = self.uploader
        if up is not None:
            st = up.state
            counters.update(
                upload_batches=st.batches,
                upload_accepted=st.accepted,
                upload_duplicates=st.duplicates,
                upload_rejected=st.rejected,
                upload_errors=st.errors,
                upload_batch_size=up.batch_size,
            )
        counters.update(
            heartbeat_errors=self.state.heartbeat_errors,
            config_fetches=self.state.config_fetches,
        )
        stats = self.outbox.stats()
        disk_free = disk_total = None
        with contextlib.suppress(OSError):
            usage = shutil.disk_usage(self.outbox.path.parent)
            disk_free, disk_total = usage.free, usage.total
        applied = self.state.applied
        passes, sent = self._passes()
        last = p.last_advert_at
        body: dict[str, Any] = {
            "gateway_id": self.local.gateway.id,
            "sent_at": rfc3339(self.clock.wall()),
            "version": self.version,
            "config_version": None if applied is None else applied.version,
            "config_etag": None if applied is None else applied.etag,
            "config_hash": self.effective.remote_hash(),
            "config_error": self.state.config_error,
            "uptime_s": max(0.0, now - self._started),
            "adverts_per_s": round(self._rate.update(now, p.counters.adverts), 3),
            "last_advert_age_s": None if last is None else max(0.0, now - last),
            "outbox_depth": stats.depth,
            "outbox_oldest_age_s": stats.oldest_age_s,
            "outbox_dropped": stats.dropped_dwell + stats.dropped_other,
            "upload_auth_failed": bool(up and up.state.auth_failed),
            "upload_last_error": None if up is None else _clip(up.state.last_error),
            "watchdog": dict(self.watchdog()) if self.watchdog else {},
            "counters": counters,
            "cpu_temperature_c": cpu_temperature_c(self.thermal_zone),
            "disk_free_bytes": disk_free,
            "disk_total_bytes": disk_total,
            "clock_synced": self.clock.unix_offset() is not None,
            "passes": passes,
        }
        return body, sent

    async def heartbeat(self) -> dict[str, Any] | None:
        """Send one heartbeat; returns the CRM's answer, or None on failure (logged, counted)."""
        body, sent = self.heartbeat_payload()
        raw = gzip.compress(json.dumps(body, separators=(",", ":")).encode(), compresslevel=6)
        headers = {
            **self._headers,
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }
        try:
            resp = await self.client.post(
                self._base + HEARTBEAT_PATH, content=raw, headers=headers, timeout=30.0
            )
            if resp.status_code != 200:
                raise FleetError(f"HTTP {resp.status_code}: {resp.text[:200]}")
            ack: dict[str, Any] = resp.json()
        except (httpx2.HTTPError, FleetError, ValueError) as exc:
            self.state.heartbeat_errors += 1
            self.state.last_error = f"heartbeat: {exc}"[:500]
            log.warning("heartbeat to %s failed: %s", self._base, exc)
            return None
        self.state.heartbeats += 1
        self.state.last_ack = ack
        health = self.pipeline.health
        for identity, tlm in sent:  # reported: forget, unless a newer TLM came meanwhile
            if health.get(identity) is tlm:
                del health[identity]
        return ack

    async def run(self, stop: asyncio.Event) -> None:
        """Fetch the config, then heartbeat every ``interval_s`` (and refetch when stale)."""
        fetch = True
        while not stop.is_set():
            # Telemetry must never take the gateway down: anything unexpected is logged and
            # retried at the next beat.
            try:
                if fetch:
                    await self.fetch_config()
                ack = await self.heartbeat()
                fetch = ack is not None and bool(ack.get("config_stale"))
            except Exception as exc:
                self.state.last_error = f"fleet: {type(exc).__name__}: {exc}"[:500]
                log.exception("fleet client step failed")
                fetch = True
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._nudge.wait())]
            await asyncio.wait(waits, timeout=self.interval_s, return_when="FIRST_COMPLETED")
            for wait in waits:
                wait.cancel()
            self._nudge.clear()


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:500]


# --- enrolment --------------------------------------------------------------------------------
