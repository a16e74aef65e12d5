"""What ``crm.rights`` plugs into ``crm.core.hooks``: its tables (the erasure ledger) and its
scheduled jobs."""

from __future__ import annotations

from crm.core import hooks
from crm.rights import jobs, models


def install() -> None:
    """Register them (idempotent; ``crm.main.install`` calls it)."""
    hooks.register_models(models)
    hooks.register_jobs(*jobs.JOBS)
