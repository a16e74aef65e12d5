"""What ``crm.visitors`` plugs into ``crm.core.hooks``: its tables (visitors and the consent
ledger)."""

from __future__ import annotations

from crm.core import hooks
from crm.visitors import models


def install() -> None:
    """Register them (idempotent; ``crm.main.install`` calls it)."""
    hooks.register_models(models)
