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

import numpy as np

from roadbook.engine.inputs import Candidate
from roadbook.engine.scoring import Scored
from roadbook.engine.table import Floats, Ints, wish_bits

POOL_FACTOR = 5
THEME_SHARE = 0.5


def pool_size(k: int) -> int:
    """How many of the best items MMR considers to pick ``k``."""
    return POOL_FACTOR * k


def similarity(a: Candidate, b: Candidate) -> float:
    """In [0, 1]: half the Jaccard index of their wishes, half "the same partner"."""
    wishes = np.array([wish_bits(a.wishes), wish_bits(b.wishes)], dtype=np.int64)
    return float(_similarities(wishes, [a.partner_id, b.partner_id])[0, 1])


def _similarities(wishes: Ints, partners: Sequence[str | None]) -> Floats:
    """:func:`similarity` of every two of some candidates, from their wishes (table.wish_bits)
    and partners: a square matrix."""
    union = np.bitwise_count(wishes[:, None] | wishes[None, :])
    shared = np.bitwise_count(wishes[:, None] & wishes[None, :])
    theme = np.divide(shared, union, out=np.zeros(union.shape), where=union > 0)
    numbers: dict[str | None, int] = {}
    partner = np.array(
        [numbers.setdefault(p, len(numbers)) if p is not None else -1 for p in partners]
    )
    same = (partner[:, None] == partner[None, :]) & (partner[:, None] >= 0)
    found: Floats = THEME_SHARE * theme + (1 - THEME_SHARE) * same
    return found


def by_score(items: Sequence[Scored]) -> list[Scored]:
    """Best first; equal scores in id order (never input order: the output is deterministic)."""
    return sorted(items, key=lambda s: (-s.score, s.eligible.candidate.id))


def mmr(
    items: Sequence[Scored],
    k: int,
    lam: float,
    exposure: Mapping[str, int] | None = None,
) -> list[Scored]:
    """Up to ``k`` items in MMR order (with ``exposure``: ties to the least-shown partner).

    The pool's values are arrays (a roadbook runs five of these over up to 40 items each): the
    same arithmetic as item by item, so the same picks."""
    pool = by_score(items)[: pool_size(k)]
    if not pool or k <= 0:
        return []
    scores = np.array([s.score for s in pool], dtype=np.float64)
    best = pool[0].score
    relevance = scores / best if best > 0 else np.zeros(len(pool))
    partners = [s.eligible.candidate.partner_id for s in pool]
    wishes = np.array([wish_bits(s.eligible.candidate.wishes) for s in pool], dtype=np.int64)
    similar = _similarities(wishes, partners)
    closest = np.zeros(len(pool))
    taken = np.zeros(len(pool), dtype=np.bool_)
    shown = dict(exposure or {})
    picked: list[int] = []
    while len(picked) < min(k, len(pool)):
        value = lam * relevance - (1 - lam) * closest
        if exposure is None:
            # The best value, ties to the better score (the pool is in score order).
            value[taken] = -math.inf
            choice = int(np.argmax(value))
        else:
            # Values to the hundredth, ties to the partner shown least so far, then the score.
            values = value.tolist()
            choice = min(
                (i for i in range(len(pool)) if not taken[i]),
                key=lambda i: (-round(values[i], 2), shown.get(partners[i] or "", 0), i),
            )
        taken[choice] = True
        picked.append(choice)
        partner = partners[choice]
        if partner is not None:
            shown[partner] = shown.get(partner, 0) + 1
        np.maximum(closest, similar[choice], out=closest)
    return [pool[i] for i in picked]
