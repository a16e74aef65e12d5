"""Rate limits: in-process token buckets on gateway ingest (per gateway) and ``/r/`` (per IP).

The buckets live in each worker process: with N workers (or replicas) a client may get up to N
times the configured rate. That is deliberate — the limits stop a runaway gateway or a scraper
cheaply, without a shared store; a hard global limit belongs to the reverse proxy
(docs/operations.md). Refused requests get ``429`` problem+json with ``Retry-After``.

- ``POST /api/v1/gateway/events`` is keyed by the bearer token's hash (one token per gateway),
  or by client address when there is none. Each gateway uploads every few seconds; the default
  60-request burst also absorbs a backlog drained after an outage.
- ``/r/...`` is keyed by client address: behind a reverse proxy, run uvicorn with proxy headers
  (``crm serve`` does) so that the address is the visitor's, not the proxy's.

Memory is bounded: at most ``max_keys`` buckets, least recently used dropped first (a dropped
bucket comes back full, which only ever errs on the generous side).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from crm.core import metrics
from crm.core.errors import problem_response
from crm.core.settings import Settings

Clock = Callable[[], float]


class TokenBucket:
    """Buckets of ``burst`` tokens per key, refilled at ``rate`` tokens per second."""

    def __init__(
        self, rate: float, burst: int, *, max_keys: int = 10_000, clock: Clock = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when granted, else seconds until one is available."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


@dataclass(frozen=True, slots=True)
class Rule:
    """Which requests a bucket limits, and what identifies a client."""

    scope: str
    matches: Callable[[str, str], bool]
    key: Callable[[Scope], str]
    bucket: TokenBucket


def client_address(scope: Scope) -> str:
    """The client's address as the server sees it (the proxy's unless proxy headers are on)."""
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "ip:unknown"


def bearer_or_address(scope: Scope) -> str:
    """The hash of the bearer token, else the client address."""
    authorization = Headers(scope=scope).get("authorization")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()
    return client_address(scope)


class RateLimitMiddleware:
    """Pure ASGI middleware: the first matching rule decides; unmatched requests pass."""

    def __init__(self, app: ASGIApp, rules: list[Rule]) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            for rule in self.rules:
                if not rule.matches(method, path):
                    continue
                wait = rule.bucket.take(rule.key(scope))
                if wait > 0:
                    metrics.RATE_LIMITED.labels(rule.scope).inc()
                    retry_after = max(1, math.ceil(wait))
                    response = problem_response(
                        Request(scope),
                        429,
                        "Too Many Requests",
                        f"Rate limit of {rule.scope} exceeded: retry in {retry_after} s.",
                        headers={"Retry-After": str(retry_after)},
                    )
                    await response(scope, receive, send)
                    return
                break
        await self.app(scope, receive, send)


def rules_from(settings: Settings, clock: Clock = time.monotonic) -> list[Rule]:
    """The configured rules (a rate of 0 disables one)."""
    rules: list[Rule] = []
    if settings.ratelimit_ingest_per_s > 0:
        rules.append(
            Rule(
                "gateway ingest",
                lambda method, path: method == "POST" and path == "/api/v1/gateway/events",
                bearer_or_address,
                TokenBucket(
                    settings.ratelimit_ingest_per_s, settings.ratelimit_ingest_burst, clock=clock
                ),
            )
        )
    if settings.ratelimit_roadbook_per_s > 0:
        rules.append(
            Rule(
                "roadbook",
                lambda method, path: path.startswith("/r/"),
                client_address,
                TokenBucket(
                    settings.ratelimit_roadbook_per_s,
                    settings.ratelimit_roadbook_burst,
                    clock=clock,
                ),
            )
        )
    return rules


def install(app: FastAPI, settings: Settings, clock: Clock = time.monotonic) -> None:
    """Add the rate-limit middleware (called before the request-id middleware, which wraps it)."""
    rules = rules_from(settings, clock)
    if rules:
        app.add_middleware(RateLimitMiddleware, rules=rules)
