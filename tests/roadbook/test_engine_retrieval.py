"""Retrieval (roadbook/engine/retrieval.py): the shortlist keeps what the engine would show.

The shortlist is a bet (its docstring says which): these tests measure it on seeded synthetic
destinations, and pin the parts that are rules (offers that can apply, the nearby radius).
"""

from __future__ import annotations

import random
from dataclasses import replace

from crm.core.vocabulary import WISHES
from roadbook.engine.geo import distance_m
from roadbook.engine.inputs import Position, SiteAt, Targeting
from roadbook.engine.pipeline import DEFAULT_POLICY, build_roadbook
from roadbook.engine.retrieval import Index
from roadbook.engine.synthetic import NOW, destination, hours, offer, place, visitor, zoo


def _visitors(count: int, seed: int) -> list:  # type: ignore[type-arg]
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        here = Position(49.26 + rng.uniform(-0.08, 0.08), 6.14 + rng.uniform(-0.12, 0.12))
        site = SiteAt(f"site-{rng.randrange(300)}", here, {"fr": "Ici"}, rng.random() < 0.6)
        found.append(
            visitor(
                wishes=frozenset(rng.sample(WISHES, rng.randint(0, 3))),
                with_children=rng.random() < 0.4,
                personalisation=rng.random() < 0.7,
                site=site if rng.random() < 0.9 else None,
            )
        )
    return found


def _sections(roadbook) -> list:  # type: ignore[no-untyped-def, type-arg]
    return [(section.key, [item.id for item in section.items]) for section in roadbook.sections]


def test_the_shortlisted_roadbook_is_the_full_one_for_most_visitors() -> None:
    items = destination(4000, seed=7)
    index = Index(items, NOW)
    same = 0
    contexts = _visitors(20, seed=11)
    for context in contexts:
        shortlist = index.shortlist(context, DEFAULT_POLICY)
        assert len(shortlist) < len(items) / 2
        full = build_roadbook(items, context)
        same += _sections(build_roadbook(shortlist, context)) == _sections(full)
    # Measured when written: 20 of 20 here, 40 of 40 at 22,000 candidates.
    assert same >= 19, f"only {same} of {len(contexts)} roadbooks unchanged by retrieval"


def test_every_offer_that_can_apply_here_is_shortlisted() -> None:
    here = zoo()
    at_zoo = offer("offer:at-zoo", "p1", site_id=here.site_id,
                   targeting=Targeting(trigger="at_site"))  # fmt: skip
    nearby = offer("offer:nearby", "p2", site_id="site-x",
                   position=Position(here.position.lat + 0.005, here.position.lon),
                   targeting=Targeting(trigger="nearby"))  # fmt: skip
    far = offer("offer:far", "p3", site_id="site-y",
                position=Position(here.position.lat + 0.2, here.position.lon),
                targeting=Targeting(trigger="nearby"))  # fmt: skip
    anywhere = offer("offer:anywhere", "p4")
    index = Index([*destination(500, seed=3), at_zoo, nearby, far, anywhere], NOW)
    ids = {c.id for c in index.shortlist(visitor(site=here), DEFAULT_POLICY)}
    assert {"offer:at-zoo", "offer:nearby", "offer:anywhere"} <= ids
    assert "offer:far" not in ids
    # Somewhere else (not present at the zoo): only "anywhere" offers can apply.
    away = index.shortlist(visitor(site=replace(here, present=False)), DEFAULT_POLICY)
    assert {c.id for c in away if c.commercial} >= {"offer:anywhere"}
    assert not {"offer:at-zoo", "offer:nearby"} & {c.id for c in away}


def test_everything_within_the_nearby_radius_is_shortlisted_and_the_order_is_stable() -> None:
    items = destination(4000, seed=5)
    context = visitor()
    index = Index(items, NOW)
    shortlist = index.shortlist(context, DEFAULT_POLICY)
    assert context.site is not None
    within = {
        c.id
        for c in items
        if not c.commercial
        and c.kind != "event"
        and c.position is not None
        and distance_m(context.site.position, c.position) <= DEFAULT_POLICY.nearby_radius_m
    }
    assert within and within <= {c.id for c in shortlist}
    assert [c.id for c in Index(list(reversed(items)), NOW).shortlist(context, DEFAULT_POLICY)]
    assert [c.id for c in index.shortlist(context, DEFAULT_POLICY)] == [c.id for c in shortlist]


FAR = Position(49.35, 6.30)  # about 15 km from the zoo


def test_a_place_closed_for_the_rest_of_today_is_shortlisted_for_the_rest_of_the_stay() -> None:
    # 300 places open today outrank it by far; it opens only on Wednesday, tomorrow.
    today = [place(f"place:{n:03d}", position=FAR, opening=hours("09:00", "18:00"), boost=1.0)
             for n in range(300)]  # fmt: skip
    wednesday = place("place:wednesday", position=FAR, opening=hours("09:00", "18:00", "wed"))
    items = [*today, wednesday]
    context = visitor(wishes=frozenset())
    shortlist = Index(items, NOW).shortlist(context, DEFAULT_POLICY)
    assert len(shortlist) < len(items) / 2
    assert "place:wednesday" in {c.id for c in shortlist}
    roadbook = build_roadbook(shortlist, context)
    assert _sections(roadbook) == _sections(build_roadbook(items, context))
    assert ("stay", ["place:wednesday"]) in _sections(roadbook)
    # A stay that ends tonight has no later day: nothing to keep it for.
    tonight = replace(context, stay_end=NOW.replace(hour=23))
    assert "place:wednesday" not in {
        c.id for c in Index(items, NOW).shortlist(tonight, DEFAULT_POLICY)
    }


def test_an_offer_at_the_anchors_site_is_as_near_as_the_engine_scores_it() -> None:
    # Far away but better boosted: 150 "anywhere" offers. At the zoo, without coordinates of
    # its own: the engine scores it at 0 m from the visitor at the zoo, so retrieval does too.
    elsewhere = [offer(f"offer:{n:03d}", f"p{n}", site_id="site-far", position=FAR, boost=1.0)
                 for n in range(150)]  # fmt: skip
    at_zoo = offer("offer:zoo", "p-zoo", site_id=zoo().site_id)
    shortlist = Index([*elsewhere, at_zoo], NOW).shortlist(visitor(), DEFAULT_POLICY)
    assert "offer:zoo" in {c.id for c in shortlist}
    assert len(shortlist) <= 60
