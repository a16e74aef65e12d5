"""Rate limits and failed-authentication throttles, in each worker's memory.

Everything here lives in each worker process: with N workers (or replicas) a client may get up
to N times the configured rate. That is deliberate — the limits stop a runaway gateway, a
scraper or a password guesser cheaply, without a shared store; a hard global limit belongs to
the reverse proxy (docs/operations.md). Refused requests get ``429`` problem+json with
``Retry-After``. A client is its address, an IPv6 one by its /64 (one subscriber's whole
network); behind a reverse proxy, run uvicorn with proxy headers (``crm serve`` does) so that
the address is the client's, not the proxy's.

Request rate (:class:`TokenBucket` rules, checked by :class:`RateLimitMiddleware`):

- ``POST /api/v1/gateway/events`` is keyed by the bearer token's hash (one token per gateway),
  or by client address when there is none. Each gateway uploads every few seconds; the default
  60-request burst also absorbs a backlog drained after an outage.
- ``/r/...`` and the widget's anonymous roadbooks (``/widget/site/...``, which run the engine
  for anyone) share one bucket keyed by client address.
- Anonymous self-enrolment (``POST /api/v1/enrol``, and the page ``POST /enrol/{destination}``
  through :func:`take`, which re-renders its form instead of answering JSON) shares one bucket
  per client address: a burst of 10 profiles, then one a minute by default.

Failed authentications (:class:`FailureThrottle`): each key may fail ``burst`` times, then try
once more per ``1 / rate`` seconds. A try is *reserved* before the credentials are checked and
given back when they were right, so concurrent wrong tries cannot overshoot the limit (checking,
then counting after the check, let them all in). Used by

- the gateway API (ingest, heartbeat, config; :class:`AuthFailureMiddleware`), per client
  address: a ``401`` answer is a failure, and past the limit the request is refused before it
  reaches the app — no body read, no database. Tokens the app proved valid lately
  (:class:`BearerGuard`) pass without a reservation, so a gateway sharing an address with a
  guesser keeps working;
- staff login (``crm.staff.router``), per client address and per client address *and* account:
  a guesser elsewhere never locks the owner out of their account.

Memory is bounded: at most ``max_keys`` keys per bucket, least recently used dropped first (a
dropped key comes back full, which only ever errs on the generous side).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm.core import metrics
from crm.core.credentials import token_hash
from crm.core.errors import PROBLEM_JSON, PROBLEM_SCHEMA, Problem
from crm.core.settings import Settings

Clock = Callable[[], float]
Matcher = Callable[[str, str], bool]  # (method, path) → limited?

GATEWAY_API = "/api/v1/gateway/"
# Enrolment by claim code has its own lockout, in the database (crm.fleet.service).
GATEWAY_ENROLL = "/api/v1/gateway/enroll"
SELF_ENROLMENT = "self-enrolment"


# Visitor-facing roadbook reads: a visitor's own (``/r/{token}/...``) and the widget's site mode.
ROADBOOK_PATHS = ("/r/", "/widget/site/")


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

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - last) * self.rate)

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets.pop(key, None)
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)

    def peek(self, key: str) -> float:
        """Seconds until ``key`` may take a token (0.0: now), taking none."""
        tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when granted, else seconds until one is available."""
        now = self.clock()
        tokens = self._tokens(key, now)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._store(key, tokens, now)
        return wait

    def give_back(self, key: str) -> None:
        """Return a token taken for ``key`` (never above the burst)."""
        now = self.clock()
        self._store(key, min(float(self.burst), self._tokens(key, now) + 1.0), now)


class FailureThrottle:
    """Failed authentications per kind of key (e.g. ``client``, ``account``): each allows
    ``burst`` failures, then one more try per ``1 / rate`` seconds; a rate of 0 leaves that
    kind unlimited. Tries are reserved up front (see the module's docstring)."""

    def __init__(
        self,
        limits: Mapping[str, tuple[float, int]],
        *,
        max_keys: int = 10_000,
        clock: Clock = time.monotonic,
    ) -> None:
        self.clock = clock  # read on every call: tests swap it
        self._buckets = {
            kind: TokenBucket(rate, burst, max_keys=max_keys, clock=self._now)
            for kind, (rate, burst) in limits.items()
            if rate > 0
        }

    def _now(self) -> float:
        return self.clock()

    def _limited(self, keys: Mapping[str, str]) -> list[tuple[TokenBucket, str]]:
        return [(self._buckets[kind], key) for kind, key in keys.items() if kind in self._buckets]

    def attempt(self, **keys: str) -> float:
        """Reserve a try under every key: 0.0 when granted, else seconds until all may try
        (then nothing is reserved)."""
        limited = self._limited(keys)
        wait = max((bucket.peek(key) for bucket, key in limited), default=0.0)
        if wait == 0.0:
            for bucket, key in limited:
                bucket.take(key)
        return wait

    def succeeded(self, **keys: str) -> None:
        """The credentials were right (or never checked): give the reserved tries back."""
        for bucket, key in self._limited(keys):
            bucket.give_back(key)

    def failed(self, **keys: str) -> None:
        """Count a failure that reserved no try (a token trusted until it failed)."""
        for bucket, key in self._limited(keys):
            bucket.take(key)


@dataclass
class BearerGuard:
    """Failed bearer-token authentications per client address (``throttle``; ``None`` when
    off), and the hashes of tokens the app proved valid lately, which skip both the throttle
    and the app's own pre-check (the authoritative check still runs in the request)."""

    throttle: FailureThrottle | None
    max_tokens: int = 10_000
    _trusted: OrderedDict[bytes, None] = field(default_factory=OrderedDict)

    def trusted(self, digest: bytes) -> bool:
        """Whether the token with this hash was proven valid lately."""
        if digest in self._trusted:
            self._trusted.move_to_end(digest)
            return True
        return False

    def trust(self, digest: bytes) -> None:
        """Remember a token just proven valid (least recently used forgotten first)."""
        self._trusted[digest] = None
        self._trusted.move_to_end(digest)
        while len(self._trusted) > self.max_tokens:
            self._trusted.popitem(last=False)

    def distrust(self, digest: bytes) -> None:
        """Forget a token that just failed (revoked, expired)."""
        self._trusted.pop(digest, None)


@dataclass(frozen=True, slots=True)
class Rule:
    """Which requests a bucket limits, and what identifies a client."""

    scope: str
    matches: Matcher
    key: Callable[[Scope], str]
    bucket: TokenBucket


def client_network(host: str | None) -> str:
    """Who a client is for limits: its IPv4 address, or the /64 of an IPv6 one."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return (host or "unknown")[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_address(scope: Scope) -> str:
    """The client as the server sees it (the proxy unless proxy headers are on), see above."""
    client = scope.get("client")
    return "ip:" + client_network(client[0] if client else None)


def bearer_or_address(scope: Scope) -> str:
    """The hash of the bearer token, else the client address."""
    authorization = Headers(scope=scope).get("authorization")
    if authorization:
        return "token:" + token_hash(authorization).hex()
    return client_address(scope)


def bearer_digest(scope: Scope) -> bytes | None:
    """The hash of the request's bearer token (as ``token_hash`` stores it), if it has one."""
    scheme, token = get_authorization_scheme_param(Headers(scope=scope).get("authorization"))
    return token_hash(token) if scheme.lower() == "bearer" and token else None


def retry_after(wait: float) -> str:
    """``Retry-After`` in whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: str, wait: float) -> None:
    metrics.RATE_LIMITED.labels(limit).inc()
    seconds = retry_after(wait)
    response = Problem(
        429,
        "Too Many Requests",
        f"Rate limit of {limit} exceeded: retry in {seconds} s.",
        headers={"Retry-After": seconds},
    ).response(Request(scope))
    await response(scope, receive, send)


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
                    await _refuse(scope, receive, send, rule.scope, wait)
                    return
                break
        await self.app(scope, receive, send)


class AuthFailureMiddleware:
    """Pure ASGI middleware: failed bearer authentications (``401`` answers) per client address
    on matching requests; past the limit, ``429`` before the app runs."""

    def __init__(self, app: ASGIApp, guard: BearerGuard, matches: Matcher, limit: str) -> None:
        self.app = app
        self.guard = guard
        self.matches = matches
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        throttle = self.guard.throttle
        if (
            throttle is None
            or scope["type"] != "http"
            or not self.matches(scope["method"], scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        digest = bearer_digest(scope)
        trusted = digest is not None and self.guard.trusted(digest)
        client = client_address(scope)
        if not trusted and (wait := throttle.attempt(client=client)):
            await _refuse(scope, receive, send, self.limit, wait)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if status == 401:
                if trusted and digest is not None:  # revoked or expired since
                    self.guard.distrust(digest)
                    throttle.failed(client=client)
            elif not trusted:
                throttle.succeeded(client=client)


def gateway_api(method: str, path: str) -> bool:
    """The gateway API authenticated by bearer token (everything but claim-code enrolment)."""
    return path.startswith(GATEWAY_API) and path != GATEWAY_ENROLL


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
                lambda method, path: path.startswith(ROADBOOK_PATHS),
                client_address,
                TokenBucket(
                    settings.ratelimit_roadbook_per_s,
                    settings.ratelimit_roadbook_burst,
                    clock=clock,
                ),
            )
        )
    if settings.ratelimit_enrol_per_s > 0:
        rules.append(
            Rule(
                SELF_ENROLMENT,
                # The page (POST /enrol/{destination}) takes from this bucket itself: take().
                lambda method, path: method == "POST" and path == "/api/v1/enrol",
                client_address,
                TokenBucket(
                    settings.ratelimit_enrol_per_s, settings.ratelimit_enrol_burst, clock=clock
                ),
            )
        )
    return rules


def take(request: Request, limit: str) -> float:
    """Take a token of rule ``limit`` for this request's client, for a handler that answers a
    refusal itself: 0.0 to go ahead (also when the rule is off), else seconds to wait."""
    rules: dict[str, Rule] = getattr(request.app.state, "rate_limits", {})
    rule = rules.get(limit)
    if rule is None:
        return 0.0
    wait = rule.bucket.take(rule.key(request.scope))
    if wait > 0:
        metrics.RATE_LIMITED.labels(limit).inc()
    return wait


def document_refusals(app: FastAPI, matchers: list[Matcher]) -> None:
    """Say in the OpenAPI document which operations may answer 429 with ``Retry-After``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "Problem", PROBLEM_SCHEMA
        )
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                if not any(matches(method.upper(), path) for matches in matchers):
                    continue
                answer = operation["responses"].setdefault(
                    "429", {"description": "Too many requests from this client"}
                )
                answer["content"] = {
                    PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                }
                answer["headers"] = {
                    "Retry-After": {
                        "description": "Seconds to wait before trying again",
                        "schema": {"type": "integer"},
                    }
                }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def login_throttle(settings: Settings, clock: Clock = time.monotonic) -> FailureThrottle:
    """Failed staff logins: per client address, and per client address and account."""
    return FailureThrottle(
        {
            "client": (
                settings.ratelimit_auth_failures_per_s,
                settings.ratelimit_auth_failures_burst,
            ),
            "account": (
                settings.ratelimit_login_failures_per_s,
                settings.ratelimit_login_failures_burst,
            ),
        },
        clock=clock,
    )


def install(app: FastAPI, settings: Settings, clock: Clock = time.monotonic) -> None:
    """Add the rate-limit middleware and keep the throttles on ``app.state`` for the handlers
    (called before the request-id middleware, which wraps it)."""
    rules = rules_from(settings, clock)
    app.state.rate_limits = {rule.scope: rule for rule in rules}
    per_client = (settings.ratelimit_auth_failures_per_s, settings.ratelimit_auth_failures_burst)
    gateway_throttle = None
    if per_client[0] > 0:
        gateway_throttle = FailureThrottle({"client": per_client}, clock=clock)
    app.state.gateway_auth = BearerGuard(gateway_throttle)
    app.state.login_failures = login_throttle(settings, clock)
    matchers = [rule.matches for rule in rules]
    if rules:
        app.add_middleware(RateLimitMiddleware, rules=rules)
    if gateway_throttle is not None:
        # Added last, so it runs first: a guesser past the limit costs not even a bucket.
        app.add_middleware(
            AuthFailureMiddleware,
            guard=app.state.gateway_auth,
            matches=gateway_api,
            limit="gateway authentication",
        )
        matchers.append(gateway_api)
    document_refusals(app, matchers)
