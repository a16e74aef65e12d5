"""The roadbook as schema.org JSON-LD, expanded by pyld: a TouristTrip whose itinerary is an
ItemList of ListItems in the roadbook's order.

No network here: the ``https://schema.org`` context is served by a document loader from a local
copy of the part of it the document uses (feeds_support.expand). Expansion must drop no
property: every key is a schema.org term.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from feeds_support import (
    CONCERT,
    HOSTILE,
    MUSEUM,
    OFFER,
    PUBLIC,
    SCHEMA,
    SPA,
    TOKEN,
    WALK,
    expand,
    go,
    load_document,
    one,
    sample_view,
    site_view,
    value,
)
from pyld import jsonld

from roadbook.feeds.trip import trip_jsonld


def test_the_loader_serves_only_the_local_context() -> None:
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(
            {"@context": "https://example.org/ctx", "name": "x"},
            {"documentLoader": load_document},
        )


def test_trip_expands_to_a_tourist_trip_with_its_itinerary_in_order() -> None:
    [trip] = expand(trip_jsonld(sample_view()))
    assert trip["@type"] == [SCHEMA + "TouristTrip"]
    assert trip["@id"] == f"{PUBLIC}/r/{TOKEN}/trip.jsonld"
    assert one(trip, "url") == {"@id": f"{PUBLIC}/r/{TOKEN}"}
    assert value(trip, "name") == "Your roadbook — Amnéville"
    itinerary = one(trip, "itinerary")
    assert itinerary["@type"] == [SCHEMA + "ItemList"]
    assert value(itinerary, "numberOfItems") == 5
    elements = itinerary[SCHEMA + "itemListElement"]
    assert [element["@type"] for element in elements] == [[SCHEMA + "ListItem"]] * 5
    assert [value(element, "position") for element in elements] == [1, 2, 3, 4, 5]
    items = [one(element, "item") for element in elements]
    assert [item["@type"] for item in items] == [
        [SCHEMA + kind] for kind in ("Place", "Offer", "TouristTrip", "Place", "Event")
    ]
    assert [value(item, "identifier") for item in items] == [
        e.id for e in (SPA, OFFER, WALK, MUSEUM, CONCERT)
    ]


def _items() -> dict[str, dict[str, Any]]:
    [trip] = expand(trip_jsonld(sample_view()))
    elements = one(trip, "itinerary")[SCHEMA + "itemListElement"]
    return {value(item, "identifier"): item for item in (one(e, "item") for e in elements)}


def test_a_place_has_its_geo_coordinates_and_link() -> None:
    spa = _items()[SPA.id]
    assert value(spa, "name") == "Les Thermes, bains; spa"
    assert value(spa, "description") == "Eau chaude\nà 36 °C, sauna; hammam"
    assert one(spa, "url") == {"@id": go(SPA.id)}
    assert one(spa, "image") == {"@id": "https://img.example/spa.jpg"}
    geo = one(spa, "geo")
    assert geo["@type"] == [SCHEMA + "GeoCoordinates"]
    assert (value(geo, "latitude"), value(geo, "longitude")) == (49.2611, 6.1432)
    museum = _items()[MUSEUM.id]
    assert SCHEMA + "geo" not in museum and SCHEMA + "url" not in museum
    assert SCHEMA + "description" not in museum


def test_an_event_has_its_dates_and_location() -> None:
    concert = _items()[CONCERT.id]
    assert one(concert, "startDate") == {
        "@type": SCHEMA + "DateTime",
        "@value": "2026-07-14T18:00:00Z",
    }
    assert value(concert, "endDate") == "2026-07-14T20:30:00Z"
    location = one(concert, "location")
    assert location["@type"] == [SCHEMA + "Place"]
    assert value(one(location, "geo"), "latitude") == 49.25


def test_a_tour_is_a_trip_with_its_route_as_itinerary() -> None:
    walk = _items()[WALK.id]
    assert value(walk, "departureTime") == "2026-07-15T07:00:00Z"
    assert value(walk, "arrivalTime") == "2026-07-15T09:00:00Z"
    stops = one(walk, "itinerary")[SCHEMA + "itemListElement"]
    assert [value(stop, "position") for stop in stops] == [1, 2, 3]
    geos = [one(one(stop, "item"), "geo") for stop in stops]
    assert [(value(geo, "latitude"), value(geo, "longitude")) for geo in geos] == [
        (49.3, 6.2),
        (49.31, 6.21),
        (49.32, 6.19),
    ]


def test_an_offer_names_its_partner_and_label_as_plain_text() -> None:
    offer = _items()[OFFER.id]
    assert value(offer, "name") == f"Ice cream {HOSTILE}"
    assert value(offer, "category") == "Partner offer"
    partner = one(offer, "offeredBy")
    assert partner["@type"] == [SCHEMA + "Organization"]
    assert value(partner, "name") == f"Glacier {HOSTILE}"
    assert value(offer, "availabilityStarts") == "2026-07-14T08:30:00Z"
    assert value(one(one(offer, "availableAtOrFrom"), "geo"), "longitude") == 6.144


def test_site_mode_has_no_token_address() -> None:
    document = trip_jsonld(site_view())
    assert "@id" not in document and "url" not in document
    assert "/r/" not in json.dumps(document)
    [trip] = expand(document)
    assert "@id" not in trip
    assert value(one(trip, "itinerary"), "numberOfItems") == 4
