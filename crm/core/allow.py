"""405 answers whose ``Allow`` lists every method the app routes for the path (RFC 9110 §15.5.6).

Starlette answers a 405 from the first route whose path matches, so ``Allow`` lists only that
route's methods when several routes share a path (``GET`` and ``POST /r/{token}/consents``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import fastapi.routing
from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from crm.core.errors import Problem
from crm.core.urls import route_path

# A mounted StaticFiles answers these two and refuses the rest with a bare 405.
STATIC_METHODS = frozenset({"GET", "HEAD"})


def _flat(routes: Iterable[BaseRoute]) -> Iterator[Any]:
    """Every route with its full path (FastAPI ≥ 0.160 nests included routers; older ones
    flatten them into ``app.routes`` already)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    yield from iterate(list(routes)) if iterate is not None else routes


def allowed_methods(routes: Iterable[BaseRoute], path: str) -> frozenset[str]:
    """The methods of every route whose path pattern matches ``path``."""
    methods: set[str] = set()
    for route in _flat(routes):
        regex = getattr(route, "path_regex", None)
        if regex is None or not regex.match(path):
            continue
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount) and isinstance(original.app, StaticFiles):
            methods |= STATIC_METHODS
        else:
            methods |= set(getattr(route, "methods", None) or ())
    return frozenset(methods)


async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """Problem+json 405 with the full ``Allow`` (registered for status 405)."""
    allowed = allowed_methods(request.app.routes, route_path(request.scope))
    headers = dict(getattr(exc, "headers", None) or {})
    if allowed:
        headers["Allow"] = ", ".join(sorted(allowed))
    return Problem(405, "Method Not Allowed", headers=headers).response(request)
