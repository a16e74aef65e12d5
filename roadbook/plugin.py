"""What ``roadbook`` plugs into ``crm.core.hooks``: its tables (editorial content) and the demo's
places. ``crm`` never imports ``roadbook``; its composition root (``crm.main.install``) calls this.
"""

from __future__ import annotations

from crm.core import hooks
from roadbook.content import demo, models


def install() -> None:
    """Register them (idempotent)."""
    hooks.register_models(models)
    hooks.register(hooks.DEMO_SEED, demo.seed_places)
