"""One LISTEN connection per worker, fanned out to the worker's open event streams.

The visits follower sends ``pg_notify('balise_visit', …)`` when it opens a visit
(``crm/visits/service.py``). Each worker (each process serving the CRM) runs one
:class:`Listener`: a DEDICATED psycopg connection (not from the pool: a ``LISTEN`` belongs to its
session) that hands every ``opened`` notice to the :class:`Hub`, which puts it on the queue of
each stream subscribed for that visitor.

- **Bounded, never blocking**: a subscription's queue holds ``QUEUE_SIZE`` notices; when it is
  full (a client that does not read), the notice is dropped and the subscription marked for a
  resync: the stream reads what it missed from the visit table instead. The listener never
  waits for a stream, so a slow client delays nobody else.
- **Reconnects**: if the connection drops (restart, failover, network), the listener connects
  again with exponential backoff (``BACKOFF_S`` doubling up to ``BACKOFF_MAX_S``) and marks
  every subscription for a resync, since notices sent meanwhile are lost. Keepalives on both
  ends (those of the scheduler's lock connection) notice a dead link within about 30 s.
- **Closed on shutdown**: :func:`listening` is the lifespan service ``crm.main`` enters; leaving
  it cancels the task and closes the connection (no connection is left to the garbage
  collector).
- **Streams end when the worker is told to stop**: a server stops by waiting for the requests
  in flight, and a stream never ends by itself. The service chains its own handler in front of
  the server's SIGINT/SIGTERM handler: the hub closes, every stream ends at once (its browser
  reconnects, to another worker or to this one restarted, and ``Last-Event-ID`` resends what it
  missed), then the server's shutdown goes on. Where there is no such handler (a server in a
  thread, as in the tests) the server's grace period (``crm serve``: 10 s) cancels them.

A notice is only a wake-up: the stream reads the visit and its site from the database under the
visitor's tenant (``roadbook/live/service.py``), so a live notice, a resync after a drop or a
reconnect, and a browser's ``Last-Event-ID`` all take the same path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

import psycopg
import structlog

from crm.core.db import Database
from crm.core.scheduling import (
    CLIENT_KEEPALIVES,
    SERVER_KEEPALIVES,
    cancel_and_wait,
    lock_conninfo,
)
from crm.core.settings import Settings
from crm.visits.service import VISIT_CHANNEL

# Its name among the lifespan services (roadbook/plugin.py): ``app.state.services[SERVICE]``.
SERVICE = "roadbook.live"
APPLICATION_NAME = "balise-live"
# Notices a stream may have waiting before the next are dropped (it then resyncs).
QUEUE_SIZE = 16
BACKOFF_S = 0.5
BACKOFF_MAX_S = 30.0

log = structlog.get_logger(__name__)


class Subscription:
    """One open event stream's view of the hub: its visitor's notices, or a resync."""

    def __init__(self, visitor_id: uuid.UUID) -> None:
        self.visitor_id = visitor_id
        self.dropped = 0
        self._notices: deque[dict[str, Any]] = deque()
        self._resync = False
        self._wake = asyncio.Event()

    def offer(self, notice: dict[str, Any]) -> None:
        """Queue ``notice`` without waiting; when the queue is full, drop it and resync."""
        if len(self._notices) < QUEUE_SIZE:
            self._notices.append(notice)
        else:
            self.dropped += 1
            self._resync = True
        self._wake.set()

    def resync(self) -> None:
        """Notices may have been lost: the stream must read what is new from the database."""
        self._resync = True
        self._wake.set()

    def wake(self) -> None:
        """Wake the stream without a notice (the hub is closing)."""
        self._wake.set()

    async def wait(self) -> list[dict[str, Any]]:
        """The notices queued (at least one), or ``[]`` for a resync (the caller bounds the
        wait with ``asyncio.timeout``: a heartbeat is due every so often)."""
        await self._wake.wait()
        self._wake.clear()
        notices = list(self._notices)
        self._notices.clear()
        if self._resync:
            self._resync = False
            return []
        return notices


class Hub:
    """The worker's subscriptions by visitor; the listener hands it every notice."""

    def __init__(self) -> None:
        self._by_visitor: dict[uuid.UUID, set[Subscription]] = {}
        # Set while the listener's LISTEN is in place (streams poll otherwise).
        self.listening = asyncio.Event()
        # Set when the worker is stopping: every stream ends.
        self.closing = False

    def subscribe(self, visitor_id: uuid.UUID) -> Subscription:
        subscription = Subscription(visitor_id)
        self._by_visitor.setdefault(visitor_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscriptions = self._by_visitor.get(subscription.visitor_id)
        if subscriptions is not None:
            subscriptions.discard(subscription)
            if not subscriptions:
                del self._by_visitor[subscription.visitor_id]

    @property
    def subscribers(self) -> int:
        return sum(len(s) for s in self._by_visitor.values())

    def publish(self, payload: str) -> int:
        """Hand one notification's payload to its visitor's streams; how many got it.

        Only ``opened`` (a new visit: the visitor entered a site) is of interest; anything
        unreadable is logged and ignored (the follower is the only sender).
        """
        try:
            notice = json.loads(payload)
            if notice.get("state") != "opened":
                return 0
            visitor_id = uuid.UUID(notice["visitor_id"])
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("live_notice_unreadable", payload=payload[:200])
            return 0
        subscriptions = self._by_visitor.get(visitor_id, ())
        for subscription in subscriptions:
            subscription.offer(notice)
        return len(subscriptions)

    def close(self) -> None:
        """The worker is stopping: wake every stream, which sees ``closing`` and ends."""
        self.closing = True
        for subscriptions in self._by_visitor.values():
            for subscription in subscriptions:
                subscription.wake()

    def resync_all(self) -> None:
        for subscriptions in self._by_visitor.values():
            for subscription in subscriptions:
                subscription.resync()


class Listener:
    """The worker's ``LISTEN balise_visit`` connection, reconnected for as long as it runs."""

    def __init__(self, db: Database, hub: Hub) -> None:
        self.conninfo = lock_conninfo(db.url)
        self.hub = hub
        self.conn: psycopg.AsyncConnection[Any] | None = None
        self.connects = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="roadbook-live listener")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self._close()

    async def _run(self) -> None:
        delay = BACKOFF_S
        while True:
            connects = self.connects
            try:
                await self._listen()
                reason = "connection closed"
            except Exception as exc:  # any failure: wait, connect again (never give up)
                reason = f"{type(exc).__name__}: {exc}".strip()
            self.hub.listening.clear()
            await self._close()
            if self.connects > connects:
                delay = BACKOFF_S  # it was listening: start again from the shortest wait
            log.warning("live_listener_lost", reason=reason[:200], retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)

    async def _listen(self) -> None:
        self.conn = conn = await psycopg.AsyncConnection.connect(
            self.conninfo,
            autocommit=True,
            application_name=APPLICATION_NAME,
            **CLIENT_KEEPALIVES,
        )
        await conn.execute(SERVER_KEEPALIVES)
        await conn.execute(f"LISTEN {VISIT_CHANNEL}")
        self.connects += 1
        self.hub.listening.set()
        # Whatever was sent while no LISTEN was in place is read from the database.
        self.hub.resync_all()
        async for notify in conn.notifies():
            self.hub.publish(notify.payload)

    async def _close(self) -> None:
        if self.conn is not None:
            conn, self.conn = self.conn, None
            with contextlib.suppress(Exception):
                await conn.close()


def on_stop_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """Have SIGINT and SIGTERM call ``callback`` in the running loop, then the server's own
    handler; returns what puts the server's handlers back.

    Only over a Python handler (uvicorn's, installed before the lifespan starts) and in the main
    thread, where signal handlers live; elsewhere nothing is changed.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed: dict[signal.Signals, tuple[Any, Any]] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(number: int, frame: FrameType | None, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(callback)  # the loop may be asleep in select()
            previous(number, frame)

        signal.signal(signum, handler)
        installed[signum] = (handler, previous)

    def restore() -> None:
        for signum, (handler, previous) in installed.items():
            if signal.getsignal(signum) is handler:
                signal.signal(signum, previous)

    return restore


@asynccontextmanager
async def listening(db: Database, settings: Settings) -> AsyncIterator[Hub]:
    """The lifespan service (``crm.core.hooks.register_service``): the worker's hub, fed by its
    listener from start-up until shutdown; a stop signal ends the worker's streams at once."""
    hub = Hub()
    listener = Listener(db, hub)
    listener.start()
    restore = on_stop_signals(hub.close)
    try:
        yield hub
    finally:
        restore()
        hub.close()
        await listener.stop()
        hub.listening.clear()
