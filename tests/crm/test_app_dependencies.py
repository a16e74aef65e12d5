"""No route dependency runs in FastAPI's thread pool: a plain function dependency costs a thread
hop and a wake-up of the event loop on every request that names one (crm.core.deps)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from crm.core.settings import Settings
from crm.main import create_app


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        if inner is not None and hasattr(inner, "routes"):
            yield from _routes(inner.routes)


def _sync(dependant: Dependant) -> Iterator[str]:
    for dependency in dependant.dependencies:
        call = dependency.call
        runs_in_loop = (
            inspect.iscoroutinefunction(call)
            or inspect.isasyncgenfunction(call)
            or inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004
        )
        if call is not None and not runs_in_loop:
            yield getattr(call, "__qualname__", repr(call))
        yield from _sync(dependency)


def test_every_route_dependency_runs_in_the_event_loop() -> None:
    app = create_app(Settings(database_url="postgresql+psycopg://nobody@localhost/none"))
    routes = list(_routes(app.routes))
    assert len(routes) > 50
    offenders = {(route.path, name) for route in routes for name in _sync(route.dependant)}
    assert offenders == set()
