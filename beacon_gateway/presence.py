"""The presence state machine: sightings in, enter / dwell / exit events out. Pure.

Rules (docs/architecture.md "Event times", ``[presence]``):

- **enter** when ``min_sightings`` consecutive sightings have a smoothed RSSI at or above
  ``enter_rssi_dbm``; ``observed_at`` is the sighting that completed it.
- **exit** when a sighting's smoothed RSSI falls below ``exit_rssi_dbm`` (``observed_at`` = that
  sighting), or when nothing is heard for ``exit_timeout_s`` (``observed_at`` = last sighting +
  ``exit_timeout_s``). ``dwell_s`` is the whole stay up to that moment.
- **dwell** every ``dwell_interval_s`` while present, at the moment it falls due, carrying the
  stay so far; a dwell due at or after the exit moment is not emitted.
- at most one open presence per identity; at most ``max_tracked`` identities in memory: the one
  heard least recently is evicted first (with an exit at the eviction moment if present).

Time never comes from the system: every call says what time it is, so a recorded trace
replays identically. Timers live in one heap with lazy invalidation: a sighting only updates
``last_seen``; when a timeout entry falls due it is re-armed at ``last_seen + exit_timeout_s`` if
the pass was heard since. This keeps the per-advertisement cost O(1) amortised.
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from collections.abc import Callable

from beacon_gateway.config import PresenceConfig
from beacon_gateway.events import EventKind, ProximityEvent
from beacon_gateway.rssi import RssiWindow, SignalModel

__all__ = ["PresenceMachine"]

_TIMEOUT = 0  # on a tie, the exit wins over a dwell due at the same moment
_DWELL = 1


class _Track:
    """What the machine remembers about one identity."""

    __slots__ = (
        "entered_at",
        "identity",
        "last_seen",
        "present",
        "ref_1m",
        "rssi",
        "streak",
        "visit",
        "window",
    )

    def __init__(self, identity: bytes, window_s: float) -> None:
        self.identity = identity
        self.window = RssiWindow(window_s)
        self.ref_1m: float | None = None
        self.rssi = -127.0
        self.streak = 0
        self.present = False
        self.entered_at = 0.0
        self.last_seen = 0.0
        self.visit = 0  # bumped at each enter: tells a stale dwell timer from a live one


class PresenceMachine:
    """Per-identity presence with hysteresis, periodic dwell and timeouts."""

    def __init__(
        self,
        config: PresenceConfig,
        make_id: Callable[[float], str],
        model: SignalModel | None = None,
    ) -> None:
        self.config = config
        self.model = model or SignalModel(config.rx_offset_db, config.path_loss_exponent)
        self._make_id = make_id
        self._tracks: OrderedDict[bytes, _Track] = OrderedDict()
        self._heap: list[tuple[float, int, int, _Track, int, int]] = []
        self._tie = itertools.count()
        self._now = -float("inf")
        self.evicted = 0

    def reconfigure(self, config: PresenceConfig) -> None:
        """New thresholds and signal model from now on (remote config); open presences stay.

        Timers already set keep their due time (a shorter ``exit_timeout_s`` takes effect at
        the next sighting), and tracks keep their smoothing window until they are forgotten.
        """
        self.config = config
        self.model = SignalModel(config.rx_offset_db, config.path_loss_exponent)

    def __len__(self) -> int:
        return len(self._tracks)

    @property
    def present_count(self) -> int:
        """How many identities are present now."""
        return sum(1 for t in self._tracks.values() if t.present)

    def is_present(self, identity: bytes) -> bool:
        """Whether ``identity`` has an open presence."""
        track = self._tracks.get(identity)
        return track is not None and track.present

    def _event(self, kind: EventKind, at: float, track: _Track, dwell_s: float) -> ProximityEvent:
        model = self.model
        return ProximityEvent(
            id=self._make_id(at),
            seq=0,
            kind=kind,
            observed_at=at,
            identity=track.identity,
            rssi=track.rssi,
            distance_m=model.distance_m(track.rssi, track.ref_1m),
            zone=model.zone(track.rssi, track.ref_1m),
            dwell_s=dwell_s,
        )

    def _push(self, due: float, order: int, track: _Track, visit: int = 0, k: int = 0) -> None:
        heapq.heappush(self._heap, (due, order, next(self._tie), track, visit, k))

    def observe(
        self, identity: bytes, t: float, rssi: float, ref_1m: float | None
    ) -> list[ProximityEvent]:
        """One sighting of ``identity`` at time ``t``; returns the events due up to ``t``."""
        if t < self._now:
            t = self._now  # a report delivered late is counted now: time never goes back
        heap = self._heap
        events = self.advance(t) if heap and heap[0][0] <= t else []
        self._now = t
        cfg = self.config
        tracks = self._tracks
        track = tracks.get(identity)
        if track is None:
            if len(tracks) >= cfg.max_tracked:
                self._evict(t, events)
            track = _Track(identity, cfg.smoothing_window_s)
            tracks[identity] = track
            self._push(t + cfg.exit_timeout_s, _TIMEOUT, track)
        else:
            tracks.move_to_end(identity)
        track.last_seen = t
        if ref_1m is not None:
            track.ref_1m = ref_1m
        smoothed = track.window.add(t, rssi + self.model.rx_offset_db)
        track.rssi = smoothed
        if track.present:
            if smoothed < cfg.exit_rssi_dbm:
                events.append(self._event("exit", t, track, t - track.entered_at))
                track.present = False
                track.streak = 0
        elif smoothed >= cfg.enter_rssi_dbm:
            track.streak += 1
            if track.streak >= cfg.min_sightings:
                track.present = True
                track.entered_at = t
                track.visit += 1
                events.append(self._event("enter", t, track, 0.0))
                self._push(t + cfg.dwell_interval_s, _DWELL, track, track.visit, 1)
        else:
            track.streak = 0
        return events

    def _evict(self, t: float, events: list[ProximityEvent]) -> None:
        """Forget the identity heard least recently, closing its presence at ``t``."""
        _, track = self._tracks.popitem(last=False)
        self.evicted += 1
        if track.present:
            events.append(self._event("exit", t, track, t - track.entered_at))

    def advance(self, now: float) -> list[ProximityEvent]:
        """Fire every timer due at or before ``now`` (dwells and timeout exits), in time order."""
        if now > self._now:
            self._now = now
        events: list[ProximityEvent] = []
        heap, tracks, cfg = self._heap, self._tracks, self.config
        while heap and heap[0][0] <= now:
            due, order, _, track, visit, k = heapq.heappop(heap)
            if tracks.get(track.identity) is not track:
                continue  # evicted or expired since this timer was set
            if order == _TIMEOUT:
                real_due = track.last_seen + cfg.exit_timeout_s
                if real_due > due:
                    self._push(real_due, _TIMEOUT, track)
                    continue
                if track.present:
                    events.append(self._event("exit", due, track, due - track.entered_at))
                del tracks[track.identity]
            elif track.present and track.visit == visit:
                entered = track.entered_at
                events.append(self._event("dwell", due, track, due - entered))
                self._push(entered + (k + 1) * cfg.dwell_interval_s, _DWELL, track, visit, k + 1)
        return events

    def close_all(self, now: float) -> list[ProximityEvent]:
        """Close every open presence by the rules (end of a trace, shutdown).

        Nothing more will be heard, so each presence ends at its last sighting plus
        ``exit_timeout_s`` — possibly later than ``now`` — after the dwells due before then.
        """
        latest = max((t.last_seen for t in self._tracks.values()), default=now)
        events = self.advance(max(now, latest + self.config.exit_timeout_s))
        self._tracks.clear()
        self._heap.clear()
        return events
