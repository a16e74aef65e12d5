"""The headless Chromium every browser test uses (one per test module), and the demo on a live
server. The office's test helpers (tests/crm/office_support.py: seeding through a live server,
signing in, a thread for a coroutine) are importable as ``office_support``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser.chromium import ARGS, CHROMIUM
from tests.conftest import LiveServer

# --import-mode=importlib puts no test folder on sys.path: make the office's helpers importable.
sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), (
        "Chromium is missing: apt-get install -y chromium (./run test does)"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def demo_server(live_server: LiveServer) -> LiveServer:
    """The live server with the demo destination (``amneville``), seeded by ``crm demo`` as a
    person would (its scenario file thrown away)."""
    env = {**os.environ, "DATABASE_URL": live_server.database_url}
    command = ["demo", "--scenario", "/dev/null", "--base-url", live_server.url]
    subprocess.run(
        [sys.executable, "-m", "crm", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return live_server
