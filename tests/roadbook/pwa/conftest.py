"""The roadbook app's tests: the page from hand-built views (``pwa_support``), its files, the
manifest and the "My data" page."""

from __future__ import annotations

import sys
from pathlib import Path

# --import-mode=importlib puts no test folder on sys.path: make the shared helpers importable.
sys.path.insert(0, str(Path(__file__).parent))
