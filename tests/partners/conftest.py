"""Fixtures of the partners tests: a seeded destination (``tests/crm/office_support.py``: a
partner with its site, staff of every role, two visitors, a draft offer). Helpers live in
``offers_support``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from crm.core.db import Database

# --import-mode=importlib puts no test folder on sys.path: make the shared helpers importable.
sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
sys.path.insert(0, str(Path(__file__).parent))
from office_support import Office, seed_office


@pytest.fixture
async def office(db: Database) -> Office:
    """A destination with a partner (its site "zoo"), staff of every role and two visitors."""
    return await seed_office(db)


@pytest.fixture
async def other(db: Database) -> Office:
    """Another destination, seeded like ``office``."""
    return await seed_office(db)
