"""What ``crm.fleet`` plugs into ``crm.core.hooks``: its tables (claim-code attempts), its scheduled
jobs and its ``/metrics`` gauges."""

from __future__ import annotations

from crm.core import hooks
from crm.fleet import jobs, models


def install() -> None:
    """Register them (idempotent; ``crm.main.install`` calls it)."""
    hooks.register_models(models)
    hooks.register_jobs(*jobs.JOBS)
    hooks.register_gauges(jobs.read_gauges)
