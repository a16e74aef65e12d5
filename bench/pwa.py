"""Lighthouse audit of the visitor's roadbook app (issue 13, Measure; docs/pwa.md).

Creates a scratch database on the ``DATABASE_URL`` server (the embedded one when unset),
migrates it, seeds the demo (``crm demo``), serves the CRM with uvicorn (one worker, the
scheduler off) and runs Lighthouse ``LIGHTHOUSE`` (npm, installed once under
``.balise/lighthouse``) in Debian's Chromium with its mobile defaults (a mid-range phone on a
slow 4G network, simulated) on three pages of the demo: Léa's roadbook (French, with a partner
offer and its code), Tom's (English) and Léa's "My data".

Figures: each page's performance, accessibility and best-practices scores, its first and
largest contentful paint, total blocking time, layout shift and bytes. Ratio: the lowest score
over 100. Budget: performance and best practices >= 95, accessibility 100.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import create_database, drop_database, start_server
from bench.report import report

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = "12.2.3"
HOME = ROOT / ".balise" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices")
METRICS = {
    "fcp_s": "first-contentful-paint",
    "lcp_s": "largest-contentful-paint",
    "tbt_ms": "total-blocking-time",
    "cls": "cumulative-layout-shift",
}
PAGES = (("lea", "Léa", ""), ("tom", "Tom", ""), ("lea_privacy", "Léa", "/privacy"))


def lighthouse() -> Path:
    """The Lighthouse command, installed with npm the first time."""
    command = HOME / "node_modules" / ".bin" / "lighthouse"
    if not command.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("npm is missing: apt-get install -y npm (Lighthouse is an npm package)")
        HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(HOME), "--no-audit", "--no-fund",
             f"lighthouse@{LIGHTHOUSE}"],
            check=True,
        )  # fmt: skip
    return command


def seed(url: str, base: str) -> dict[str, str]:
    """Seed the demo; the roadbook address of each demo visitor, by first name."""
    env = {**os.environ, "DATABASE_URL": url}
    with tempfile.TemporaryDirectory() as scratch:
        printed = subprocess.run(
            [sys.executable, "-m", "crm", "demo", "--scenario", f"{scratch}/scenario.json",
             "--base-url", base],
            capture_output=True, text=True, env=env, cwd=ROOT, check=True, timeout=300,
        ).stdout  # fmt: skip
    return dict(re.findall(r"Roadbook of (\w+) \(\w\w\): (\S+)", printed))


def audit(command: Path, address: str) -> dict[str, Any]:
    """One Lighthouse run: the scores (0-100) and the page's metrics."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        subprocess.run(
            [str(command), address, "--quiet", "--form-factor=mobile",
             f"--only-categories={','.join(CATEGORIES)}", "--output=json",
             f"--output-path={out}",
             "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
            env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True, timeout=300,
            capture_output=True,
        )  # fmt: skip
        result = json.loads(out.read_text(encoding="utf-8"))
    audits = result["audits"]
    figures: dict[str, Any] = {
        name: round(result["categories"][name]["score"] * 100) for name in CATEGORIES
    }
    for key, audit_id in METRICS.items():
        value = audits[audit_id]["numericValue"]
        figures[key] = round(value / 1000, 2) if key.endswith("_s") else round(value, 3)
    figures["bytes"] = int(audits["total-byte-weight"]["numericValue"])
    figures["lighthouse"] = result["lighthouseVersion"]
    return figures


def main() -> None:
    command = lighthouse()
    port = 18000 + random.randrange(1000)
    url = create_database("balise_bench_pwa")
    proc: subprocess.Popen[bytes] | None = None
    try:
        roadbooks = seed(url, f"http://127.0.0.1:{port}")
        proc = start_server(
            url,
            port,
            {"BALISE_SCHEDULER_ENABLED": "false", "BALISE_PUBLIC_URL": f"http://127.0.0.1:{port}"},
        )
        pages = {key: audit(command, roadbooks[who] + path) for key, who, path in PAGES}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        drop_database(url)
    rows = [
        (
            f"{key}: performance / accessibility / best practices",
            " / ".join(str(page[name]) for name in CATEGORIES),
            f"FCP {page['fcp_s']} s, LCP {page['lcp_s']} s, TBT {page['tbt_ms']} ms, "
            f"CLS {page['cls']}, {page['bytes'] // 1024} KB",
        )
        for key, page in pages.items()
    ]
    lowest = min(page[name] for page in pages.values() for name in CATEGORIES)
    report(
        "pwa",
        rows,
        pages,
        lowest / 100,
        "performance and best practices >= 95, accessibility 100 (Lighthouse "
        f"{LIGHTHOUSE}, mobile)",
    )


if __name__ == "__main__":
    main()
