"""A roadbook as schema.org JSON-LD: a ``TouristTrip`` whose ``itinerary`` is an ``ItemList`` of
the suggested entries in section order (a place a ``Place``, an event an ``Event``, a tour a
``TouristTrip`` with its route as its own itinerary, a partner offer an ``Offer``).

A pure function of a :class:`~roadbook.feeds.view.RoadbookView`: no database, no clock.
"""

from __future__ import annotations

from typing import Any

from crm.ingest.schemas import rfc3339
from roadbook.engine.inputs import Position
from roadbook.feeds.view import Entry, RoadbookView

MEDIA_TYPE = "application/ld+json"
CONTEXT = "https://schema.org"


def trip_jsonld(view: RoadbookView) -> dict[str, Any]:
    """``view`` as a JSON-LD ``TouristTrip`` document (a dict ready for ``json.dumps``).

    In site mode (``view.links`` is ``None``) the trip has no ``@id`` or ``url``: no token.
    """
    trip: dict[str, Any] = {"@context": CONTEXT, "@type": "TouristTrip"}
    if view.links is not None:
        trip["@id"] = view.links.trip
        trip["url"] = view.links.home
    trip["name"] = view.title
    if view.notice:
        trip["description"] = view.notice
    trip["itinerary"] = {
        "@type": "ItemList",
        "numberOfItems": len(view.entries),
        "itemListElement": [
            {"@type": "ListItem", "position": position, "item": _item(entry)}
            for position, entry in enumerate(view.entries, start=1)
        ],
    }
    return trip


def _thing(entry: Entry, schema_type: str) -> dict[str, Any]:
    """What every item of the trip says of itself: its type, id, name, description, website
    and image."""
    thing: dict[str, Any] = {"@type": schema_type, "identifier": entry.id, "name": entry.title}
    if entry.summary:
        thing["description"] = entry.summary
    if entry.link is not None:
        thing["url"] = entry.link
    if entry.image is not None:
        thing["image"] = entry.image.url
    return thing


def _item(entry: Entry) -> dict[str, Any]:
    if entry.kind == "offer":
        return _offer(entry)
    item = _thing(entry, {"place": "Place", "event": "Event", "tour": "TouristTrip"}[entry.kind])
    if entry.kind == "place":
        if entry.position is not None:
            item["geo"] = _geo(entry.position)
    elif entry.kind == "event":
        item["startDate"] = rfc3339(entry.planned_at)
        if entry.until is not None:
            item["endDate"] = rfc3339(entry.until)
        if entry.position is not None:
            item["location"] = {"@type": "Place", "geo": _geo(entry.position)}
    else:
        # A tour (schema.org Trip): when it is planned, and its route as its own itinerary.
        item["departureTime"] = rfc3339(entry.planned_at)
        if entry.until is not None:
            item["arrivalTime"] = rfc3339(entry.until)
        stops = entry.route or ((entry.position,) if entry.position is not None else ())
        if stops:
            item["itinerary"] = {
                "@type": "ItemList",
                "numberOfItems": len(stops),
                "itemListElement": [
                    {
                        "@type": "ListItem",
                        "position": position,
                        "item": {"@type": "Place", "geo": _geo(point)},
                    }
                    for position, point in enumerate(stops, start=1)
                ],
            }
    return item


def _offer(entry: Entry) -> dict[str, Any]:
    """A partner offer, labelled as such: its partner is the ``offeredBy`` organisation."""
    offer = _thing(entry, "Offer")
    if entry.label:
        offer["category"] = entry.label
    # When the roadbook plans it (not its whole validity, which the view does not carry).
    offer["availabilityStarts"] = rfc3339(entry.planned_at)
    if entry.until is not None:
        offer["availabilityEnds"] = rfc3339(entry.until)
    if entry.partner is not None:
        offer["offeredBy"] = {"@type": "Organization", "name": entry.partner}
    if entry.position is not None:
        offer["availableAtOrFrom"] = {"@type": "Place", "geo": _geo(entry.position)}
    return offer


def _geo(position: Position) -> dict[str, Any]:
    return {"@type": "GeoCoordinates", "latitude": position.lat, "longitude": position.lon}
