"""Co-visitation, "visitors who went to X also went to Y", from consented visits.

The scheduled job that feeds the engine reads the (visitor, site) pairs of visits whose
visitors consented to personalisation (within a rolling window), and calls :func:`covisitation`.
A pair of sites is kept only when at least ``min_support`` distinct visitors went to both: this
is what makes the table worth trusting, and what keeps it an aggregate (docs/architecture.md
§ Privacy: partners see aggregates of at least 5 visitors). Its score is the cosine
``n(X and Y) / sqrt(n(X) * n(Y))`` in (0, 1], symmetric, and a site is never paired with itself.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations

MIN_SUPPORT = 5


def covisitation(
    visits: Iterable[tuple[str, str]], min_support: int = MIN_SUPPORT
) -> dict[str, dict[str, float]]:
    """Site → site → cosine score, from (visitor, site) pairs (repeats count once)."""
    if min_support < 1:
        raise ValueError("min_support is below 1")
    sites_of: dict[str, set[str]] = defaultdict(set)
    for visitor, site in visits:
        sites_of[visitor].add(site)
    visitors_of: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()
    for sites in sites_of.values():
        visitors_of.update(sites)
        together.update(combinations(sorted(sites), 2))
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for (x, y), both in together.items():
        if both >= min_support:
            cosine = both / math.sqrt(visitors_of[x] * visitors_of[y])
            table[x][y] = table[y][x] = cosine
    return dict(table)
