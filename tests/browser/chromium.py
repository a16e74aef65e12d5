"""Debian's Chromium as every browser test drives it, and the viewports the pages are seen at."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Where the tests leave their screenshots, for a person to look at.
SHOTS = Path(os.environ.get("BALISE_SCREENSHOTS", "/tmp/balise-screenshots"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
