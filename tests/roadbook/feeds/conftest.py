"""The roadbook renderers' tests: pure functions of hand-built views (``feeds_support``)."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib puts no test folder on sys.path: make the shared helpers importable.
sys.path.insert(0, str(Path(__file__).parent))
