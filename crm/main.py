"""The CRM's composition root: the one place that wires every package into one app.

``roadbook`` and ``partners`` depend on ``crm``; ``crm`` reaches them only from here.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import typer
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from crm.core import allow, errors, health, hooks, ratelimit, scheduling, urls
from crm.core import logging as core_logging
from crm.core.db import Database, database_url
from crm.core.headers import SecurityHeadersMiddleware
from crm.core.hosts import KnownHostMiddleware
from crm.core.settings import Settings, get_settings

# The visitor pages' stylesheet (their CSP allows no inline style).
VISITOR_STATIC = Path(__file__).parent / "visitors" / "static"

API_DESCRIPTION = """
Balise CRM: gateways report proximity events, visitors read their roadbook, the office and
partners manage content and read aggregates. Every error is RFC 9457 problem+json.
"""


def _routers() -> list[APIRouter]:
    """Every package's routers, in the order the API documentation lists them."""
    from crm.destinations.router import router as destinations
    from crm.fleet.router import office_router as fleet_office
    from crm.fleet.router import router as fleet
    from crm.gateways.router import router as gateways
    from crm.ingest.router import router as ingest
    from crm.passes.router import router as passes
    from crm.rights.router import router as rights
    from crm.staff.router import router as staff
    from crm.visitors.router import router as visitors
    from partners.office.router import router as offers
    from roadbook.feeds.router import router as feeds
    from roadbook.live.router import router as live
    from roadbook.office.router import router as catalogue
    from roadbook.pwa.router import router as pwa
    from roadbook.widget.router import router as widget

    return [
        health.router,
        ingest,
        fleet,
        feeds,
        pwa,
        live,
        visitors,
        rights,
        staff,
        destinations,
        gateways,
        passes,
        fleet_office,
        catalogue,
        offers,
        widget,
    ]


def install() -> None:
    """Register every package's part with ``crm.core.hooks`` (idempotent): the tables, jobs and
    ``/metrics`` gauges of ``crm``'s domains, and what ``roadbook`` and ``partners`` plug in
    (each with its own ``plugin.py``).

    Everything that builds on the schema calls it first: the app, the CLI, Alembic's env.
    """
    from crm.destinations import plugin as destinations
    from crm.fleet import plugin as fleet
    from crm.gateways import plugin as gateways
    from crm.ingest import plugin as ingest
    from crm.passes import plugin as passes
    from crm.rights import plugin as rights
    from crm.staff import plugin as staff
    from crm.visitors import plugin as visitors
    from crm.visits import plugin as visits
    from partners import plugin as partners
    from roadbook import plugin as roadbook

    for package in (
        staff,
        destinations,
        gateways,
        passes,
        visitors,
        visits,
        ingest,
        fleet,
        rights,
        roadbook,
        partners,
    ):
        package.install()


def register_commands(app: typer.Typer) -> None:
    """Add the packages' own commands to the ``crm`` CLI (roadbook's ``import-datatourisme``
    and ``content list|show``, partners' ``offers redeem``)."""
    from partners.offers import cli as offers_cli
    from roadbook.content import cli as content_cli

    content_cli.register(app)
    offers_cli.register(app)


def tune_gc() -> None:
    """Serving: keep the collector off the app's long-lived objects and collect less often.

    Routes, schemas and models live as long as the process: ``gc.freeze()`` moves them out of
    every collection. At the default threshold (700) a 1,000-event ingest batch triggers ~24
    collections, ~18 ms of its ~100 ms; after this, one, ~2 ms (bench/README.md § ingest).
    """
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and database."""
    settings = settings or get_settings()
    install()
    core_logging.configure(json_lines=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = db is None
        app.state.db = db or Database(database_url(settings))
        # One leader among all workers and replicas runs the jobs (crm/core/scheduling.py).
        leader = scheduling.start(app.state.db, settings) if settings.scheduler_enabled else None
        app.state.scheduler = leader
        if owned:
            tune_gc()
        # The packages' lifespan services (crm.core.hooks.register_service), left in reverse.
        services = AsyncExitStack()
        app.state.services = {}
        try:
            for name, factory in hooks.services():
                app.state.services[name] = await services.enter_async_context(
                    factory(app.state.db, settings)
                )
            yield
        finally:
            await services.aclose()
            if leader is not None:
                await leader.stop()
            if owned:
                await app.state.db.dispose()

    app = FastAPI(
        title="Balise CRM",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.migration_head = health.migration_head()
    if db is not None:
        app.state.db = db
    errors.install(app)
    # A 405 lists every method routed for the path, not only the first matching route's.
    app.add_exception_handler(405, allow.method_not_allowed)
    errors.document_problems(app)
    # Outermost last: headers on every answer, then the request id, then the Host check (so its
    # 400 carries both), then the rate limits.
    ratelimit.install(app, settings)
    app.add_middleware(KnownHostMiddleware, hosts=urls.allowed_hosts(settings))
    app.add_middleware(CorrelationIdMiddleware)
    docs = frozenset(
        path for path in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if path
    )
    app.add_middleware(SecurityHeadersMiddleware, docs_paths=docs)

    for router in _routers():
        app.include_router(router)
    from crm.office.router import install as install_office

    install_office(app)  # the office back-office's pages, its sign-in redirect and 403 page
    app.mount("/static/visitors", StaticFiles(directory=VISITOR_STATIC), name="visitor-static")
    return app
