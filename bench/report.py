"""Shared output of every benchmark: a printed table and ``bench/results/NAME.json``.

Benchmarks are scripts (``./run bench NAME`` runs ``bench/NAME.py``), never timed tests: the
machine is shared and noisy, so each one measures its own baseline in the same run and reports
medians and a ratio against it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def median_rate(work: Callable[[], int], repeats: int = 5) -> float:
    """Run ``work`` (which returns how many items it processed) and return the median items/s."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        n = work()
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def report(
    name: str,
    rows: list[tuple[str, str, str]],
    figures: dict[str, Any],
    ratio: float | None,
    budget: str,
) -> None:
    """Print ``rows`` (what, figure, note) as a table and write the JSON result file."""
    widths = [max(len(r[i]) for r in [("what", "figure", "note"), *rows]) for i in range(3)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(f"\n## {name}\n")
    print(line.format("what", "figure", "note"))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    print(f"\nratio: {ratio if ratio is None else round(ratio, 3)}   budget: {budget}\n")
    RESULTS.mkdir(exist_ok=True)
    result = {"name": name, "figures": figures, "ratio": ratio, "budget": budget}
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
