"""The whole pipeline: named cases (diversity, offers, sections, reasons, consent, site mode)
and hypothesis properties over generated destinations and visitors."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.core.vocabulary import LANGUAGES, WISHES
from roadbook.content.hours import Period, is_open, occurrences
from roadbook.engine.diversity import mmr, similarity
from roadbook.engine.filters import Eligible, seen_counts
from roadbook.engine.inputs import (
    PARIS,
    Candidate,
    Caps,
    DestinationPolicy,
    Exposure,
    Position,
    SiteAt,
    Targeting,
    VisitorContext,
)
from roadbook.engine.output import Roadbook
from roadbook.engine.pipeline import build_roadbook, site_roadbook
from roadbook.engine.planning import Slot
from roadbook.engine.profile import profile_of
from roadbook.engine.reasons import MESSAGES, distance_text
from roadbook.engine.scoring import Scored, score
from roadbook.engine.synthetic import (
    BATHS,
    NOW,
    ZOO,
    destination,
    event,
    hours,
    offer,
    place,
    visitor,
    zoo,
)

POLICY = DestinationPolicy()


def ids(roadbook: Roadbook, section: str | None = None) -> list[str]:
    return [i.id for s in roadbook.sections if section in (None, s.key) for i in s.items]


# --- named cases ---------------------------------------------------------------------------


def test_the_example_reason_line_in_four_languages() -> None:
    spa = place("spa", wishes={"wellness"}, position=BATHS, opening=hours("09:00", "22:00"))
    lines = {
        language: build_roadbook([spa], visitor(language=language)).items[0].reason
        for language in LANGUAGES
    }
    assert lines == {
        "en": "You asked for wellness; 600 m from Amnéville Zoo; open until 22:00",
        "fr": "Vous avez demandé : bien-être ; à 600 m de Zoo d'Amnéville ; ouvert jusqu'à 22:00",
        "de": "Sie wünschten sich Wellness; 600 m von Zoo Amnéville; geöffnet bis 22:00",
        # No Dutch name for the site: its English one (roadbook.content.text's fallback).
        "nl": "U vroeg om wellness; op 600 m van Amnéville Zoo; open tot 22:00",
    }


def test_sections_now_nearby_today_stay_and_events() -> None:
    near = place("baths", position=BATHS, opening=hours("09:00", "22:00"))
    far = place("lake", position=Position(49.30, 6.20), opening=hours("09:00", "22:00"))
    tonight = place("bar", position=BATHS, opening=hours("19:00", "23:30"))
    sunday = place("chapel", position=BATHS, opening=hours("10:00", "12:00", "wed"))
    fair = event("fair", [Period(start=date(2026, 7, 16), end=date(2026, 7, 16))])
    roadbook = build_roadbook([near, far, tonight, sunday, fair], visitor())
    assert [(s.key, [i.id for i in s.items]) for s in roadbook.sections] == [
        ("now_nearby", ["baths"]),
        ("today", ["bar", "lake"]),
        ("stay", ["chapel"]),
        ("events", ["fair"]),
    ]
    assert [s.title for s in roadbook.sections] == [
        "Now, nearby",
        "Today",
        "During your stay",
        "Events",
    ]


def test_mmr_spreads_themes_and_partners() -> None:
    spas = [
        place(f"spa-{n}", wishes={"wellness"}, partner_id="chain", boost=1.0 - n / 100)
        for n in range(4)
    ]
    walk = place("walk", wishes={"nature"}, boost=0.9)
    eligible = [Eligible(c, Slot(NOW)) for c in [*spas, walk]]
    nobody = profile_of(visitor(site=None, wishes=frozenset()))
    scored = [score(e, nobody, {}, NOW) for e in eligible]
    order = [s.eligible.candidate.id for s in mmr(scored, 3, 0.7)]
    assert order == ["spa-0", "walk", "spa-1"]
    assert [s.eligible.candidate.id for s in mmr(scored, 3, 1.0)] == ["spa-0", "spa-1", "spa-2"]
    assert similarity(spas[0], spas[1]) == 1.0 and similarity(spas[0], walk) == 0.0


def _mmr_item_by_item(
    items: list[Scored], k: int, lam: float, exposure: dict[str, int] | None
) -> list[str]:
    """MMR as its definition reads, one item and one similarity at a time (the reference)."""
    pool = sorted(items, key=lambda s: (-s.score, s.eligible.candidate.id))[: 5 * k]
    if not pool or k <= 0:
        return []
    best = pool[0].score
    relevance = [s.score / best if best > 0 else 0.0 for s in pool]
    closest = [0.0] * len(pool)
    shown = dict(exposure or {})
    free, picked = list(range(len(pool))), []
    while free and len(picked) < k:
        values = {i: lam * relevance[i] - (1 - lam) * closest[i] for i in free}
        if exposure is None:
            choice = max(free, key=lambda i: (values[i], -i))
        else:
            partners = [s.eligible.candidate.partner_id or "" for s in pool]
            choice = min(free, key=lambda i: (-round(values[i], 2), shown.get(partners[i], 0), i))
        free.remove(choice)
        picked.append(choice)
        chosen = pool[choice].eligible.candidate
        if chosen.partner_id is not None:
            shown[chosen.partner_id] = shown.get(chosen.partner_id, 0) + 1
        for i in free:
            closest[i] = max(closest[i], similarity(chosen, pool[i].eligible.candidate))
    return [pool[i].eligible.candidate.id for i in picked]


@settings(max_examples=300, deadline=None)
@given(
    pool=st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.5, 1.0, 1.25, 2.0, 3.3, 4.75]),  # ties are common
            st.frozensets(st.sampled_from(WISHES[:5])),
            st.sampled_from([None, "a", "b", "c"]),
        ),
        max_size=30,
    ),
    k=st.integers(0, 9),
    lam=st.sampled_from([0.0, 0.3, 0.7, 1.0]),
    exposure=st.none() | st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 5)),
)
def test_mmr_picks_what_its_item_by_item_definition_picks(
    pool: list[tuple[float, frozenset[str], str | None]],
    k: int,
    lam: float,
    exposure: dict[str, int] | None,
) -> None:
    items = [
        Scored(
            Eligible(place(f"i{n:02d}", wishes=wishes, partner_id=partner), Slot(NOW)),
            value,
            [value],
            None,
            frozenset(),
        )
        for n, (value, wishes, partner) in enumerate(pool)
    ]
    picked = [s.eligible.candidate.id for s in mmr(items, k, lam, exposure)]
    assert picked == _mmr_item_by_item(items, k, lam, exposure)


def test_offers_carry_the_partner_label_and_stay_under_the_share() -> None:
    editorial = [place(f"p{n}", position=BATHS) for n in range(4)]
    offers = [offer(f"o{n}", f"partner-{n}", position=BATHS) for n in range(4)]
    roadbook = build_roadbook([*editorial, *offers], visitor())
    shown = [i for i in roadbook.items if i.commercial]
    assert len(shown) == 2  # 2 / (4 + 2) = 1/3
    assert {i.label for i in shown} == {"Partner offer"}
    assert all(i.label is None for i in roadbook.items if not i.commercial)
    assert roadbook.commercial_share == Fraction(1, 3)


def test_the_destination_wide_cap_counts_todays_offers_of_every_partner() -> None:
    editorial = [place(f"p{n}") for n in range(20)]
    offers = [offer(f"o{n}", f"partner-{n}") for n in range(5)]
    earlier = tuple(
        Exposure(f"x{n}", NOW - timedelta(hours=n + 1), f"other-{n}", True) for n in range(2)
    )
    roadbook = build_roadbook([*editorial, *offers], visitor(exposures=earlier), diagnostics=True)
    assert sum(i.commercial for i in roadbook.items) == 1  # 3 a day, 2 already shown
    assert {f.reason for f in roadbook.filtered if f.id.startswith("o")} == {"commercial_cap"}


def test_fairness_equal_offers_go_to_the_partner_shown_least() -> None:
    editorial = [place(f"p{n}") for n in range(2)]
    offers = [offer("a-deal", "alpha"), offer("b-deal", "beta")]
    exposure = {"alpha": 40, "beta": 3}
    roadbook = build_roadbook([*editorial, *offers], visitor(), partner_exposure=exposure)
    assert [i.id for i in roadbook.items if i.commercial] == ["b-deal"]
    exposure = {"alpha": 3, "beta": 40}
    roadbook = build_roadbook([*editorial, *offers], visitor(), partner_exposure=exposure)
    assert [i.id for i in roadbook.items if i.commercial] == ["a-deal"]


def test_fairness_never_prefers_a_clearly_less_relevant_offer() -> None:
    editorial = [place(f"p{n}") for n in range(2)]
    offers = [offer("a-deal", "alpha", boost=1.0), offer("b-deal", "beta")]
    roadbook = build_roadbook(
        [*editorial, *offers], visitor(), partner_exposure={"alpha": 1000, "beta": 0}
    )
    assert [i.id for i in roadbook.items if i.commercial] == ["a-deal"]


def test_without_consent_the_roadbook_is_editorial_and_says_so() -> None:
    spa = place("spa", wishes={"wellness"}, position=BATHS, boost=0.5)
    roadbook = build_roadbook([spa], visitor(personalisation=False, language="fr"))
    assert (roadbook.mode, roadbook.personalised) == ("editorial", False)
    assert roadbook.notice == MESSAGES["not_personalised"]["fr"]
    assert roadbook.items[0].reason == "Recommandé par l'office de tourisme"
    assert roadbook.items[0].terms["wish"] == 0.0
    assert build_roadbook([spa], visitor()).notice is None


def test_site_mode_ranks_near_the_page_site_from_aggregates_only() -> None:
    baths = place("baths", position=BATHS, site_id="site-baths")
    lake = place("lake", position=Position(49.30, 6.20), site_id="site-lake")
    deal = offer("zoo-deal", "zoo", site_id="site-zoo", targeting=Targeting(trigger="at_site"))
    roadbook = site_roadbook(
        [baths, lake, deal, *(place(f"p{n}") for n in range(3))],
        SiteAt("site-zoo", ZOO, {"de": "Zoo"}, present=False),
        NOW,
        "de",
        covisitation={"site-zoo": {"site-lake": 1.0}},
    )
    assert (roadbook.mode, roadbook.personalised, roadbook.notice) == ("site", False, None)
    assert ids(roadbook, "now_nearby") == ["zoo-deal", "baths"]
    deal_item = next(i for i in roadbook.items if i.id == "zoo-deal")
    assert deal_item.reason.startswith("Direkt hier (Zoo)")
    lake_item = next(i for i in roadbook.items if i.id == "lake")
    assert "oft nach Zoo besucht" in lake_item.reason
    assert all(i.planned_at < datetime(2026, 7, 15, tzinfo=PARIS) for i in roadbook.items)


def test_diagnostics_name_why_each_other_candidate_is_missing() -> None:
    roadbook = build_roadbook(
        [place("open"), place("museo", title={"it": "Museo"}), offer("x", "p", quota_remaining=0)],
        visitor(),
        diagnostics=True,
    )
    assert [(f.id, f.reason) for f in roadbook.filtered] == [
        ("museo", "no_language"),
        ("x", "offer_quota"),
    ]
    assert build_roadbook([place("museo", title={"it": "M"})], visitor()).filtered == ()


def test_a_candidate_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="candidate spa appears twice"):
        build_roadbook([place("spa"), place("spa")], visitor())


@pytest.mark.parametrize(
    ("metres", "language", "text"),
    [(12, "en", "50 m"), (612, "en", "600 m"), (1240, "en", "1.2 km"), (1240, "fr", "1,2 km"),
     (15400, "de", "15 km")],
)  # fmt: skip
def test_distances_read_as_people_say_them(metres: float, language: str, text: str) -> None:
    assert distance_text(metres, language) == text


def test_event_and_offer_timing_in_the_reason() -> None:
    tonight = event(
        "concert",
        [Period(start=date(2026, 7, 14), end=date(2026, 7, 14), start_time="20:30")],
    )
    later = event("fair", [Period(start=date(2026, 7, 16), end=date(2026, 7, 16))])
    # Ends at midnight Paris time, given in UTC: valid through the 19th.
    deal = offer("deal", "p", valid_until=datetime(2026, 7, 19, 22, 0, tzinfo=UTC))
    evening = offer("evening", "q", valid_until=datetime(2026, 7, 20, 18, 0, tzinfo=PARIS))
    editorial = [place(f"p{n}") for n in range(4)]
    reasons = {i.id: i.reason for i in build_roadbook([tonight, later, deal, evening, *editorial],
                                                      visitor(site=None)).items}  # fmt: skip
    assert reasons["concert"] == "Today at 20:30"
    assert reasons["fair"] == "On 16/07"
    assert reasons["deal"] == "Valid until 19/07"
    assert reasons["evening"] == "Valid until 20/07"


# --- properties ----------------------------------------------------------------------------

# A generated destination, plus offers for everyone with every kind of cap (so that many
# examples show offers and put the caps to the test).
DEALS = [
    offer(
        f"deal-{n}",
        f"partner-{n % 3}",
        position=BATHS if n % 2 else ZOO,
        caps=Caps(
            per_day=1 if n % 3 == 0 else None,
            total=2 if n % 3 == 1 else None,
            min_interval=timedelta(hours=3) if n % 3 == 2 else None,
        ),
        quota_remaining=(None, 1, 0, 5)[n % 4],
        targeting=Targeting(
            wishes=frozenset({"wellness"}) if n % 4 == 1 else frozenset(),
            trigger="nearby" if n % 5 == 4 else "anywhere",
        ),
    )
    for n in range(12)
]
CATALOGUE = destination(160, seed=7, partners=6) + DEALS


@st.composite
def contexts(draw: st.DrawFn) -> VisitorContext:
    now = NOW + timedelta(minutes=draw(st.integers(-600, 600)))
    start = now - timedelta(hours=draw(st.integers(-24, 96)))
    return VisitorContext(
        language=draw(st.sampled_from(LANGUAGES)),
        now=now,
        stay_start=start,
        stay_end=start + timedelta(hours=draw(st.integers(1, 200))),
        personalisation=draw(st.booleans()),
        wishes=draw(st.frozensets(st.sampled_from(WISHES))),
        with_children=draw(st.booleans()),
        site=draw(st.one_of(st.none(), st.builds(zoo, st.booleans()))),
        lodging=draw(st.one_of(st.none(), st.just(BATHS))),
        visited_today=draw(st.frozensets(st.sampled_from([c.id for c in CATALOGUE[:40]]))),
        exposures=tuple(
            Exposure(c.id, NOW - timedelta(hours=draw(st.integers(0, 60))), c.partner_id, True)
            for c in draw(st.lists(st.sampled_from([c for c in CATALOGUE if c.commercial])))
        ),
    )


@st.composite
def policies(draw: st.DrawFn) -> DestinationPolicy:
    return DestinationPolicy(
        commercial_per_day=draw(st.integers(0, 6)),
        commercial_share=Fraction(draw(st.integers(0, 4)), draw(st.integers(4, 8))),
        nearby_radius_m=draw(st.sampled_from([300.0, 1000.0, 5000.0])),
        mmr_lambda=draw(st.sampled_from([0.0, 0.5, 0.7, 1.0])),
        items_per_section=draw(st.integers(1, 10)),
    )


@st.composite
def catalogues(draw: st.DrawFn) -> list[Candidate]:
    items = draw(st.lists(st.sampled_from(CATALOGUE), max_size=80, unique_by=lambda c: c.id))
    deals = draw(st.lists(st.sampled_from(DEALS), unique_by=lambda c: c.id))
    return [*items, *(deal for deal in deals if deal not in items)]


SEPARATORS = {"fr": " ; ", "en": "; ", "de": "; ", "nl": "; "}
# Each message of a language as a pattern, its fields any text ("you asked for .+").
TEMPLATES = {
    language: [
        re.compile(
            re.sub(
                r"\\\{\w+\\\}", ".+", re.escape(texts[language][0].lower() + texts[language][1:])
            )
        )
        for texts in MESSAGES.values()
    ]
    for language in LANGUAGES
}
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(catalogues(), contexts(), policies())
def test_nothing_closed_not_happening_or_outside_the_stay(
    items: list[Candidate], context: VisitorContext, policy: DestinationPolicy
) -> None:
    by_id = {c.id: c for c in items}
    for item in build_roadbook(items, context, policy).items:
        candidate = by_id[item.id]
        assert context.stay_start <= item.planned_at < context.stay_end
        assert item.planned_at >= context.now or candidate.kind == "event"
        if candidate.hours is not None:
            assert is_open(candidate.hours, item.planned_at, PARIS).open is not False
        if candidate.kind == "event":
            found = occurrences(
                candidate.periods, item.planned_at, item.planned_at + timedelta(minutes=1), PARIS
            )
            assert found, "the event happens at its planned time"


@PROPERTY
@given(catalogues(), contexts(), policies())
def test_offers_never_over_their_caps_quota_the_daily_cap_or_the_share(
    items: list[Candidate], context: VisitorContext, policy: DestinationPolicy
) -> None:
    roadbook = build_roadbook(items, context, policy)
    by_id = {c.id: c for c in items}
    seen = seen_counts(context.exposures, context.now, policy)
    offers = [i for i in roadbook.items if i.commercial]
    for item in offers:
        terms = by_id[item.id].offer
        assert terms is not None and item.label is not None
        shown = seen.get(item.id)
        if shown is not None:
            assert terms.caps.per_day is None or shown.today < terms.caps.per_day
            assert terms.caps.total is None or shown.total < terms.caps.total
        assert terms.quota_remaining is None or terms.quota_remaining > 0
        assert terms.valid_from <= context.now < terms.valid_until
        targeting = terms.targeting
        assert not targeting.languages or context.language in targeting.languages
        if not context.personalisation:
            assert not targeting.uses_profile and targeting.trigger == "anywhere"
    today = sum(
        s.today for s in seen_counts(
            [e for e in context.exposures if e.commercial], context.now, policy
        ).values()
    )  # fmt: skip
    assert len(offers) <= max(0, policy.commercial_per_day - today)
    assert roadbook.commercial_share <= policy.commercial_share


@PROPERTY
@given(catalogues(), contexts(), policies())
def test_no_item_twice_a_reason_in_the_language_and_deterministic(
    items: list[Candidate], context: VisitorContext, policy: DestinationPolicy
) -> None:
    roadbook = build_roadbook(items, context, policy)
    shown = ids(roadbook)
    assert len(shown) == len(set(shown))
    language = context.language
    for item in roadbook.items:
        assert item.reason_language == language
        line = item.reason[0].lower() + item.reason[1:]
        for part in line.split(SEPARATORS[language]):
            assert any(template.fullmatch(part) for template in TEMPLATES[language]), part
    assert build_roadbook(list(reversed(items)), context, policy) == roadbook
    # Planning every candidate (diagnostics) gives the same roadbook as skipping hopeless ones.
    full = build_roadbook(items, context, policy, diagnostics=True)
    assert full.sections == roadbook.sections
    visited = context.visited_today if context.personalisation else frozenset()
    assert not visited & {i.id for i in roadbook.items if not i.commercial}


@PROPERTY
@given(catalogues(), contexts(), contexts())
def test_without_consent_the_roadbook_does_not_depend_on_the_profile(
    items: list[Candidate], first: VisitorContext, second: VisitorContext
) -> None:
    # Same language, time, stay and exposures (caps); everything else of the profile differs.
    other = VisitorContext(
        language=first.language,
        now=first.now,
        stay_start=first.stay_start,
        stay_end=first.stay_end,
        personalisation=False,
        wishes=second.wishes,
        with_children=second.with_children,
        site=second.site,
        lodging=second.lodging,
        visited_today=second.visited_today,
        exposures=first.exposures,
    )
    editorial = VisitorContext(
        language=first.language,
        now=first.now,
        stay_start=first.stay_start,
        stay_end=first.stay_end,
        exposures=first.exposures,
    )
    assert build_roadbook(items, other, diagnostics=True) == build_roadbook(
        items, editorial, diagnostics=True
    )


@PROPERTY
@given(catalogues(), contexts(), st.sampled_from(WISHES))
def test_adding_a_wish_an_item_matches_never_lowers_its_score_in_the_roadbook(
    items: list[Candidate], context: VisitorContext, wish: str
) -> None:
    if not context.personalisation:
        return
    before = {i.id: i.score for i in build_roadbook(items, context).items}
    wider = VisitorContext(
        **{
            **{f: getattr(context, f) for f in VisitorContext.__dataclass_fields__},
            "wishes": context.wishes | {wish},
        }
    )
    by_id = {c.id: c for c in items}
    for item in build_roadbook(items, wider).items:
        if item.id in before and wish in by_id[item.id].wishes:
            assert item.score >= before[item.id]


def test_a_generated_destination_fills_every_section_with_offers_labelled() -> None:
    items = destination(600, seed=3)
    roadbook = build_roadbook(items, visitor(wishes=frozenset({"nature", "wellness"})))
    assert all(section.items for section in roadbook.sections)
    assert any(i.commercial for i in roadbook.items)
    assert roadbook.commercial_share <= POLICY.commercial_share


def test_exposure_caps_hold_in_the_generated_destination() -> None:
    items = destination(300, seed=5)
    deal = offer("daily", "p", caps=Caps(per_day=1))
    shown = (Exposure("daily", NOW - timedelta(hours=1), "p", True),)
    assert "daily" not in ids(build_roadbook([*items, deal], visitor(exposures=shown)))


def test_before_the_stay_everything_is_planned_for_its_days() -> None:
    context = visitor(stay_start=NOW + timedelta(days=2), stay_end=NOW + timedelta(days=5))
    spa = place("spa", position=BATHS, opening=hours("09:00", "22:00"))
    roadbook = build_roadbook([spa, *(place(f"p{n}") for n in range(30))], context)
    assert ids(roadbook, "now_nearby") == ids(roadbook, "today") == []
    assert "spa" in ids(roadbook, "stay")
    assert all(i.planned_at == NOW + timedelta(days=2) for i in roadbook.items)


def test_an_eligible_offer_left_out_by_the_share_is_named_so() -> None:
    items = [place("only"), offer("a", "alpha"), offer("b", "beta")]
    roadbook = build_roadbook(items, visitor(), DestinationPolicy(commercial_share=Fraction(1, 2)))
    assert sum(i.commercial for i in roadbook.items) == 1
    roadbook = build_roadbook(
        items, visitor(), DestinationPolicy(commercial_share=Fraction(1, 2)), diagnostics=True
    )
    assert [(f.id, f.reason) for f in roadbook.filtered] == [("b", "commercial_share")]


def test_skipping_hopeless_candidates_never_changes_a_large_roadbook() -> None:
    """Hundreds of candidates fill the sections' pools, so most are skipped unplanned
    (docs/roadbook-engine.md § Speed), among them places read as closed for the rest of today:
    the roadbook is still the one planning everything gives."""
    far = Position(49.35, 6.30)
    # 300 places open today outrank by far ten that open only tomorrow (Wednesday).
    today = [place(f"place:{n:03d}", position=far, opening=hours("09:00", "18:00"), boost=1.0)
             for n in range(300)]  # fmt: skip
    tomorrow = [place(f"place:wed-{n}", position=far, opening=hours("09:00", "18:00", "wed"),
                      boost=0.9) for n in range(10)]  # fmt: skip
    items = [*today, *tomorrow]
    for hour in (0, 9, 17, 23):
        now = NOW.replace(hour=hour, minute=17)
        for stay_end in (now.replace(hour=23, minute=59), now + timedelta(days=3)):
            context = visitor(now=now, stay_start=now - timedelta(days=1), stay_end=stay_end)
            fast = build_roadbook(items, context)
            assert fast.sections == build_roadbook(items, context, diagnostics=True).sections
            if stay_end > now + timedelta(days=1) and hour < 17:
                stay = next(s for s in fast.sections if s.key == "stay")
                assert {i.id for i in stay.items} & {p.id for p in tomorrow}
