"""The uploader: outbox → ``POST /api/v1/gateway/events`` in gzip batches, by docs/architecture.md
rules.

- a batch is at most ``[upload] batch_max`` events, oldest first, body gzip-compressed JSON
  ``{"gateway_id", "sent_at", "events"}``, ``Authorization: Bearer <token>``;
- ``200``: every event of the batch is settled (accepted, duplicate, or rejected as invalid —
  rejected ones are logged with their reason and counted, never retried) and deleted;
- ``401`` / ``403``: stop uploading, keep the outbox, raise the alert flag (a revoked or wrong
  token needs a human; hammering the CRM would not help);
- ``413``: halve the batch and retry at once (it grows back after successes); when the answer
  names the CRM's count limit (``max_events``), go straight to it and never grow past it; a
  single event still too large is dropped with reason ``too_large``;
- ``429`` / ``503``: wait ``Retry-After`` (seconds or HTTP date), else back off;
- other statuses and network errors: exponential backoff with full jitter (1 s doubling up to
  ``backoff_max_s``), so a fleet coming back after an outage does not stampede the CRM.

Events are only deleted once the CRM has answered 200 for them, and the CRM dedups by event id,
so a crash at any point re-sends at worst: nothing is lost, nothing is counted twice.
Time: ``sent_at`` is the gateway's wall clock; events whose monotonic time cannot be stamped yet
(clock not synchronised) stay in the outbox until it is (see :mod:`beacon_gateway.outbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import enum
import gzip
import json
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

from beacon_gateway.clock import Clock
from beacon_gateway.config import UploadConfig
from beacon_gateway.events import rfc3339
from beacon_gateway.outbox import Outbox

__all__ = ["Outcome", "Uploader", "UploaderState"]

log = logging.getLogger("beacon_gateway.uploader")

EVENTS_PATH = "/api/v1/gateway/events"
BACKOFF_BASE_S = 1.0
RETRY_AFTER_MAX_S = 3600.0


class Outcome(enum.Enum):
    """What one upload attempt did."""

    IDLE = "idle"  # nothing to send
    SENT = "sent"  # a batch was settled
    RETRY = "retry"  # try again after ``delay``
    STOPPED = "stopped"  # authentication refused: uploading stopped


@dataclass(slots=True)
class UploaderState:
    """Counters and flags for the heartbeat."""

    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_reasons: Counter[str] = field(default_factory=Counter)
    failures: int = 0  # consecutive failed attempts (drives the backoff)
    errors: int = 0  # all failed attempts
    auth_failed: bool = False
    last_error: str | None = None
    last_success_at: float | None = None


class Uploader:
    """Drains one gateway's outbox to the CRM."""

    def __init__(
        self,
        outbox: Outbox,
        client: httpx2.AsyncClient,
        *,
        gateway_id: str,
        token: str,
        crm_url: str,
        config: UploadConfig,
        clock: Clock,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.gateway_id = gateway_id
        self.url = crm_url.rstrip("/") + EVENTS_PATH
        self.config = config
        self.clock = clock
        self.rng = rng
        self.batch_size = config.batch_max
        # The CRM's events-per-batch limit, once a 413 has named it (the fleet config says it
        # too, but a gateway may hear of a lowered limit first from its refusal).
        self.crm_max_events: int | None = None
        self.state = UploaderState()
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        }

    def _backoff(self, reason: str) -> tuple[Outcome, float]:
        st = self.state
        st.failures += 1
        st.errors += 1
        st.last_error = reason
        ceiling = min(self.config.backoff_max_s, BACKOFF_BASE_S * 2.0 ** (st.failures - 1))
        delay = self.rng() * ceiling
        log.warning("upload to %s failed (%s); retrying in %.1f s", self.url, reason, delay)
        return Outcome.RETRY, delay

    def _retry_after(self, header: str | None) -> float | None:
        if not header:
            return None
        header = header.strip()
        try:
            seconds = float(header)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(header)
            except (TypeError, ValueError):
                return None
            seconds = when.timestamp() - self.clock.wall()
        return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)

    async def upload_once(self) -> tuple[Outcome, float]:
        """Send at most one batch; return what happened and how long to wait before the next."""
        st = self.state
        if st.auth_failed:
            return Outcome.STOPPED, 0.0
        batch = self.outbox.pending(self.batch_size, self.clock.base(), self.clock.unix_offset())
        if not batch:
            return Outcome.IDLE, 0.0
        body = {
            "gateway_id": self.gateway_id,
            "sent_at": rfc3339(self.clock.wall()),
            "events": [e.to_wire() for e in batch],
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        try:
            resp = await self.client.post(
                self.url,
                content=gzip.compress(raw, compresslevel=6),
                headers=self._headers,
                timeout=self.config.timeout_s,
            )
        except httpx2.HTTPError as exc:
            return self._backoff(f"network: {type(exc).__name__}: {exc}")
        code = resp.status_code
        if code == 200:
            return self._settle(batch_ids=[e.id for e in batch], resp=resp)
        if code in (401, 403):
            st.auth_failed = True
            st.errors += 1
            st.last_error = f"HTTP {code}"
            log.error(
                "ALERT: the CRM refused this gateway's token (HTTP %d); uploading stopped, "
                "%d events kept in the outbox. Re-enroll or fix the token, then restart.",
                code,
                self.outbox.depth,
            )
            return Outcome.STOPPED, 0.0
        if code == 413:
            limit = _max_events(resp)
            if limit is not None and limit < len(batch):
                self.crm_max_events = limit
                self.batch_size = limit
                log.warning(
                    "the CRM takes at most %d events a batch; batch size now %d", *[limit] * 2
                )
                return Outcome.RETRY, 0.0
            if self.batch_size > 1:
                self.batch_size = max(1, min(self.batch_size, len(batch)) // 2)
                log.warning("batch too large; batch size now %d", self.batch_size)
                return Outcome.RETRY, 0.0
            (only,) = batch
            self._reject(only.id, "too_large")
            self.outbox.delete([only.id])
            return Outcome.SENT, 0.0
        if code in (429, 503):
            wait = self._retry_after(resp.headers.get("Retry-After"))
            if wait is not None:
                st.errors += 1
                st.last_error = f"HTTP {code}"
                log.warning("CRM busy (HTTP %d); waiting %.1f s as asked", code, wait)
                return Outcome.RETRY, wait
        return self._backoff(f"HTTP {code}")

    def _reject(self, event_id: str, reason: str) -> None:
        self.state.rejected += 1
        self.state.rejected_reasons[reason] += 1
        log.error("event %s rejected by the CRM: %s (dropped)", event_id, reason)

    def _settle(self, batch_ids: list[str], resp: httpx2.Response) -> tuple[Outcome, float]:
        try:
            answer: Any = resp.json()
            accepted = int(answer["accepted"])
            duplicates = int(answer["duplicates"])
            rejected = [(str(r["id"]), str(r.get("reason", ""))) for r in answer["rejected"]]
        except (ValueError, KeyError, TypeError) as exc:
            # Not the contract's answer: keep the events, the retry is deduplicated anyway.
            return self._backoff(f"unreadable 200 response: {exc}")
        st = self.state
        for event_id, reason in rejected:
            self._reject(event_id, reason)
        self.outbox.delete(batch_ids)
        st.batches += 1
        st.accepted += accepted
        st.duplicates += duplicates
        st.failures = 0
        st.last_error = None
        st.last_success_at = self.clock.wall()
        ceiling = min(self.config.batch_max, self.crm_max_events or self.config.batch_max)
        if self.batch_size < ceiling:
            self.batch_size = min(ceiling, self.batch_size * 2)
        return Outcome.SENT, 0.0

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Upload until ``stop`` is set: immediately while full batches are waiting, else every
        ``interval_s`` (or as soon as ``wake`` is set)."""
        while not stop.is_set():
            outcome, delay = await self.upload_once()
            if outcome is Outcome.SENT:
                if self.outbox.depth >= self.batch_size:
                    continue
                delay = self.config.interval_s
            elif outcome is Outcome.RETRY and delay == 0.0:
                continue
            elif outcome is not Outcome.RETRY:
                delay = self.config.interval_s
            await _wait_any(stop, wake, delay)

    async def drain(self, deadline_s: float) -> bool:
        """Upload until the outbox is empty, a failure, or the deadline; True if empty."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline_s
        while loop.time() < end:
            outcome, delay = await self.upload_once()
            if outcome is Outcome.IDLE:
                return True
            if outcome is Outcome.STOPPED or (outcome is Outcome.RETRY and delay > 0):
                return False
        return False


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event | None, delay: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await w
    if wake is not None:
        wake.clear()


def _max_events(resp: httpx2.Response) -> int | None:
    """The count limit a 413 problem document names (``max_events``), if it names one."""
    try:
        value = resp.json().get("max_events")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
