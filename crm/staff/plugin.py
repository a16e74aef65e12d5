"""What ``crm.staff`` plugs into ``crm.core.hooks``: its tables (staff accounts)."""

from __future__ import annotations

from crm.core import hooks
from crm.staff import models


def install() -> None:
    """Register them (idempotent; ``crm.main.install`` calls it)."""
    hooks.register_models(models)
