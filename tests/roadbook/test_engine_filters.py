"""The engine's hard filters: one named case per rule, and the planned time they keep."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from roadbook.content.hours import Period, Rule, Schedule
from roadbook.engine.filters import Filtered, hard_filter, seen_counts
from roadbook.engine.geo import distance_m
from roadbook.engine.inputs import (
    PARIS,
    Candidate,
    Caps,
    DestinationPolicy,
    Exposure,
    OfferTerms,
    Position,
    QuietHours,
    Targeting,
    VisitorContext,
)
from roadbook.engine.planning import Slot, first_open
from roadbook.engine.profile import profile_of
from roadbook.engine.synthetic import (
    BATHS,
    NOW,
    ZOO,
    event,
    hours,
    offer,
    place,
    titled,
    visitor,
    zoo,
)

POLICY = DestinationPolicy()


def run(candidate: Candidate, context: VisitorContext | None = None) -> Slot | str:
    """The candidate's slot when kept, else the reason it was filtered."""
    context = context or visitor()
    kept, dropped = hard_filter([candidate], context, profile_of(context), POLICY)
    if kept:
        return kept[0].slot
    assert dropped == [Filtered(candidate.id, dropped[0].reason)]
    return dropped[0].reason


def test_an_item_in_none_of_the_four_languages_is_filtered() -> None:
    assert run(place("museo", title={"it": "Museo"})) == "no_language"


def test_an_item_in_french_only_is_kept_for_a_german_visitor_by_fallback() -> None:
    assert isinstance(run(place("musee", title={"fr": "Musée"}), visitor(language="de")), Slot)


def test_a_place_open_now_is_planned_now_with_its_closing_time() -> None:
    slot = run(place("baths", opening=hours("09:00", "22:00")))
    assert slot == Slot(
        NOW, datetime(2026, 7, 14, 22, 0, tzinfo=PARIS), open_known=True, hours_known=True
    )


def test_a_place_closed_now_is_planned_when_it_opens_later_today() -> None:
    slot = run(place("bar", opening=hours("19:00", "23:30")))
    assert isinstance(slot, Slot)
    assert slot.at == datetime(2026, 7, 14, 19, 0, tzinfo=PARIS)


def test_a_place_open_only_on_days_outside_the_stay_is_closed() -> None:
    # The stay runs Monday 10:00 to Friday 10:00; the place opens on Sundays only.
    assert run(place("chapel", opening=hours("10:00", "12:00", "sun"))) == "closed"


def test_a_place_closed_by_an_exception_today_is_planned_tomorrow() -> None:
    national_day = Rule.model_validate(
        {"annual": True, "valid_from": "2000-07-14", "valid_through": "2000-07-14", "closed": True}
    )
    opening = Schedule(rules=(Rule(opens="10:00", closes="18:00"), national_day))
    slot = run(place("town-hall", opening=opening))
    assert isinstance(slot, Slot)
    assert slot.at == datetime(2026, 7, 15, 10, 0, tzinfo=PARIS)


def test_hours_silent_on_the_day_are_unknown_not_closed() -> None:
    stale = Schedule(
        rules=(
            Rule.model_validate(
                {"valid_from": "2022-01-01", "valid_through": "2022-12-31", "opens": "10:00"}
            ),
        )
    )
    assert run(place("old", opening=stale)) == Slot(NOW)


def test_first_open_never_returns_a_closed_moment_across_the_dst_change() -> None:
    # Spring forward: 02:30 does not exist on 29 March 2026; the slot opens at 03:30 CEST.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=PARIS)
    slot = first_open(hours("02:30", "05:00"), start, start + timedelta(days=1), PARIS)
    assert slot is not None
    assert slot.at.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_an_event_outside_the_stay_is_not_happening() -> None:
    later = Period(start=date(2026, 8, 1), end=date(2026, 8, 3))
    assert run(event("fair", [later])) == "not_happening"


def test_an_event_under_way_is_planned_now_and_ends_with_its_occurrence() -> None:
    today = Period(start=date(2026, 7, 14), end=date(2026, 7, 14), start_time="09:00",
                   end_time="12:00")  # fmt: skip
    slot = run(event("market", [today]))
    assert isinstance(slot, Slot)
    assert (slot.at, slot.starts, slot.until) == (
        NOW,
        datetime(2026, 7, 14, 9, 0, tzinfo=PARIS),
        datetime(2026, 7, 14, 12, 0, tzinfo=PARIS),
    )


def test_after_the_stay_nothing_is_planned() -> None:
    context = visitor(stay_start=NOW - timedelta(days=3), stay_end=NOW - timedelta(hours=1))
    assert run(place("baths"), context) == "outside_stay"
    assert run(offer("o", "p"), context) == "outside_stay"


def test_before_the_stay_items_are_planned_from_its_first_day() -> None:
    context = visitor(stay_start=NOW + timedelta(days=2), stay_end=NOW + timedelta(days=4))
    slot = run(place("baths", opening=hours("09:00", "22:00")), context)
    assert isinstance(slot, Slot)
    assert slot.at == NOW + timedelta(days=2)


def test_an_item_or_a_site_visited_today_is_filtered() -> None:
    context = visitor(visited_today=frozenset({"baths", "site-zoo"}))
    assert run(place("baths"), context) == "visited_today"
    assert run(place("zoo-cafe", site_id="site-zoo"), context) == "visited_today"
    assert isinstance(run(place("museum", site_id="site-museum"), context), Slot)


def test_an_offer_at_a_site_visited_today_is_not_filtered_as_visited() -> None:
    context = visitor(visited_today=frozenset({"site-zoo"}))
    assert isinstance(run(offer("ice-cream", "zoo", site_id="site-zoo"), context), Slot)


def test_an_expired_or_future_offer_is_not_valid() -> None:
    expired = offer("o", "p", valid_from=NOW - timedelta(days=9), valid_until=NOW)
    future = offer("o", "p", valid_from=NOW + timedelta(hours=1))
    assert run(expired) == "offer_not_valid"
    assert run(future) == "offer_not_valid"


def test_an_offer_outside_its_weekly_schedule_is_not_valid() -> None:
    assert run(offer("happy-hour", "bar", schedule=hours("17:00", "19:00"))) == "offer_not_valid"
    slot = run(offer("brunch", "cafe", schedule=hours("09:00", "12:00")))
    assert isinstance(slot, Slot)
    assert slot.until == datetime(2026, 7, 14, 12, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("targeting", "kept"),
    [
        (Targeting(languages=frozenset({"de"})), False),
        (Targeting(languages=frozenset({"en", "de"})), True),
        (Targeting(wishes=frozenset({"gastronomy"})), False),
        (Targeting(wishes=frozenset({"gastronomy", "wellness"})), True),
        (Targeting(with_children=True), False),
        (Targeting(with_children=False), True),
        (Targeting(trigger="at_site"), False),
        (Targeting(trigger="nearby"), True),
    ],
)
def test_offer_targeting(targeting: Targeting, kept: bool) -> None:
    # The visitor: English, wishes wellness, no children, at the zoo; the offer: at the baths,
    # 600 m away (within the 1 km nearby radius).
    candidate = offer("spa", "baths", site_id="site-baths", position=BATHS, targeting=targeting)
    assert isinstance(run(candidate), Slot) is kept
    if not kept:
        assert run(candidate) == "offer_not_targeted"


def test_at_site_offers_need_the_visitor_at_that_site_now() -> None:
    here = offer("zoo-deal", "zoo", site_id="site-zoo", targeting=Targeting(trigger="at_site"))
    assert isinstance(run(here), Slot)
    assert run(here, visitor(site=zoo(present=False))) == "offer_not_targeted"


def test_nearby_offers_beyond_the_radius_are_not_targeted() -> None:
    far = offer("far", "p", position=Position(49.40, 6.14), targeting=Targeting(trigger="nearby"))
    assert run(far) == "offer_not_targeted"


@pytest.mark.parametrize(
    ("caps", "shown_hours_ago", "kept"),
    [
        (Caps(per_day=2), [1, 2], False),
        (Caps(per_day=2), [1, 30], True),  # yesterday's does not count today
        (Caps(total=3), [1, 30, 50], False),
        (Caps(total=3), [30, 50], True),
        (Caps(min_interval=timedelta(hours=4)), [3], False),
        (Caps(min_interval=timedelta(hours=4)), [4], True),
    ],
)
def test_offer_caps(caps: Caps, shown_hours_ago: list[int], kept: bool) -> None:
    candidate = offer("spa", "baths", caps=caps)
    shown = tuple(Exposure("spa", NOW - timedelta(hours=h), "baths", True) for h in shown_hours_ago)
    result = run(candidate, visitor(exposures=shown))
    assert isinstance(result, Slot) if kept else result == "offer_capped"


def test_an_offer_with_no_redemption_left_is_filtered() -> None:
    assert run(offer("spa", "baths", quota_remaining=0)) == "offer_quota"
    assert isinstance(run(offer("spa", "baths", quota_remaining=1)), Slot)


def test_no_offer_during_quiet_hours_but_editorial_items_stay() -> None:
    context = visitor(quiet_hours=QuietHours("09:00", "11:00"))
    assert run(offer("spa", "baths"), context) == "quiet_hours"
    assert isinstance(run(place("museum"), context), Slot)


def test_quiet_hours_may_run_past_midnight() -> None:
    quiet = QuietHours("22:00", "08:00")
    assert quiet.contains(datetime(2026, 7, 14, 23, 0, tzinfo=PARIS), PARIS)
    assert quiet.contains(datetime(2026, 7, 14, 7, 59, tzinfo=PARIS), PARIS)
    assert not quiet.contains(datetime(2026, 7, 14, 8, 0, tzinfo=PARIS), PARIS)


def test_without_consent_offers_targeted_on_the_profile_or_on_visits_are_filtered() -> None:
    context = visitor(personalisation=False)
    on_wishes = offer("spa", "baths", targeting=Targeting(wishes=frozenset({"wellness"})))
    at_site = offer("zoo-deal", "zoo", site_id="site-zoo", targeting=Targeting(trigger="at_site"))
    for_everyone = offer("card", "office", targeting=Targeting(languages=frozenset({"en"})))
    assert run(on_wishes, context) == "profile_targeting"
    assert run(at_site, context) == "profile_targeting"
    assert isinstance(run(for_everyone, context), Slot)


def test_the_widget_site_mode_keeps_at_site_offers_but_not_profile_ones() -> None:
    context = visitor(personalisation=False, anonymous=True)
    at_site = offer("zoo-deal", "zoo", site_id="site-zoo", targeting=Targeting(trigger="at_site"))
    on_wishes = offer("spa", "baths", targeting=Targeting(wishes=frozenset({"wellness"})))
    assert isinstance(run(at_site, context), Slot)
    assert run(on_wishes, context) == "profile_targeting"


def test_exposures_are_counted_on_the_local_day() -> None:
    # 23:30 UTC on the 13th is 01:30 on the 14th in Paris: today.
    late = Exposure("spa", datetime(2026, 7, 13, 23, 30, tzinfo=UTC))
    early = Exposure("spa", datetime(2026, 7, 13, 21, 30, tzinfo=UTC))
    seen = seen_counts([late, early], NOW, POLICY)["spa"]
    assert (seen.today, seen.total, seen.last) == (1, 2, late.at)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: visitor(now=datetime(2026, 7, 14, 10)), "now is a naive datetime"),
        (lambda: visitor(language="it"), "language 'it'"),
        (lambda: visitor(wishes=frozenset({"golf"})), "unknown wish 'golf'"),
        (lambda: visitor(stay_end=NOW - timedelta(days=1)), "stay_end is not after"),
        (lambda: place("p", boost=2.0), "boost 2.0 is not in [0, 1]"),
        (lambda: Position(91.0, 0.0), "lat 91.0"),
        (lambda: Candidate("e", "event", titled("e")), "an event has periods"),
        (
            lambda: Candidate(
                "o", "offer", titled("o"), offer=OfferTerms(NOW, NOW + timedelta(days=1))
            ),
            "an offer belongs to a partner",
        ),
        (lambda: Caps(per_day=-1), "caps.per_day is negative"),
        (lambda: QuietHours("25:00", "08:00"), "quiet_hours.start '25:00'"),
        (lambda: DestinationPolicy(mmr_lambda=1.5), "mmr_lambda"),
    ],
)
def test_bad_inputs_are_refused_with_the_field_named(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build()  # type: ignore[operator]


def test_the_zoo_and_the_baths_are_600_m_apart() -> None:
    assert 590 < distance_m(ZOO, BATHS) < 640
