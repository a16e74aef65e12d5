"""Every table model module, imported in one place (Alembic's env and the app both use it)."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

MODEL_MODULES = (
    "crm.core.tenancy",
    "crm.core.credentials",
    "crm.core.audit",
    "crm.destinations.models",
    "crm.gateways.models",
    "crm.passes.models",
    "crm.fleet.models",
    "crm.visitors.models",
    "crm.ingest.models",
    "crm.visits.models",
    "crm.rights.models",
    "roadbook.content.models",
    "crm.staff.models",
)


def load_models() -> MetaData:
    """Import every model module and return the shared metadata."""
    for name in MODEL_MODULES:
        importlib.import_module(name)
    from crm.core.db import metadata

    return metadata
