"""Graceful stop on SIGINT / SIGTERM: the signal sets an event, the command winds down.

The one signal handler of the gateway (``run``, ``simulate`` and the interactive commands):
Ctrl-C or ``systemctl stop`` sets the command's stop event, so every presence is closed and every
pending event reaches the outbox before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

__all__ = ["STOP_SIGNALS", "stop_on_signals"]

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event, *, enabled: bool = True) -> Iterator[asyncio.Event]:
    """While inside, SIGINT and SIGTERM set ``stop`` (nothing is installed when not ``enabled``).

    Must run inside the event loop; the handlers are removed on leaving.
    """
    if not enabled:
        yield stop
        return
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
