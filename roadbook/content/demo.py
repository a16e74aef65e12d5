"""Editorial places of the demo destination (registered as the ``demo.seed`` hook)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.tenancy import Destination
from crm.destinations.models import Site
from roadbook.content.models import Place

PLACES: list[dict[str, Any]] = [
    {
        "slug": "bois-de-coulange",
        "site": None,
        "wishes": ["nature", "family"],
        "latitude": 49.2620,
        "longitude": 6.1250,
        "title": {
            "fr": "Balade au Bois de Coulange",
            "en": "A walk in the Coulange woods",
            "de": "Spaziergang im Coulange-Wald",
            "nl": "Wandeling in het bos van Coulange",
        },
        "summary": {
            "fr": "Sentiers ombragés entre les thermes et le zoo, accessibles en poussette.",
            "en": "Shady paths between the spa and the zoo, pushchair-friendly.",
            "de": "Schattige Wege zwischen Therme und Zoo, kinderwagentauglich.",
            "nl": "Schaduwrijke paden tussen de thermen en de dierentuin, geschikt voor kinderwagens.",
        },
    },
    {
        "slug": "thermapolis-aquatonic",
        "site": "thermapolis",
        "wishes": ["wellness"],
        "latitude": 49.2590,
        "longitude": 6.1268,
        "title": {
            "fr": "Thermapolis : bassins d'eau thermale",
            "en": "Thermapolis: thermal-water pools",
            "de": "Thermapolis: Thermalwasserbecken",
            "nl": "Thermapolis: thermaalwaterbaden",
        },
        "summary": {
            "fr": "Eau à 35 °C venue de 800 m de profondeur, saunas et hammams.",
            "en": "35 °C water from 800 m underground, saunas and steam rooms.",
            "de": "35 °C warmes Wasser aus 800 m Tiefe, Saunen und Dampfbäder.",
            "nl": "Water van 35 °C uit 800 m diepte, sauna's en stoombaden.",
        },
    },
    {
        "slug": "zoo-tigres",
        "site": "zoo",
        "wishes": ["family", "nature"],
        "latitude": 49.2567,
        "longitude": 6.1183,
        "title": {
            "fr": "Le spectacle des tigres",
            "en": "The tiger show",
            "de": "Die Tigershow",
            "nl": "De tijgershow",
        },
        "summary": {
            "fr": "Chaque après-midi au Zoo d'Amnéville, l'un des plus visités de France.",
            "en": "Every afternoon at Amnéville Zoo, one of France's most visited.",
            "de": "Jeden Nachmittag im Zoo Amnéville, einem der meistbesuchten Frankreichs.",
            "nl": "Elke middag in de dierentuin van Amnéville, een van de drukst bezochte van Frankrijk.",
        },
    },
    {
        "slug": "snowhall-initiation",
        "site": "snowhall",
        "wishes": ["sport", "family"],
        "latitude": 49.2611,
        "longitude": 6.1352,
        "title": {
            "fr": "Initiation au ski à Snowhall",
            "en": "Beginner ski lesson at Snowhall",
            "de": "Skikurs für Anfänger in der Snowhall",
            "nl": "Skiles voor beginners in Snowhall",
        },
        "summary": {
            "fr": "Piste couverte de 620 m, neige toute l'année.",
            "en": "A 620 m indoor slope, snow all year round.",
            "de": "620 m lange Indoor-Piste, Schnee das ganze Jahr.",
            "nl": "Overdekte piste van 620 m, het hele jaar sneeuw.",
        },
    },
    {
        "slug": "galaxie-concerts",
        "site": "galaxie",
        "wishes": ["nightlife", "culture"],
        "latitude": 49.2547,
        "longitude": 6.1398,
        "title": {
            "fr": "Concerts au Galaxie",
            "en": "Concerts at the Galaxie",
            "de": "Konzerte im Galaxie",
            "nl": "Concerten in de Galaxie",
        },
        "summary": {
            "fr": "La plus grande salle de l'Est de la France.",
            "en": "The largest concert hall in eastern France.",
            "de": "Der größte Konzertsaal Ostfrankreichs.",
            "nl": "De grootste concertzaal van Oost-Frankrijk.",
        },
    },
    {
        "slug": "tables-du-lac",
        "site": "brasserie-du-lac",
        "wishes": ["gastronomy"],
        "latitude": 49.2575,
        "longitude": 6.1300,
        "title": {
            "fr": "Déjeuner au bord du lac",
            "en": "Lunch by the lake",
            "de": "Mittagessen am See",
            "nl": "Lunch aan het meer",
        },
        "summary": {
            "fr": "Quiche lorraine et tarte aux mirabelles.",
            "en": "Quiche lorraine and mirabelle-plum tart.",
            "de": "Quiche Lorraine und Mirabellenkuchen.",
            "nl": "Quiche lorraine en mirabellentaart.",
        },
    },
    {
        "slug": "golf-parcours",
        "site": "golf",
        "wishes": ["sport", "nature"],
        "latitude": 49.2640,
        "longitude": 6.1215,
        "title": {
            "fr": "Parcours de golf en forêt",
            "en": "A forest golf course",
            "de": "Golfplatz im Wald",
            "nl": "Golfbaan in het bos",
        },
        "summary": {
            "fr": "18 trous au cœur du bois.",
            "en": "18 holes in the heart of the woods.",
            "de": "18 Löcher mitten im Wald.",
            "nl": "18 holes midden in het bos.",
        },
    },
]


async def seed_places(
    session: AsyncSession, destination: Destination, sites: Mapping[str, Site]
) -> None:
    """Add the demo's editorial places."""
    for place in PLACES:
        site = sites.get(place["site"]) if place["site"] else None
        fields = {k: v for k, v in place.items() if k != "site"}
        session.add(
            Place.model_validate(
                {**fields, "destination_id": destination.id, "site_id": site.id if site else None}
            )
        )
    await session.flush()
