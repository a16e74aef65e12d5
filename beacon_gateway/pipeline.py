"""The pure core: advertisements in, proximity events out (decode → filter → smooth → presence).

- **Filter before heavy work.** A UID frame's namespace sits at bytes 2..12 of the service data:
  it is checked against ``[scan] namespaces`` before the frame is decoded at all. EID frames are
  always kept (only the CRM can resolve them). Everything that is not Eddystone (iBeacons,
  phones, Find Hub trackers) is counted and dropped: the ingest contract only knows UID and EID.
- **Decode once per distinct frame.** A static card repeats the same bytes for years, so decoded
  results are memoised per service-data value (bounded; cleared when full).
- **Identities are frame contents.** The address is used only here, in memory, to pair a TLM (or
  URL) frame with the identity frame of the same transmitter: the TLM feeds the health report,
  and its RSSI counts as a sighting of that identity (bleak reports one service-data value per
  UUID at a time, so an interleaving card shows up as TLM half of the time).
- Malformed frames are counted and dropped; they never raise.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from beacon_gateway.advert import FEAA, Advertisement
from beacon_gateway.clock import UNIX_BASE, Clock
from beacon_gateway.config import GatewayConfig
from beacon_gateway.events import ProximityEvent, eid_identity, uid_identity
from beacon_gateway.ids import uuid7
from beacon_gateway.presence import PresenceMachine
from beacon_gateway.rssi import eddystone_ref_1m
from eddystone import EddystoneError, EidFrame, TlmFrame, UidFrame, parse_service_data

__all__ = ["Counters", "Pipeline", "id_factory"]

_UID, _URL, _TLM, _EID = 0x00, 0x10, 0x20, 0x30
_CACHE_MAX = 8192

# What a distinct service-data value decodes to: (identity or None, 1 m reference, TLM or None)
_Decoded = tuple[bytes | None, float | None, TlmFrame | None]


@dataclass(slots=True)
class Counters:
    """What the pipeline saw, for telemetry (all monotonic counts)."""

    adverts: int = 0
    not_eddystone: int = 0
    filtered_namespace: int = 0
    malformed: int = 0
    unpaired: int = 0
    sightings: int = 0
    events: dict[str, int] = field(default_factory=lambda: {"enter": 0, "dwell": 0, "exit": 0})


def id_factory(clock: Clock) -> Callable[[float], str]:
    """Event ids: UUIDv7 of the event's own time on a Unix clock, else of the wall clock."""
    if clock.base() == UNIX_BASE:
        return lambda at: str(uuid7(int(at * 1000)))
    return lambda _at: str(uuid7(int(clock.wall() * 1000)))


class Pipeline:
    """Decode, filter, smooth and decide presence for one gateway."""

    def __init__(self, config: GatewayConfig, make_id: Callable[[float], str]) -> None:
        self.config = config
        self.presence = PresenceMachine(config.presence, make_id)
        self.counters = Counters()
        self.namespaces = frozenset(bytes.fromhex(ns) for ns in config.scan.namespaces)
        self.health: OrderedDict[bytes, TlmFrame] = OrderedDict()
        self._pairs: OrderedDict[str, tuple[bytes, float | None, float]] = OrderedDict()
        self._decoded: dict[bytes, _Decoded] = {}
        self._max_pairs = config.presence.max_tracked
        self._pair_ttl = config.presence.exit_timeout_s
        self.last_advert_at: float | None = None

    def reconfigure(self, config: GatewayConfig) -> None:
        """Apply a new config live (remote config): filters and presence thresholds.

        Open presences are kept (a threshold change must not end every visit); they follow
        the new thresholds from the next sighting or timer on.
        """
        self.config = config
        self.presence.reconfigure(config.presence)
        self.namespaces = frozenset(bytes.fromhex(ns) for ns in config.scan.namespaces)
        self._max_pairs = config.presence.max_tracked
        self._pair_ttl = config.presence.exit_timeout_s

    def _decode(self, data: bytes) -> _Decoded | None:
        try:
            frame = parse_service_data(data)
        except EddystoneError:
            return None
        decoded: _Decoded
        if isinstance(frame, UidFrame):
            ident = uid_identity(frame.namespace, frame.instance)
            decoded = (ident, eddystone_ref_1m(frame.tx_power_0m), None)
        elif isinstance(frame, EidFrame):
            decoded = (eid_identity(frame.eid), eddystone_ref_1m(frame.tx_power_0m), None)
        elif isinstance(frame, TlmFrame):
            decoded = (None, None, frame)
        else:
            decoded = (None, None, None)  # URL, eTLM: only pairable
        if len(self._decoded) >= _CACHE_MAX:
            self._decoded.clear()
        self._decoded[data] = decoded
        return decoded

    def process(self, adv: Advertisement) -> list[ProximityEvent]:
        """Take one advertisement report; return the events it (and time passing) caused."""
        c = self.counters
        c.adverts += 1
        self.last_advert_at = adv.t
        data = adv.service_data.get(FEAA)
        if not data:
            c.not_eddystone += 1
            return self.advance(adv.t)
        frame_type = data[0]
        if frame_type == _UID:
            if self.namespaces and data[2:12] not in self.namespaces:
                c.filtered_namespace += 1
                return self.advance(adv.t)
        elif frame_type not in (_EID, _TLM, _URL):
            c.not_eddystone += 1  # Find Hub and other foreign frames under 0xFEAA
            return self.advance(adv.t)
        decoded = self._decoded.get(data) or self._decode(data)
        if decoded is None:
            c.malformed += 1
            return self.advance(adv.t)
        identity, ref_1m, tlm = decoded
        pairs = self._pairs
        if identity is not None:
            if adv.address in pairs:
                pairs.move_to_end(adv.address)
            elif len(pairs) >= self._max_pairs:
                pairs.popitem(last=False)
            pairs[adv.address] = (identity, ref_1m, adv.t)
        else:
            pair = pairs.get(adv.address)
            if pair is None or adv.t - pair[2] > self._pair_ttl:
                c.unpaired += 1
                return self.advance(adv.t)
            identity, ref_1m, _ = pair
            if tlm is not None:
                self._remember_health(identity, tlm)
        c.sightings += 1
        events = self.presence.observe(identity, adv.t, adv.rssi, ref_1m)
        if events:
            self._count(events)
        return events

    def _remember_health(self, identity: bytes, tlm: TlmFrame) -> None:
        health = self.health
        health[identity] = tlm
        health.move_to_end(identity)
        if len(health) > self._max_pairs:
            health.popitem(last=False)

    def _count(self, events: Iterable[ProximityEvent]) -> None:
        counts = self.counters.events
        for e in events:
            counts[e.kind] += 1

    def advance(self, now: float) -> list[ProximityEvent]:
        """Fire the presence timers due by ``now``."""
        events = self.presence.advance(now)
        if events:
            self._count(events)
        return events

    def close_all(self, now: float) -> list[ProximityEvent]:
        """Close every open presence (end of a trace, shutdown)."""
        events = self.presence.close_all(now)
        self._count(events)
        self._pairs.clear()
        return events
