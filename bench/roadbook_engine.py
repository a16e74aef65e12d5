"""Roadbook engine micro-benchmark: rank 2,000 candidates for one visitor (pure, in process).

The candidates come from ``roadbook.engine.synthetic.destination`` (seeded): 60 % places with
their own opening-hours objects, 15 % events, 5 % tours, 20 % partner offers with targeting,
caps and quotas, spread over ~15 km around Amnéville. Measured, each as the median of
``BENCH_ENGINE_REPEATS`` runs (default 31):

- **personal**: a consenting visitor at the zoo with two wishes, children and a history of
  exposures (the engine's common case);
- **editorial**: the same visitor without personalisation consent;
- **site**: the widget's anonymous mode for the zoo's page;
- **personal, hours kept**: the same with one :class:`~roadbook.engine.planning.Planner` kept
  between runs, as the roadbook service keeps one per catalogue;
- **every candidate planned**: ``diagnostics=True``, which plans (opening hours) every candidate
  instead of skipping those that could not reach a section's diversity pool.

The personal case is also timed in CPU time of this process (``time.process_time``), and the
host's load average is recorded: the machine is shared, and wall time grows with its load.

Baseline in the same run: one pass that sorts the 2,000 candidates by editorial boost and keeps
32 (the floor of "look at every candidate once"); ratio = personal / baseline.
Budget (bench/README.md): personal median <= 20 ms for 2,000 candidates.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import report
from roadbook.engine.covisitation import covisitation
from roadbook.engine.inputs import Candidate
from roadbook.engine.pipeline import build_roadbook, site_roadbook
from roadbook.engine.planning import Planner
from roadbook.engine.synthetic import NOW, destination, exposures, visitor, zoo

COUNT = int(os.environ.get("BENCH_ENGINE_CANDIDATES", "2000"))
REPEATS = int(os.environ.get("BENCH_ENGINE_REPEATS", "31"))


def median_ms(work: Callable[[], object]) -> float:
    """Median wall-clock milliseconds of ``work`` (after one warm-up run)."""
    work()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def median_cpu_ms(work: Callable[[], object]) -> float:
    """Median CPU milliseconds of this process: less sensitive to other jobs on a shared host."""
    times = []
    for _ in range(REPEATS):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def baseline(items: list[Candidate]) -> list[Candidate]:
    return sorted(items, key=lambda c: (-c.boost, c.id))[:32]


def main() -> None:
    items = destination(COUNT, seed=1)
    sites = sorted({c.site_id for c in items if c.site_id} | {"site-zoo"})
    visits = [
        (f"v{n}", sites[(n * 7 + k * 13) % len(sites)]) for n in range(3000) for k in range(4)
    ]
    table = covisitation(visits)
    personal = visitor(
        wishes=frozenset({"wellness", "nature"}),
        with_children=True,
        exposures=exposures(items),
    )
    editorial = visitor(personalisation=False, exposures=personal.exposures)
    kept = Planner()
    roadbook = build_roadbook(items, personal, covisitation=table)
    figures = {
        "candidates": COUNT,
        "items_shown": len(roadbook.items),
        "offers_shown": sum(i.commercial for i in roadbook.items),
        "baseline_ms": median_ms(lambda: baseline(items)),
        "personal_ms": median_ms(lambda: build_roadbook(items, personal, covisitation=table)),
        "personal_cpu_ms": median_cpu_ms(
            lambda: build_roadbook(items, personal, covisitation=table)
        ),
        # As the service runs it: one planner per catalogue keeps the hours it has read.
        "personal_kept_hours_ms": median_ms(
            lambda: build_roadbook(items, personal, covisitation=table, planner=kept)
        ),
        "load_average_1min": os.getloadavg()[0],
        "editorial_ms": median_ms(lambda: build_roadbook(items, editorial)),
        "site_ms": median_ms(lambda: site_roadbook(items, zoo(), NOW, "de", covisitation=table)),
        "every_candidate_planned_ms": median_ms(
            lambda: build_roadbook(items, personal, covisitation=table, diagnostics=True)
        ),
    }
    rows = [
        ("baseline (sort by boost)", f"{figures['baseline_ms']:.2f} ms", "floor"),
        ("personal", f"{figures['personal_ms']:.1f} ms", f"{figures['items_shown']} items"),
        ("personal, CPU time", f"{figures['personal_cpu_ms']:.1f} ms", "this process"),
        ("personal, hours kept", f"{figures['personal_kept_hours_ms']:.1f} ms", "as the service"),
        ("editorial (no consent)", f"{figures['editorial_ms']:.1f} ms", ""),
        ("site (widget)", f"{figures['site_ms']:.1f} ms", ""),
        ("every candidate planned", f"{figures['every_candidate_planned_ms']:.1f} ms", ""),
    ]
    rows.append(("host load average (1 min)", f"{figures['load_average_1min']:.2f}", "2 cores"))
    ratio = figures["personal_ms"] / figures["baseline_ms"]
    report(
        "roadbook_engine",
        rows,
        figures,
        ratio,
        f"personal median <= 20 ms for {COUNT} candidates",
    )


if __name__ == "__main__":
    main()
