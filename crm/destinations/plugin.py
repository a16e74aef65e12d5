"""What ``crm.destinations`` plugs into ``crm.core.hooks``: its tables (partners and sites)."""

from __future__ import annotations

from crm.core import hooks
from crm.destinations import models


def install() -> None:
    """Register them (idempotent; ``crm.main.install`` calls it)."""
    hooks.register_models(models)
