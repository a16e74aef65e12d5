"""The engine's score: one named case per term, co-visitation's support, and monotonicity."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.core.vocabulary import WISHES
from roadbook.content.hours import Period
from roadbook.engine.covisitation import covisitation
from roadbook.engine.filters import Eligible
from roadbook.engine.geo import distance_from, distance_m
from roadbook.engine.inputs import Candidate, Position, SiteAt, VisitorContext
from roadbook.engine.planning import Slot
from roadbook.engine.profile import profile_of
from roadbook.engine.scoring import TERMS, WEIGHTS, Scored, Scorer, score
from roadbook.engine.synthetic import BATHS, NOW, ZOO, destination, event, place, visitor
from roadbook.engine.table import Table

COVISITATION = {"site-zoo": {"site-baths": 0.6}}


def scored(candidate: Candidate, context: VisitorContext | None = None) -> Scored:
    context = context or visitor()
    slot = Slot(NOW)
    if candidate.kind == "event":
        slot = Slot(NOW, starts=NOW + timedelta(hours=6))
    return score(Eligible(candidate, slot), profile_of(context), COVISITATION, NOW)


def test_wish_match_is_the_share_of_the_visitors_wishes_the_item_has() -> None:
    context = visitor(wishes=frozenset({"wellness", "nature"}))
    assert scored(place("spa", wishes={"wellness"}), context).terms["wish"] == WEIGHTS.wish / 2
    both = place("lake-spa", wishes={"wellness", "nature"})
    assert scored(both, context).terms["wish"] == WEIGHTS.wish
    assert scored(place("bar", wishes={"nightlife"}), context).terms["wish"] == 0.0


def test_children_term_only_for_a_party_with_children_and_a_family_item() -> None:
    family = place("farm", wishes={"family"})
    assert scored(family, visitor(with_children=True)).terms["children"] == WEIGHTS.children
    assert scored(family, visitor(with_children=False)).terms["children"] == 0.0


def test_distance_decays_from_the_current_site() -> None:
    near = scored(place("baths", position=BATHS))
    assert near.distance is not None and 590 < near.distance < 640
    expected = WEIGHTS.distance * math.exp(-near.distance / WEIGHTS.distance_scale_m)
    assert near.terms["distance"] == pytest.approx(expected)
    assert scored(place("zoo-gate", position=ZOO)).terms["distance"] == WEIGHTS.distance


def test_distance_falls_back_to_the_lodging_then_to_nothing() -> None:
    at_lodging = visitor(site=None, lodging=BATHS)
    assert scored(place("baths", position=BATHS), at_lodging).terms["distance"] == WEIGHTS.distance
    nowhere = visitor(site=None)
    assert scored(place("baths", position=BATHS), nowhere).terms["distance"] == 0.0


def test_covisitation_from_the_anchor_site() -> None:
    baths = place("baths", site_id="site-baths")
    assert scored(baths).terms["covisitation"] == WEIGHTS.covisitation * 0.6
    assert scored(place("museum", site_id="site-museum")).terms["covisitation"] == 0.0


def test_events_starting_soon_score_more() -> None:
    fair = event("fair", [Period(start=date(2026, 7, 14), end=date(2026, 7, 14))])
    soon = scored(fair).terms["soon"]
    assert soon == pytest.approx(WEIGHTS.soon * math.exp(-6 / WEIGHTS.soon_scale_h))
    later = score(
        Eligible(fair, Slot(NOW, starts=NOW + timedelta(days=2))),
        profile_of(visitor()),
        {},
        NOW,
    )
    assert later.terms["soon"] < soon
    assert scored(place("museum")).terms["soon"] == 0.0


def test_editorial_boost_and_freshness() -> None:
    assert scored(place("pick", boost=0.5)).terms["boost"] == WEIGHTS.boost * 0.5
    fresh = scored(place("new", updated_at=NOW)).terms["freshness"]
    stale = scored(place("old", updated_at=NOW - timedelta(days=300))).terms["freshness"]
    assert fresh == WEIGHTS.freshness
    assert 0.0 < stale < fresh / 1000
    assert scored(place("undated")).terms["freshness"] == 0.0


def test_the_score_is_the_sum_of_its_terms() -> None:
    item = place("baths", wishes={"wellness"}, position=BATHS, site_id="site-baths", boost=1.0)
    result = scored(item)
    assert set(result.terms) == set(TERMS)
    assert result.score == pytest.approx(sum(result.terms.values()))


def test_without_consent_no_term_reads_the_profile() -> None:
    item = place("baths", wishes={"wellness", "family"}, position=BATHS, site_id="site-baths")
    result = scored(item, visitor(personalisation=False, with_children=True, lodging=ZOO))
    assert [result.terms[t] for t in ("wish", "children", "distance", "covisitation")] == [0.0] * 4


def test_covisitation_keeps_pairs_of_five_distinct_visitors_or_more() -> None:
    visits = [(f"v{n}", site) for n in range(5) for site in ("zoo", "baths")]
    visits += [(f"v{n}", "museum") for n in range(4)] + [("v9", "zoo"), ("v0", "zoo")]
    table = covisitation(visits)
    # zoo: 6 distinct visitors (v0 twice counts once), baths: 5, both: 5.
    assert table["zoo"]["baths"] == table["baths"]["zoo"] == pytest.approx(5 / math.sqrt(30))
    assert "museum" not in table  # 4 visitors with the zoo: below the support
    assert "zoo" not in table["zoo"]


def test_covisitation_refuses_a_support_below_one() -> None:
    with pytest.raises(ValueError, match="min_support"):
        covisitation([], min_support=0)


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.sampled_from("WXYZ")), max_size=200))
def test_covisitation_pairs_always_have_the_support(visits: list[tuple[str, str]]) -> None:
    table = covisitation(visits)
    for x, row in table.items():
        for y, value in row.items():
            both = {v for v, s in visits if s == x} & {v for v, s in visits if s == y}
            assert len(both) >= 5 and 0.0 < value <= 1.0 and table[y][x] == value


@given(
    item_wishes=st.frozensets(st.sampled_from(WISHES), min_size=1),
    visitor_wishes=st.frozensets(st.sampled_from(WISHES)),
    data=st.data(),
)
def test_adding_a_wish_the_item_matches_never_lowers_its_score(
    item_wishes: frozenset[str], visitor_wishes: frozenset[str], data: st.DataObject
) -> None:
    added = data.draw(st.sampled_from(sorted(item_wishes)))
    item = place("x", wishes=item_wishes, position=BATHS, site_id="site-baths", boost=0.3)
    before = scored(item, visitor(wishes=visitor_wishes)).score
    after = scored(item, visitor(wishes=visitor_wishes | {added})).score
    assert after >= before


positions = st.builds(
    Position,
    st.floats(-89.9, 89.9, allow_nan=False),
    st.floats(-179.9, 179.9, allow_nan=False),
)


@given(positions, positions)
def test_the_ranking_distance_is_the_haversine_distance(a: Position, b: Position) -> None:
    assert distance_from(a)(b) == pytest.approx(distance_m(a, b), rel=1e-9, abs=1e-6)
    assert distance_m(a, b) == pytest.approx(distance_m(b, a), rel=1e-9, abs=1e-6)


# --- the columns (roadbook.engine.table) against the terms' definitions ----------------------

SAMPLE = destination(240, seed=11, partners=8)
SITES = sorted({c.site_id for c in SAMPLE if c.site_id})
NEAR_SITES = {SITES[0]: {site: 0.2 + 0.1 * (n % 8) for n, site in enumerate(SITES[1:30])}}


def defined(item: Candidate, context: VisitorContext, now: datetime) -> list[float]:
    """Each time-free term of ``item`` from the definitions in scoring.py, one at a time."""
    profile = profile_of(context)
    wishes, anchor = profile.wishes, profile.anchor
    wish = WEIGHTS.wish * len(item.wishes & wishes) / len(wishes) if wishes else 0.0
    children = WEIGHTS.children if profile.with_children and "family" in item.wishes else 0.0
    near = 0.0
    if anchor is not None and anchor.site_id is not None and anchor.site_id == item.site_id:
        near = WEIGHTS.distance
    elif anchor is not None and item.position is not None:
        metres = distance_m(anchor.position, item.position)
        near = WEIGHTS.distance * math.exp(-metres / WEIGHTS.distance_scale_m)
    pairs = NEAR_SITES.get(anchor.site_id or "", {}) if anchor is not None else {}
    covisited = WEIGHTS.covisitation * pairs.get(item.site_id or "", 0.0)
    fresh = 0.0
    if item.updated_at is not None:
        # Elapsed time, whatever the time zones (a DST change is not a day older).
        days = max(0.0, (now.timestamp() - item.updated_at.timestamp()) / 86400)
        fresh = WEIGHTS.freshness * math.exp(-days / WEIGHTS.freshness_scale_days)
    return [wish, children, near, covisited, 0.0, WEIGHTS.boost * item.boost, fresh]


@given(
    items=st.lists(st.sampled_from(SAMPLE), min_size=1, max_size=60, unique_by=lambda c: c.id),
    wishes=st.frozensets(st.sampled_from(WISHES)),
    children=st.booleans(),
    anchor=st.sampled_from(["site", "other site", "lodging", "none"]),
    minutes=st.integers(-30 * 24 * 60, 30 * 24 * 60),
)
def test_the_columns_score_every_term_as_defined_and_bound_every_event(
    items: list[Candidate],
    wishes: frozenset[str],
    children: bool,
    anchor: str,
    minutes: int,
) -> None:
    now = NOW + timedelta(minutes=minutes)
    site = {"site": SITES[0], "other site": SITES[1]}.get(anchor)
    here = SiteAt(site, BATHS, {"fr": "Ici"}) if site else None
    context = visitor(
        now=now,
        wishes=wishes,
        with_children=children,
        site=here,
        lodging=ZOO if anchor == "lodging" else None,
    )
    scorer = Scorer(profile_of(context), NEAR_SITES, now)
    terms = scorer.terms(Table(items))
    for n, item in enumerate(items):
        expected = defined(item, context, now)
        assert terms.values[:, n].tolist() == pytest.approx(expected, rel=1e-12, abs=1e-12)
        assert terms.promise[n] == pytest.approx(sum(expected), rel=1e-12, abs=1e-12)
        if item.kind == "event":
            # "soon" at its most when the first date begins, in any time zone.
            for zone in (ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")):
                first = min(period.start for period in item.periods)
                starts = datetime.combine(first, time(), zone)
                slot = Slot(max(starts, now), starts=starts)
                best = scorer.complete(item, expected, None, Eligible(item, slot))
                assert best.score <= terms.bound[n]
        else:
            assert terms.bound[n] == pytest.approx(sum(expected) + 1e-9, rel=1e-12)
