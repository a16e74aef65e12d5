"""Diversity: Maximal Marginal Relevance over theme and partner (Carbonell & Goldstein, 1998).

Items are picked one at a time, each time the one maximising
``lambda * relevance - (1 - lambda) * max similarity to the items already picked``, with the
relevance the score over the best score of the pool. Two items are similar by their wishes
(Jaccard) and by their partner (the same partner's venues and offers): a roadbook of eight
spas of one chain becomes spas, a walk and a museum. Only the best ``POOL_FACTOR * k`` items
by score are considered (a lower one would never be picked for diversity alone), which keeps
the cost at O(k * pool).

With ``exposure`` (partner → times shown so far), values are compared to the hundredth and a
tie goes to the partner shown least so far, counting the picks already made: exposure fairness
between partners, without ever preferring a clearly less relevant offer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from roadbook.engine.inputs import Candidate
from roadbook.engine.scoring import Scored
from roadbook.engine.table import wish_bits

POOL_FACTOR = 5
THEME_SHARE = 0.5


def pool_size(k: int) -> int:
    """How many of the best items MMR considers to pick ``k``."""
    return POOL_FACTOR * k


def similarity(a: Candidate, b: Candidate) -> float:
    """In [0, 1]: half the Jaccard index of their wishes, half "the same partner"."""
    return _similar(wish_bits(a.wishes), a.partner_id, wish_bits(b.wishes), b.partner_id)


def _similar(a_wishes: int, a_partner: str | None, b_wishes: int, b_partner: str | None) -> float:
    """:func:`similarity` of two candidates' wishes (table.wish_bits) and partners."""
    union = (a_wishes | b_wishes).bit_count()
    theme = (a_wishes & b_wishes).bit_count() / union if union else 0.0
    partner = 1.0 if a_partner is not None and a_partner == b_partner else 0.0
    return THEME_SHARE * theme + (1 - THEME_SHARE) * partner


def by_score(items: Sequence[Scored]) -> list[Scored]:
    """Best first; equal scores in id order (never input order: the output is deterministic)."""
    return sorted(items, key=lambda s: (-s.score, s.eligible.candidate.id))


def mmr(
    items: Sequence[Scored],
    k: int,
    lam: float,
    exposure: Mapping[str, int] | None = None,
) -> list[Scored]:
    """Up to ``k`` items in MMR order (with ``exposure``: ties to the least-shown partner)."""
    pool = by_score(items)[: pool_size(k)]
    if not pool or k <= 0:
        return []
    best = pool[0].score
    relevance = [s.score / best if best > 0 else 0.0 for s in pool]
    closest = [0.0] * len(pool)
    wishes = [wish_bits(s.eligible.candidate.wishes) for s in pool]
    partners = [s.eligible.candidate.partner_id for s in pool]
    shown = dict(exposure or {})
    picked: list[int] = []
    free = list(range(len(pool)))

    def key(i: int) -> tuple[float, int, int]:
        value = lam * relevance[i] - (1 - lam) * closest[i]
        return (-round(value, 2), shown.get(partners[i] or "", 0), i)

    while free and len(picked) < k:
        if exposure is None:
            # The best value, ties to the better score (free is in score order).
            choice, top = free[0], -math.inf
            for i in free:
                value = lam * relevance[i] - (1 - lam) * closest[i]
                if value > top:
                    choice, top = i, value
        else:
            choice = min(free, key=key)
        free.remove(choice)
        picked.append(choice)
        partner = partners[choice]
        if partner is not None:
            shown[partner] = shown.get(partner, 0) + 1
        for i in free:
            similar = _similar(wishes[choice], partner, wishes[i], partners[i])
            if similar > closest[i]:
                closest[i] = similar
    return [pool[i] for i in picked]
