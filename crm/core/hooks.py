"""The registry through which packages plug into ``crm.core`` at start-up.

``crm.core`` names no domain (docs/architecture.md § Packages and layers): every domain — and
``roadbook`` and ``partners``, which sit above ``crm`` — registers what core needs here, from its
``plugin.py``, and the composition root (``crm.main.install``) calls every ``plugin.install``:

- **table models** (:func:`register_models`): the modules whose tables Alembic and the app see
  (``crm.core.schema.load_models``);
- **scheduled jobs** (:func:`register_jobs`): what the scheduler's leader runs
  (``crm.core.scheduling``);
- **database gauges** (:func:`register_gauges`): readers ``/metrics`` runs at each scrape
  (``crm.core.metrics``);
- **lifespan services** (:func:`register_service`): what every worker runs while it serves,
  started in the app's lifespan and stopped before its pool is disposed of (``roadbook.live``'s
  LISTEN connection);
- **hook points** (:func:`register` / :func:`run`): a visitor's export and erasure, the demo's
  seed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.core.db import Database
    from crm.core.settings import Settings

Hook = Callable[..., Awaitable[Any]]
# A job: (name, coroutine function (db, settings), interval in seconds).
JobFunc = Callable[["Database", "Settings"], Awaitable[object]]
JobSpec = tuple[str, JobFunc, float]
# A database gauge: reads in the scrape's system session (one transaction, 5 s statement
# timeout) and sets its ``crm.core.metrics`` gauges; a failure marks the scrape's database down.
GaugeReader = Callable[["AsyncSession", "Settings", datetime], Awaitable[None]]
# A lifespan service: ``factory(db, settings)`` is an async context manager, entered when a worker
# starts serving and left when it stops (in every worker, unlike a job); what it yields is
# ``app.state.services[name]``, for the package's routes. Entering must not wait for the
# database: a service that needs it connects in the background.
ServiceFactory = Callable[["Database", "Settings"], AbstractAsyncContextManager[object]]

# Hook points of the data-subject rights (crm.rights.service). Hooks get a session inside the
# caller's transaction — a tenant session or a ``system`` one (RLS off: filter on
# ``destination_id`` yourself) — and must not commit it.
#
# ``visitor.export``: ``async def hook(session: AsyncSession, visitor: Visitor) ->
# Mapping[str, Any]`` returns extra top-level sections of the visitor's export (e.g.
# ``{"exposures": [...], "redemptions": [...]}``), JSON-ready; replacing a core section is an error.
VISITOR_EXPORT = "visitor.export"
# ``visitor.erase``: ``async def hook(session: AsyncSession, destination_id: uuid.UUID,
# visitor_ids: Sequence[uuid.UUID]) -> None`` deletes every row of the package that refers to
# these visitors. Called before crm deletes its own rows, again for the same ids after a backup
# is restored (``crm rights reapply-erasures``), so it must be idempotent and set-wise.
VISITOR_ERASE = "visitor.erase"
# ``demo.seed``: ``async def hook(session: AsyncSession, destination: Destination, sites:
# Mapping[str, Site]) -> None`` adds the package's demo rows (``crm demo``, new destination).
DEMO_SEED = "demo.seed"
# ``catalogue.changed``: ``async def hook(destination_id: uuid.UUID) -> None``: what visitors'
# roadbooks may show changed in this process (a catalogue item, an offer), after the commit; the
# roadbook drops its in-memory copy (other processes see the change within its TTL).
CATALOGUE_CHANGED = "catalogue.changed"

_hooks: defaultdict[str, list[Hook]] = defaultdict(list)
_models: dict[str, ModuleType] = {}
_jobs: dict[str, JobSpec] = {}
_gauges: list[GaugeReader] = []
_services: dict[str, ServiceFactory] = {}


def register(point: str, hook: Hook) -> None:
    """Add ``hook`` to ``point`` (registering the same hook twice is a no-op)."""
    if hook not in _hooks[point]:
        _hooks[point].append(hook)


async def run(point: str, *args: Any, **kwargs: Any) -> list[Any]:
    """Await every hook of ``point`` in registration order; their results, in order."""
    return [await hook(*args, **kwargs) for hook in _hooks[point]]


def register_models(*modules: ModuleType) -> None:
    """Table model modules (already imported: their tables are in the shared metadata)."""
    for module in modules:
        _models[module.__name__] = module


def model_modules() -> tuple[str, ...]:
    """The names of the registered table model modules, in registration order."""
    return tuple(_models)


def register_jobs(*specs: JobSpec) -> None:
    """Scheduled jobs; ValueError for a bad entry or a name another job already has."""
    for spec in specs:
        name, func, interval = spec
        if not isinstance(name, str) or not callable(func) or float(interval) <= 0:
            raise ValueError(f"bad job entry {spec!r}")
        known = _jobs.get(name)
        if known is not None and known[1] is not func:
            raise ValueError(f"duplicate job name {name!r}")
        _jobs[name] = (name, func, float(interval))


def jobs() -> list[JobSpec]:
    """Every registered job, by name."""
    return sorted(_jobs.values(), key=lambda job: job[0])


def register_gauges(*readers: GaugeReader) -> None:
    """Database gauge readers (registering the same reader twice is a no-op)."""
    for reader in readers:
        if reader not in _gauges:
            _gauges.append(reader)


def gauge_readers() -> tuple[GaugeReader, ...]:
    """The registered database gauge readers, in registration order."""
    return tuple(_gauges)


def register_service(name: str, factory: ServiceFactory) -> None:
    """A lifespan service; ValueError for a name another factory already has."""
    known = _services.get(name)
    if known is not None and known is not factory:
        raise ValueError(f"duplicate service name {name!r}")
    _services[name] = factory


def services() -> list[tuple[str, ServiceFactory]]:
    """The registered lifespan services, in registration order."""
    return list(_services.items())
