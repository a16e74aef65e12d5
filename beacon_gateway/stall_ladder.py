"""The stall ladder: decides when BlueZ has stalled and how hard to kick it (pure logic).

The scan watchdog (:mod:`beacon_gateway.scan_watchdog`) feeds it and acts on its answers.

A quiet site at night is not a stall. The watchdog only trusts two signals:

- the adapter's own ``Discovering`` property: we asked for discovery and BlueZ says it is not
  discovering (bluetoothd lost it, the controller hung) for longer than ``silence_s``;
- when ``scan.reference_beacon`` is configured (a fixed beacon at the site, always in range),
  its silence for longer than ``silence_s`` — the adapter may claim to discover and hear nothing.

Escalation, each step counted (reported in the heartbeat's ``watchdog``): restart the scan →
power-cycle the adapter → exit non-zero so systemd restarts the service. Between steps the
watchdog waits ``backoff_s``, doubling per step (capped at ``backoff_max_s``), so a fault never
turns into a restart loop; a healthy spell of ``backoff_max_s`` resets the ladder. The clock is
passed in (``now``), so the escalation is tested without waiting.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

__all__ = ["Action", "Watchdog", "WatchdogCounters"]


class Action(enum.Enum):
    """What the shell should do now."""

    NONE = "none"
    RESTART_SCAN = "restart_scan"
    RESET_ADAPTER = "reset_adapter"
    EXIT = "exit"


_LADDER = (Action.RESTART_SCAN, Action.RESET_ADAPTER, Action.EXIT)


@dataclass(slots=True)
class WatchdogCounters:
    """Monotonic counts for telemetry."""

    stalls: int = 0
    scan_restarts: int = 0
    adapter_resets: int = 0
    exits: int = 0

    def as_dict(self) -> dict[str, int]:
        """The heartbeat's ``watchdog`` object: every count by its name."""
        return asdict(self)


class Watchdog:
    """Stall detection and escalation for one adapter."""

    def __init__(
        self,
        silence_s: float,
        *,
        reference_configured: bool = False,
        backoff_s: float = 30.0,
        backoff_max_s: float = 600.0,
        started_at: float = 0.0,
    ) -> None:
        self.silence_s = silence_s
        self.reference_configured = reference_configured
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.counters = WatchdogCounters()
        self._started = started_at
        self._not_discovering_since: float | None = None
        self._step = 0  # next rung of the ladder
        self._next_action_at = 0.0
        self._healthy_since: float | None = started_at
        self._stalled = False

    def stalled(self, now: float, discovering: bool, last_reference_at: float | None) -> bool:
        """Whether the scan counts as stalled at ``now`` (see the module docstring)."""
        if discovering:
            self._not_discovering_since = None
        elif self._not_discovering_since is None:
            self._not_discovering_since = now
        if (
            self._not_discovering_since is not None
            and now - self._not_discovering_since > self.silence_s
        ):
            return True
        if self.reference_configured:
            heard = self._started if last_reference_at is None else last_reference_at
            return now - heard > self.silence_s
        return False

    def observe(self, now: float, discovering: bool, last_reference_at: float | None) -> Action:
        """One check (call every few seconds); returns the action to take now."""
        if not self.stalled(now, discovering, last_reference_at):
            heard = last_reference_at is not None and now - last_reference_at <= self.silence_s
            if not (discovering and (heard or not self.reference_configured)):
                return Action.NONE  # the grace period after an action is no proof of health
            self._stalled = False
            if self._healthy_since is None:
                self._healthy_since = now
            if self._step and now - self._healthy_since >= self.backoff_max_s:
                self._step = 0  # healthy long enough: start the ladder from the bottom again
            return Action.NONE
        self._healthy_since = None
        if not self._stalled:
            self._stalled = True
            self.counters.stalls += 1
        if now < self._next_action_at:
            return Action.NONE
        action = _LADDER[min(self._step, len(_LADDER) - 1)]
        self._next_action_at = now + min(self.backoff_max_s, self.backoff_s * 2.0**self._step)
        self._step += 1
        if action is Action.RESTART_SCAN:
            self.counters.scan_restarts += 1
        elif action is Action.RESET_ADAPTER:
            self.counters.adapter_resets += 1
        else:
            self.counters.exits += 1
        # A fresh action gives the scan a fresh chance: silence is measured from now.
        self._not_discovering_since = None if discovering else now
        self._started = now
        return action
