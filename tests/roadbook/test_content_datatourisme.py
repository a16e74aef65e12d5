"""Reading DATAtourisme objects: every documented shape, and any JSON anywhere never crashes."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadbook.content.datatourisme import (
    SKIP_REASONS,
    Skip,
    canonical_uri,
    clock,
    number,
    read_object,
    texts,
    version_key,
)
from roadbook.content.hours import Period, Rule, Schedule, is_open, occurrences, span

FIXTURES = Path(__file__).parent / "fixtures" / "datatourisme"
PARIS = ZoneInfo("Europe/Paris")


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def test_pompidou_every_field() -> None:
    row = read_object(fixture("pompidou"))
    assert row["kind"] == "place" and row["subtype"] == "site"
    assert row["uri"] == "https://data.datatourisme.fr/13/b02a4b65-5ec3-3f80-8cd9-ea8af229cb5f"
    assert row["slug"].startswith("centre-pompidou-")
    assert row["title"] == {"fr": "Centre Pompidou"}
    assert row["summary"]["en"] == "National museum of modern art."
    assert set(row["description"]) == {"fr", "en", "de", "nl", "es", "it"}
    assert (row["latitude"], row["longitude"]) == (48.860713, 2.352254)
    assert row["address"] == {
        "street": "Place Georges Pompidou",
        "postal_code": "75004",
        "locality": "Paris 4e Arrondissement",
        "insee": "75104",
        "department": "Paris",
    }
    assert row["contact"]["websites"] == ["https://www.centrepompidou.fr/"]
    assert row["booking"] == {"websites": ["https://billetterie.centrepompidou.fr/"]}
    assert row["images"] == [
        {
            "url": "https://static.example/pompidou.jpg",
            "credit": "© Centre Pompidou",
            "title": {"fr": "La façade"},
        }
    ]
    assert row["wishes"] == ["culture"]
    assert row["accessibility"] == ["wheelchair", "hearing"]
    assert row["price"]["min"] == 11.0 and row["price"]["max"] == 15.5
    assert row["labels"] == ["LabelRating_TourismeEtHandicap"]
    assert row["producer"] == "Office du Tourisme et des Congrès de Paris"
    assert row["source_updated_on"] == "2022-06-02"
    assert row["source_version"] == "2022-10-13T05:37:45.202Z"
    schedule = Schedule.model_validate(row["opening_hours"])
    # 2022-06-02 is a Thursday: open 11-22; 2022-06-07 a Tuesday: "00:00-00:00" is closed.
    assert is_open(schedule, datetime(2022, 6, 2, 15, tzinfo=PARIS), PARIS).open is True
    assert is_open(schedule, datetime(2022, 6, 7, 15, tzinfo=PARIS), PARIS).open is False
    assert schedule.rules[0].remark == {"fr": "Musée + Expositions : 11h - 21h ..."}


def test_old_flux_shapes_read_the_same() -> None:
    row = read_object(fixture("old-flux-restaurant"))
    # the old domain (and http) become the one canonical URI
    assert row["uri"] == "https://data.datatourisme.fr/23/0d3c1a7e-9b8f-3c2d-8e1f-2a3b4c5d6e7f"
    assert (row["kind"], row["subtype"], row["wishes"]) == ("place", "restaurant", ["gastronomy"])
    assert row["title"] == {"fr": "La Table du Lac"}  # a bare string
    assert row["summary"] == {"en": "Lorraine cooking by the lake", "fr": "Cuisine lorraine"}
    assert row["description"] == {"fr": "Cuisine lorraine au bord du lac."}  # rdfs:comment
    assert row["address"]["locality"] == "Amnéville"  # hasAddressCity as a list
    assert row["address"]["postal_code"] == "57360"  # a number
    assert row["address"]["department"] == "Moselle"
    assert row["latitude"] == pytest.approx(49.2575123456789)  # {"@value"}, many decimals
    assert row["contact"]["emails"] == ["contact@tabledulac.example"]  # deduplicated
    assert row["producer"] == "Moselle Attractivité"  # from rdfs:label, in a list
    assert row["source_updated_on"] == "2020-03-15"
    rules = [Rule.model_validate(r) for r in row["opening_hours"]["rules"]]
    # dayOfWeek objects, full IRIs and bare names; the public-holidays-only entry is left out
    assert [r.days for r in rules] == [
        ("mon", "tue", "wed", "thu", "fri"),
        ("fri", "sat"),
        ("sun",),
    ]
    schedule = Schedule(rules=tuple(rules))
    # Friday 2020-06-05 23:00 to Saturday 00:30; Sunday listed without hours.
    saturday_night = datetime(2020, 6, 6, 0, 15, tzinfo=PARIS)
    assert is_open(schedule, saturday_night, PARIS).open is True
    sunday = is_open(schedule, datetime(2020, 6, 7, 16, tzinfo=PARIS), PARIS)
    assert (sunday.open, sunday.hours_known) == (True, False)


def test_event_periods_with_times_and_days() -> None:
    row = read_object(fixture("festival"))
    assert (row["kind"], row["subtype"]) == ("event", "festival")
    assert (row["active_from"], row["active_until"]) == ("2026-08-01", "2026-09-01")
    periods = [Period.model_validate(p) for p in row["periods"]]
    found = occurrences(
        periods, datetime(2026, 8, 22, tzinfo=PARIS), datetime(2026, 8, 23, tzinfo=PARIS), PARIS
    )
    assert [(o.start.hour, o.end.hour) for o in found] == [(21, 1), (9, 12), (21, 1)]


def test_event_with_hundreds_of_dates_in_a_list() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(537)]
    obj: dict[str, Any] = {
        "@id": "https://data.datatourisme.fr/1/expo",
        "@type": ["Exhibition", "CulturalEvent", "EntertainmentAndEvent"],
        "rdfs:label": {"fr": ["Exposition"]},
        "schema:startDate": [d.isoformat() for d in days],
        "schema:endDate": [d.isoformat() for d in days],
    }
    row = read_object(obj)
    assert row["subtype"] == "exhibition"
    assert len(row["periods"]) == 537
    assert row["active_until"] == days[-1].isoformat()
    # takesPlaceAt with hundreds of periods wins over the date lists
    obj["takesPlaceAt"] = [{"startDate": d.isoformat(), "startTime": "10:00:00"} for d in days]
    assert all(p["start_time"] == "10:00" for p in read_object(obj)["periods"])


def test_tour_with_stops_length_duration_and_mode() -> None:
    row = read_object(fixture("cycling-tour"))
    assert (row["kind"], row["subtype"], row["mode"]) == ("tour", "cycling", "bike")
    assert (row["length_m"], row["duration_min"]) == (24500, 150)
    assert [s["title"]["fr"] for s in row["stops"]] == [
        "Départ : mairie",
        "Étang de la Forêt",
        "Retour",
    ]
    assert row["stops"][0]["uri"] == "https://data.datatourisme.fr/s1"
    assert row["route"] == {
        "type": "LineString",
        "coordinates": [[6.12, 49.26], [6.15, 49.28], [6.121, 49.26]],
    }


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_deep_nesting_is_a_named_skip() -> None:
    deep = {"@id": "https://data.datatourisme.fr/1/a", "rdfs:label": "x", "lastUpdate": _deep(5000)}
    with pytest.raises(Skip) as skipped:
        read_object(deep)
    assert skipped.value.reason == "nested too deeply"
    assert version_key(deep) is None  # no lastUpdateDatatourisme: the hash cannot be taken


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        ([], "not a JSON object"),
        ({"rdfs:label": {"fr": ["x"]}}, "no @id"),
        ({"@id": "  ", "rdfs:label": "x"}, "no @id"),
        ({"@id": 12, "rdfs:label": "x"}, "@id is not an http(s) URI of at most 300 characters"),
        ({"@id": "kb:x", "rdfs:label": "x"}, "@id is not an http(s) URI of at most 300 characters"),
        (
            {"@id": "https://data.datatourisme.fr/1/" + "a" * 300, "rdfs:label": "x"},
            SKIP_REASONS[2],
        ),
        ({"@id": "https://data.datatourisme.fr/1/a"}, "no label"),
        ({"@id": "https://data.datatourisme.fr/1/a", "rdfs:label": {"fr": [""]}}, "no label"),
    ],
)
def test_named_skips(obj: Any, reason: str) -> None:
    with pytest.raises(Skip) as skipped:
        read_object(obj)
    assert skipped.value.reason == reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"fr": ["a", "b"], "en": "c"}, {"fr": "a\n\nb", "en": "c"}),
        ("bare", {"fr": "bare"}),
        ({"@value": "v", "@language": "de-DE"}, {"de": "v"}),
        ([{"@value": "v"}, {"nl": ["w"]}], {"fr": "v", "nl": "w"}),
        ({"fr": [None, {"@value": 3}]}, {"fr": "3"}),
        ({"not a language": ["x"]}, {}),
        (None, {}),
    ],
)
def test_text_shapes(value: Any, expected: dict[str, str]) -> None:
    assert texts(value) == expected


def test_tour_figures_out_of_range_are_left_empty() -> None:
    tour = fixture("cycling-tour")
    tour.update(tourDistance="1e12", dailyDuration="P99999999999D")
    row = read_object(tour)
    assert (row["length_m"], row["duration_min"]) == (None, None)


def test_numbers_clocks_and_uris() -> None:
    assert number("48,5") == 48.5 and number(["2.5"]) == 2.5 and number("nan") is None
    assert number(True) is None and number("1e999") is None
    assert clock("9:30") == "09:30" and clock("24:00:00") == "24:00" and clock("25:00") is None
    assert clock("22:00:00+01:00") == "22:00" and clock(2200) is None
    assert canonical_uri("http://data.datatourisme.gouv.fr/1/x") == (
        "https://data.datatourisme.fr/1/x"
    )


# Any JSON value (no NaN: JSON has none; the readers turn NaN into null) in any field.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["", "2026-01-01", "12:00:00", "48.8", "schema:Monday", "fr"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["fr", "en", "@id", "@value", "@language", "x", "schema:geo"])
            | st.text(),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)
FIELD_PATHS = [
    ["@id"],
    ["@type"],
    ["rdfs:label"],
    ["rdfs:comment"],
    ["hasDescription"],
    ["hasDescription", 0, "shortDescription"],
    ["hasContact"],
    ["hasContact", 0, "schema:email"],
    ["hasBookingContact"],
    ["hasBeenCreatedBy"],
    ["hasTheme"],
    ["hasFeature"],
    ["hasReview"],
    ["offers"],
    ["offers", 0, "schema:priceSpecification"],
    ["hasMainRepresentation"],
    ["isLocatedAt"],
    ["isLocatedAt", 0, "schema:address"],
    ["isLocatedAt", 0, "schema:address", 0, "hasAddressCity"],
    ["isLocatedAt", 0, "schema:geo"],
    ["isLocatedAt", 0, "schema:geo", "schema:latitude"],
    ["isLocatedAt", 0, "schema:openingHoursSpecification"],
    ["isLocatedAt", 0, "schema:openingHoursSpecification", 0, "schema:dayOfWeek"],
    ["isLocatedAt", 0, "schema:openingHoursSpecification", 0, "schema:opens"],
    ["isLocatedAt", 0, "schema:openingHoursSpecification", 0, "schema:validFrom"],
    ["takesPlaceAt"],
    ["schema:startDate"],
    ["tourDistance"],
    ["dailyDuration"],
    ["isConstituedOf"],
    ["lastUpdate"],
    ["lastUpdateDatatourisme"],
]
BASES = ["pompidou", "old-flux-restaurant", "festival", "cycling-tour"]


def _put(obj: Any, path: list[Any], value: Any) -> None:
    node = obj
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    key = path[-1]
    if isinstance(node, dict) or (
        isinstance(node, list) and isinstance(key, int) and key < len(node)
    ):
        node[key] = value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(BASES),
    changes=st.lists(st.tuples(st.sampled_from(FIELD_PATHS), json_values), max_size=4),
)
def test_any_json_in_any_field_imports_or_is_a_named_skip(
    base: str, changes: list[tuple[list[Any], Any]]
) -> None:
    obj = copy.deepcopy(fixture(base))
    for path, value in changes:
        _put(obj, path, value)
    reason: str | None = None
    try:
        row = read_object(obj)
    except Skip as skip:
        reason = skip.reason
    if reason is not None:
        assert reason in SKIP_REASONS
        return
    json.dumps(row, allow_nan=False)  # the row is JSON, ready for the database
    Schedule.model_validate(row["opening_hours"])
    periods = [Period.model_validate(p) for p in row["periods"]]
    dates = span(periods)
    assert (row["active_from"], row["active_until"]) == (
        (dates[0].isoformat(), dates[1].isoformat()) if dates else (None, None)
    )
    at = datetime(2026, 8, 22, tzinfo=UTC)
    occurrences(periods, at, at + timedelta(days=2), PARIS)
    assert row["title"] and all(isinstance(t, str) and t for t in row["title"].values())


@settings(max_examples=200, deadline=None)
@given(obj=json_values)
def test_any_json_value_as_the_whole_object(obj: Any) -> None:
    reason = None
    try:
        read_object(obj)
    except Skip as skip:
        reason = skip.reason
    assert reason is None or reason in SKIP_REASONS
