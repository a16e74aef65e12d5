"""What ``partners`` plugs into ``crm``: the offers' tables, their part of a visitor's export
and erasure (redemption codes), the demo's offers, and the office's offer pages (menu entry,
templates, static files; the router is mounted by ``crm.main``). ``crm`` never imports
``partners``; its composition root calls this.
"""

from __future__ import annotations

from pathlib import Path

from crm.core import hooks
from crm.office.plugins import add_office_pages
from partners.offers import demo, models, redemption
from partners.office.texts import WORDS

OFFICE = Path(__file__).parent / "office"


def install() -> None:
    """Register them (idempotent)."""
    hooks.register_models(models)
    hooks.register(hooks.VISITOR_EXPORT, redemption.export)
    hooks.register(hooks.VISITOR_ERASE, redemption.erase)
    hooks.register(hooks.DEMO_SEED, demo.seed_offers)
    add_office_pages(
        "partners", OFFICE, key="offers", path="/office/offers", labels=WORDS["offers"], order=30
    )
