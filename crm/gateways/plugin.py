"""What ``crm.gateways`` plugs into ``crm.core.hooks``: its tables (gateways)."""

from __future__ import annotations

from crm.core import hooks
from crm.gateways import models


def install() -> None:
    """Register them (idempotent; ``crm.main.install`` calls it)."""
    hooks.register_models(models)
