"""Fixtures of the partners tests: a seeded destination (``tests/crm/office_support.py``: a
partner with its site, staff of every role, two visitors, a draft offer). Helpers live in
``offers_support``."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib puts no test folder on sys.path: make the shared helpers importable.
sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
sys.path.insert(0, str(Path(__file__).parent))
from office_support import office, other  # noqa: F401 (fixtures, shared with tests/crm)
