"""The gateway's clock seam: monotonic time always, Unix time only once it can be trusted.

A Raspberry Pi has no real-time clock: after a power cut it boots at the last saved time (or
1970) until chrony or systemd-timesyncd synchronises. Live, the pipeline therefore runs on
``time.monotonic()``; events are stored with that monotonic time and this boot's id, and are
stamped with Unix time (monotonic + offset) when the offset is known, i.e. once the system says
the clock is synchronised. Replay and simulation use :class:`ManualClock`, whose time base is
already Unix time.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

__all__ = [
    "Clock",
    "ManualClock",
    "SystemClock",
    "UnixClock",
    "boot_id",
    "systemd_clock_synchronized",
]

UNIX_BASE = "unix"


class Clock(Protocol):
    """What the gateway needs to know about time."""

    def now(self) -> float:
        """Current time in this clock's base (monotonic seconds, or Unix seconds)."""
        ...

    def base(self) -> str:
        """``"unix"`` when :meth:`now` is Unix time, else ``"mono:<boot id>"``."""
        ...

    def unix_offset(self) -> float | None:
        """Seconds to add to :meth:`now` to get Unix time; ``None`` while unsynchronised."""
        ...

    def wall(self) -> float:
        """Best current Unix time, even if unsynchronised (for ``sent_at``)."""
        ...


class UnixClock:
    """A clock on Unix time taken as right: ``record``'s trace stamps, the simulation's base."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source

    def now(self) -> float:
        """Unix seconds."""
        return self._source()

    def base(self) -> str:
        """Always Unix time."""
        return UNIX_BASE

    def unix_offset(self) -> float | None:
        """Already Unix time: offset zero."""
        return 0.0

    def wall(self) -> float:
        """Same as :meth:`now`."""
        return self.now()


class ManualClock(UnixClock):
    """A clock already on Unix time that moves only when told (replay, simulation, tests)."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start  # its time is this value, not a source's

    def now(self) -> float:
        """The time last set."""
        return self.t

    def set(self, t: float) -> None:
        """Move the clock to ``t`` (never backwards)."""
        self.t = max(self.t, t)


def boot_id() -> str:
    """This boot's id (monotonic time is only comparable within one boot)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:  # not Linux: one process = one "boot"
        return f"pid-{time.time_ns()}"


def systemd_clock_synchronized() -> bool:
    """True when systemd-timesyncd or chrony (via timedated) reports NTP synchronisation."""
    if Path("/run/systemd/timesync/synchronized").exists():
        return True
    try:
        out = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.stdout.strip() == "yes"


class SystemClock:
    """Live clock: monotonic time, Unix offset once ``synchronized()`` says so.

    ``synchronized`` is injectable (tests, or ``lambda: True`` on a machine with an RTC). It is
    polled at most every ``poll_s`` seconds; once true it stays true for this process, as
    synchronisation is not lost in a way that makes the earlier offset wrong.
    """

    def __init__(
        self,
        synchronized: Callable[[], bool] = systemd_clock_synchronized,
        poll_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        unix: Callable[[], float] = time.time,
    ) -> None:
        self._synchronized = synchronized
        self._poll_s = poll_s
        self._monotonic = monotonic
        self._unix = unix
        self._synced = False
        self._checked_at = -float("inf")
        self._base = "mono:" + boot_id()

    def now(self) -> float:
        """Monotonic seconds."""
        return self._monotonic()

    def base(self) -> str:
        """``mono:<boot id>``."""
        return self._base

    def synced(self) -> bool:
        """Whether the system clock is synchronised (polled, sticky)."""
        if not self._synced:
            mono = self._monotonic()
            if mono - self._checked_at >= self._poll_s:
                self._checked_at = mono
                self._synced = self._synchronized()
        return self._synced

    def unix_offset(self) -> float | None:
        """Unix minus monotonic, recomputed each call so NTP slewing is followed."""
        if not self.synced():
            return None
        return self._unix() - self._monotonic()

    def wall(self) -> float:
        """``time.time()``, right or wrong."""
        return self._unix()
