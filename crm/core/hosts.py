"""Refuse requests whose ``Host`` header names a server other than this CRM (400 problem+json).

Links never come from the ``Host`` header (``crm.core.urls``); refusing unknown hosts also keeps
what Starlette still derives from it (a trailing-slash redirect's ``Location``) on our own names.
The probes are exempt: a load balancer or Prometheus addresses a replica by its IP, and they
answer with no link.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from crm.core.errors import Problem
from crm.core.urls import host_name, route_path

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class KnownHostMiddleware:
    """Pure ASGI: answers 400 before routing when ``Host`` is none of ``hosts``."""

    def __init__(
        self, app: ASGIApp, hosts: frozenset[str], exempt: frozenset[str] = PROBE_PATHS
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or route_path(scope) in self.exempt:
            await self.app(scope, receive, send)
            return
        if host_name(Headers(scope=scope).get("host", "")) in self.hosts:
            await self.app(scope, receive, send)
            return
        # The forged value is not echoed back.
        response = Problem(
            400, "Bad Request", "the Host header names no host of this server"
        ).response(Request(scope))
        await response(scope, receive, send)
