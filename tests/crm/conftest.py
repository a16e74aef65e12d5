"""Fixtures of the ingest tests (helpers live in ``ingest_support``)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from crm.core.db import Database

# --import-mode=importlib puts no test folder on sys.path: make the shared helpers importable.
sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import SPA_AND_ZOO, Tenant, make_client, seed_tenant
from office_support import office, other  # noqa: F401 (fixtures, shared with tests/partners)


@pytest.fixture
async def tenant(db: Database) -> Tenant:
    """A destination with two sites (spa: two gateways; zoo: one) and three visitors."""
    return await seed_tenant(
        db,
        "amneville",
        sites=SPA_AND_ZOO,
        visitors_={"lea": ["proximity"], "tom": ["personalisation"], "ana": ["proximity"]},
        fresh=True,
    )


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    async with make_client(db) as c:
        yield c
