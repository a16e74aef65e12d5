"""``beacon-gateway simulate``: visitors walking between sites, through the real gateway stack.

Scenario file (JSON; a relative ``data_dir`` is relative to the file's folder)::

    {"crm_url": "http://127.0.0.1:8000", "data_dir": "gateways",
     "gateways": [{"id": "zoo-1", "token": "<bearer>", "site": "zoo"}],
     "passes": [{"type": "eddystone-uid", "namespace": "<20 hex>", "instance": "<12 hex>"},
                {"type": "eddystone-eid", "identity_key": "<32 hex>", "k": 10}],
     "presence": {...optional [presence] overrides...},
     "upload": {...optional [upload] overrides...}}

One visitor per pass. Each visitor waits a little, then loops: approach a site (30 s, 25 m → 3 m),
stay 3-12 minutes wandering 0.7-4 m from the gateway(s), leave (30 s, 3 m → 30 m), travel 2-8
minutes out of range, then another site. Every gateway of the site hears the visitor at its own
distance. RSSI follows the same log-distance model the gateway inverts, with Gaussian noise
(sd 3 dB), occasional 15 dB body-shadow dips and 10 % lost packets. Frames are real: built by
the ``eddystone`` builders (UID, or EID computed from the identity key with the scenario's K and
the card's own clock as its time counter), with a TLM frame interleaved every tenth
advertisement from the same address. A card's clock is real time, not sped up: the simulation
hurries the visitors' walks, not the cards, so the CRM's EID table (kept around real time by its
scheduler) resolves the EIDs heard.

Each gateway is a :class:`~beacon_gateway.node.GatewayNode`, the same wiring ``run`` uses: its
own pipeline, outbox (``data_dir/<gateway id>/outbox.db``) and uploader with its own token, and
its fleet client, so it heartbeats (the office's fleet view shows it online) and follows the
remote config like a real gateway: what the CRM serves wins over the scenario's ``presence`` and
``upload``, as over a real gateway's file (the CRM's defaults are the gateway's own, so only an
office override or the CRM's upload cadence changes anything).

Time: the simulated clock starts at the real time and runs ``speed`` times faster. It is the
simulated gateways' own clock, so ``sent_at`` is on it too: a gateway whose clock runs ahead is
exactly what the CRM's ``sent_at`` correction (docs/architecture.md) is for, and events land in
the CRM at the real time they are uploaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.clock import UnixClock
from beacon_gateway.config import ConfigError, GatewayConfig, config_from_mapping
from beacon_gateway.events import ProximityEvent
from beacon_gateway.files import read_document
from beacon_gateway.node import GatewayNode
from beacon_gateway.shutdown import stop_on_signals
from eddystone import build_eid, build_tlm, build_uid, compute_eid

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimClock",
    "World",
    "load_scenario",
    "run_simulation",
]

TX_POWER_0M = -18  # a typical card: -59 dBm at 1 m
ADV_HZ = 1.0  # advertisements per simulated second per visitor (what a card sends, roughly)
PATH_LOSS_N = 2.7
NOISE_DB = 3.0
LOSS = 0.10
DIP_P, DIP_DB = 0.05, 15.0
SENSITIVITY_DBM = -100.0
_HEX = re.compile(r"^[0-9a-f]*$")


class ScenarioError(ValueError):
    """The scenario file is not valid; the message says where."""


@dataclass(frozen=True, slots=True)
class SimGateway:
    """A simulated gateway: its CRM name, bearer token and site."""

    id: str
    token: str
    site: str


@dataclass(frozen=True, slots=True)
class SimPass:
    """A visitor's pass: ``uid`` (namespace + instance) or ``eid`` (identity key + K)."""

    type: str
    namespace: bytes = b""
    instance: bytes = b""
    identity_key: bytes = b""
    k: int = 10


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated scenario file."""

    crm_url: str
    data_dir: Path
    gateways: tuple[SimGateway, ...]
    passes: tuple[SimPass, ...]
    presence: dict[str, Any] = field(default_factory=dict)
    upload: dict[str, Any] = field(default_factory=dict)

    def gateway_config(self, gw: SimGateway) -> GatewayConfig:
        """The full config of one simulated gateway."""
        upload = {"interval_s": 1.0, **self.upload}
        return config_from_mapping(
            {
                "gateway": {
                    "id": gw.id,
                    "crm_url": self.crm_url,
                    "data_dir": str(self.data_dir / gw.id),
                },
                "presence": self.presence,
                "upload": upload,
            }
        )


def _hex(where: str, value: Any, size: int) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * size or not _HEX.match(value.lower()):
        raise ScenarioError(f"{where}: expected {2 * size} hex digits, got {value!r}")
    return bytes.fromhex(value)


def parse_scenario(data: Any) -> Scenario:
    """Validate a scenario mapping."""
    if not isinstance(data, dict):
        raise ScenarioError("the scenario must be a JSON object")
    try:
        gateways = tuple(
            SimGateway(str(g["id"]), str(g["token"]), str(g.get("site", g["id"])))
            for g in data["gateways"]
        )
    except (KeyError, TypeError) as exc:
        raise ScenarioError(f"gateways: each needs id, token and site ({exc})") from exc
    if not gateways:
        raise ScenarioError("gateways: at least one gateway is needed")
    passes: list[SimPass] = []
    for i, p in enumerate(data.get("passes", [])):
        where = f"passes[{i}]"
        kind = p.get("type") if isinstance(p, dict) else None
        if kind == "eddystone-uid":
            passes.append(
                SimPass(
                    "uid",
                    namespace=_hex(f"{where}.namespace", p.get("namespace"), 10),
                    instance=_hex(f"{where}.instance", p.get("instance"), 6),
                )
            )
        elif kind == "eddystone-eid":
            k = p.get("k", 10)
            if not isinstance(k, int) or not 0 <= k <= 15:
                raise ScenarioError(f"{where}.k: expected 0..15, got {k!r}")
            key = _hex(f"{where}.identity_key", p.get("identity_key"), 16)
            passes.append(SimPass("eid", identity_key=key, k=k))
        else:
            raise ScenarioError(f"{where}.type: expected eddystone-uid or eddystone-eid")
    scenario = Scenario(
        crm_url=str(data.get("crm_url", "http://127.0.0.1:8000")),
        data_dir=Path(str(data.get("data_dir", ".balise/sim"))),
        gateways=gateways,
        passes=tuple(passes),
        presence=dict(data.get("presence") or {}),
        upload=dict(data.get("upload") or {}),
    )
    try:
        for gw in gateways:
            scenario.gateway_config(gw)
    except ConfigError as exc:
        raise ScenarioError(str(exc)) from exc
    return scenario


def load_scenario(
    path: str | Path, *, crm_url: str | None = None, data_dir: Path | None = None
) -> Scenario:
    """Read and validate a scenario file; ``crm_url`` and ``data_dir``, when given, replace the
    file's. A relative ``data_dir`` is the scenario file's folder's, never the current one's."""
    p = Path(path)
    data = read_document(path, "JSON", "scenario", ScenarioError)
    if isinstance(data, dict):
        if crm_url is not None:
            data["crm_url"] = crm_url
        if data_dir is not None:
            data["data_dir"] = str(data_dir.resolve())
        elif isinstance(data.get("data_dir"), str):
            data["data_dir"] = str((p.parent / data["data_dir"]).resolve())
    return parse_scenario(data)


class SimClock(UnixClock):
    """Simulated Unix time: starts at ``start`` and runs ``speed`` times faster than ``source``."""

    def __init__(
        self, start: float, speed: float, source: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(source)
        self._start = start
        self._speed = speed
        self._origin = source()

    def now(self) -> float:
        """Simulated Unix seconds (also the simulated gateway's wall clock)."""
        return self._start + (self._source() - self._origin) * self._speed

    def real(self, simulated: float) -> float:
        """The real Unix time at which the simulation reaches ``simulated``."""
        return self._start + (simulated - self._start) / self._speed


@dataclass(slots=True)
class _Leg:
    site: str | None  # None while travelling
    start: float
    end: float
    kind: str  # "wait", "approach", "stay", "leave", "travel"


class Visitor:
    """One pass carried around the destination."""

    def __init__(self, index: int, sim_pass: SimPass, sites: Sequence[str], rng: random.Random):
        self.index = index
        self.sim_pass = sim_pass
        self.sites = list(sites)
        self.rng = rng
        self.site: str | None = None
        self.legs: list[_Leg] = []
        self.next_adv = 0.0
        self.adv_count = 0
        self.stay_distance = 2.0
        self._eid_cache: tuple[int, bytes] | None = None
        self._address = self._new_address()

    def _new_address(self) -> str:
        return ":".join(f"{self.rng.randrange(256):02X}" for _ in range(6))

    def start(self, t0: float) -> None:
        """Begin shortly after ``t0`` (first arrivals within about two simulated minutes)."""
        wait = self.rng.uniform(0.0, 90.0)
        self.legs = [_Leg(None, t0, t0 + wait, "wait")]
        self.next_adv = t0 + self.rng.uniform(0.0, 1.0 / ADV_HZ)
        self._plan(t0 + wait)

    def _plan(self, t: float) -> None:
        choices = [s for s in self.sites if s != self.site] or self.sites
        site = self.rng.choice(choices)
        self.site = site
        stay = self.rng.uniform(180.0, 720.0)
        travel = self.rng.uniform(120.0, 480.0)
        for kind, length in (("approach", 30.0), ("stay", stay), ("leave", 30.0)):
            self.legs.append(_Leg(site, t, t + length, kind))
            t += length
        self.legs.append(_Leg(None, t, t + travel, "travel"))

    def leg(self, t: float) -> _Leg:
        """Where the visitor is at ``t`` (extending the itinerary as needed)."""
        while self.legs[-1].end <= t:
            self._plan(self.legs[-1].end)
        while self.legs[0].end <= t:
            self.legs.pop(0)
        return self.legs[0]

    def distance(self, leg: _Leg, t: float) -> float:
        """Distance to the site's gateways at ``t`` during ``leg``."""
        frac = (t - leg.start) / (leg.end - leg.start)
        if leg.kind == "approach":
            return 25.0 - 22.0 * frac
        if leg.kind == "leave":
            return 3.0 + 27.0 * frac
        # wander: a slow random walk between 0.7 and 4 m
        self.stay_distance = min(4.0, max(0.7, self.stay_distance + self.rng.gauss(0.0, 0.15)))
        return self.stay_distance

    def frame(self, t: float, beacon_t: float) -> bytes:
        """The service data sent at ``t`` (``beacon_t`` on the card's own clock)."""
        self.adv_count += 1
        p = self.sim_pass
        if self.adv_count % 10 == 0:
            return build_tlm(3000 - self.index % 400, 21.5, self.adv_count, self.adv_count * 1.0)
        if p.type == "uid":
            return build_uid(TX_POWER_0M, p.namespace, p.instance)
        counter = int(beacon_t) & 0xFFFFFFFF
        window = counter >> p.k
        if self._eid_cache is None or self._eid_cache[0] != window:
            self._eid_cache = (window, compute_eid(p.identity_key, counter, p.k))
            self._address = self._new_address()  # EID passes rotate their address too
        return build_eid(TX_POWER_0M, self._eid_cache[1])

    @property
    def address(self) -> str:
        """The visitor's current BLE address (random, rotating with the EID)."""
        return self._address


class World:
    """All visitors and gateways; produces each gateway's advertisements over time. Pure."""

    def __init__(
        self,
        gateways: Sequence[SimGateway],
        passes: Sequence[SimPass],
        seed: int,
        t0: float,
        beacon_time: Callable[[float], float] | None = None,
    ) -> None:
        # A card counts EID time on its own clock, which the simulation does not speed up:
        # ``beacon_time`` maps simulated time to it (the identity by default).
        self.beacon_time = beacon_time or (lambda t: t)
        self.rng = random.Random(seed)  # noqa: S311 (a simulation, not crypto)
        self.gateways = list(gateways)
        sites = sorted({g.site for g in gateways})
        self.visitors = [Visitor(i, p, sites, self.rng) for i, p in enumerate(passes)]
        # each gateway stands at its own spot: visitors are a bit nearer or further from it
        self.spread = {g.id: self.rng.uniform(0.8, 1.4) for g in gateways}
        for v in self.visitors:
            v.start(t0)

    def adverts_until(self, t: float) -> list[tuple[int, Advertisement]]:
        """Advertisements heard by each gateway (by index) up to ``t``, in time order."""
        out: list[tuple[int, Advertisement]] = []
        rng = self.rng
        for v in self.visitors:
            while v.next_adv <= t:
                at = v.next_adv
                v.next_adv += (1.0 / ADV_HZ) * rng.uniform(0.9, 1.1)
                leg = v.leg(at)
                if leg.site is None:
                    continue
                distance = v.distance(leg, at)
                data = v.frame(at, self.beacon_time(at))
                for gi, gw in enumerate(self.gateways):
                    if gw.site != leg.site or rng.random() < LOSS:
                        continue
                    d = max(0.1, distance * self.spread[gw.id])
                    rssi = TX_POWER_0M - 41 - 10 * PATH_LOSS_N * math.log10(d)
                    rssi += rng.gauss(0.0, NOISE_DB)
                    if rng.random() < DIP_P:
                        rssi -= DIP_DB
                    if rssi < SENSITIVITY_DBM:
                        continue
                    out.append((gi, Advertisement(at, v.address, round(rssi), {FEAA: data})))
        out.sort(key=lambda item: item[1].t)
        return out


async def run_simulation(
    scenario: Scenario,
    *,
    speed: float = 60.0,
    duration: float | None = None,
    seed: int = 0,
    transport: httpx2.AsyncBaseTransport | None = None,
    on_status: Callable[[list[dict[str, Any]], float], None] | None = None,
    tick_s: float = 0.1,
    stop: asyncio.Event | None = None,
    handle_signals: bool = False,
    heartbeat_interval_s: float = 60.0,
) -> list[dict[str, Any]]:
    """Run until ``stop`` (or SIGINT / SIGTERM when ``handle_signals``) or ``duration`` wall
    seconds; then close every presence, flush the outboxes and return the final status.

    Each gateway heartbeats every ``heartbeat_interval_s`` real seconds (the first at once)."""
    stop = stop or asyncio.Event()
    with stop_on_signals(stop, enabled=handle_signals):
        return await _simulate(
            scenario,
            speed,
            duration,
            seed,
            transport,
            on_status,
            tick_s,
            stop,
            heartbeat_interval_s,
        )


async def _simulate(
    scenario: Scenario,
    speed: float,
    duration: float | None,
    seed: int,
    transport: httpx2.AsyncBaseTransport | None,
    on_status: Callable[[list[dict[str, Any]], float], None] | None,
    tick_s: float,
    stop: asyncio.Event,
    heartbeat_interval_s: float,
) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    clock = SimClock(time.time(), speed)
    world = World(scenario.gateways, scenario.passes, seed, clock.now(), beacon_time=clock.real)
    client = httpx2.AsyncClient(transport=transport) if transport else httpx2.AsyncClient()
    nodes = [
        GatewayNode(
            scenario.gateway_config(gw),
            client,
            token=gw.token,
            clock=clock,
            heartbeat_interval_s=heartbeat_interval_s,
        )
        for gw in scenario.gateways
    ]
    for node in nodes:
        node.load_stored()
        node.start(stop)
    started = loop.time()
    last_status = started

    def status() -> list[dict[str, Any]]:
        return [
            {
                "gateway": n.cfg.gateway.id,
                "events": dict(n.pipeline.counters.events),
                "present": n.pipeline.presence.present_count,
                "outbox": n.outbox.depth,
                "accepted": n.uploader.state.accepted,
                "duplicates": n.uploader.state.duplicates,
                "rejected": n.uploader.state.rejected,
                "auth_failed": n.uploader.state.auth_failed,
                "last_error": n.uploader.state.last_error,
                "heartbeats": n.fleet.state.heartbeats,
            }
            for n in nodes
        ]

    try:
        while not stop.is_set():
            now = clock.now()
            batches: list[list[ProximityEvent]] = [[] for _ in nodes]
            for gi, adv in world.adverts_until(now):
                batches[gi] += nodes[gi].pipeline.process(adv)
            for node, events in zip(nodes, batches, strict=True):
                events += node.pipeline.advance(now)
                node.store(events)
            if on_status and loop.time() - last_status >= 1.0:
                last_status = loop.time()
                on_status(status(), now)
            if duration is not None and loop.time() - started >= duration:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=tick_s)
    finally:
        stop.set()
        now = clock.now()
        for node in nodes:
            node.close_presence(now)
        # One bounded flush for all gateways at once: what is not acknowledged stays in the
        # outboxes for the next run.
        await asyncio.gather(*(node.finish() for node in nodes))
        final = status()
        for node in nodes:
            node.close()
        await client.aclose()
    return final
