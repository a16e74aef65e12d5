"""What ``roadbook`` plugs into ``crm``: its tables (the catalogue), the demo's catalogue, and the
office's catalogue pages (menu entry, templates, static files; the router is mounted by
``crm.main``). ``crm`` never imports ``roadbook``; its composition root calls this.
"""

from __future__ import annotations

from pathlib import Path

from crm.core import hooks
from crm.office.plugins import add_office_pages
from roadbook.content import demo, models
from roadbook.covisitation import job as covisitation_job
from roadbook.covisitation import models as covisitation_models
from roadbook.exposures import jobs as exposure_jobs
from roadbook.exposures import models as exposure_models
from roadbook.exposures import service as exposures
from roadbook.feeds import candidates as shelves
from roadbook.live import hub as live
from roadbook.live.router import SCRIPT_PATH as LIVE_SCRIPT
from roadbook.office.texts import WORDS
from roadbook.pwa.page import register_module

OFFICE = Path(__file__).parent / "office"


def install() -> None:
    """Register them (idempotent)."""
    hooks.register_models(models)
    hooks.register_models(exposure_models, covisitation_models)
    hooks.register(hooks.DEMO_SEED, demo.seed_catalogue)
    hooks.register(hooks.VISITOR_EXPORT, exposures.export)
    hooks.register(hooks.VISITOR_ERASE, exposures.erase)
    hooks.register(hooks.CATALOGUE_CHANGED, shelves.changed)
    hooks.register_jobs(*covisitation_job.JOBS, *exposure_jobs.JOBS)
    # the worker's LISTEN connection that feeds /r/{token}/events (roadbook/live)
    hooks.register_service(live.SERVICE, live.listening)
    register_module(LIVE_SCRIPT)  # the page's welcome card
    add_office_pages(
        "roadbook",
        OFFICE,
        key="catalogue",
        path="/office/catalogue",
        labels=WORDS["catalogue"],
        order=20,
    )
