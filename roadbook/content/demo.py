"""The demo destination's catalogue (Amnéville), registered as the ``demo.seed`` hook.

The venues of ``crm.demo.SITES`` as catalogue places (each linked to its site), a walk in the
Bois de Coulange, and events over the coming weeks, dated from the day the demo is seeded, in
French, English, German and Dutch. Hours are plausible, not authoritative; the texts are the
office's own (``source = "office"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.tenancy import Destination
from crm.destinations.models import Site
from roadbook.content.editing import active_range
from roadbook.content.models import ContentItem

CHRISTMAS = {"annual": True, "valid_from": "2000-12-25", "valid_through": "2000-12-25"}
# Every day, no times: open all day (a hotel's reception); the form shows it as a row of days.
ALL_DAY = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}


def _t(fr: str, en: str, de: str, nl: str) -> dict[str, str]:
    return {"fr": fr, "en": en, "de": de, "nl": nl}


def _daily(opens: str, closes: str, **rule: Any) -> dict[str, Any]:
    return {"opens": opens, "closes": closes, **rule}


PLACES: list[dict[str, Any]] = [
    {
        "slug": "zoo-amneville",
        "site": "zoo",
        "subtype": "leisure",
        "wishes": ["family", "nature"],
        "title": _t("Zoo d'Amnéville", "Amnéville Zoo", "Zoo Amnéville", "Dierentuin Amnéville"),
        "summary": _t(
            "2 000 animaux de 360 espèces sur 18 hectares de forêt, et le spectacle des tigres.",
            "2,000 animals of 360 species in 18 hectares of forest, and the tiger show.",
            "2.000 Tiere aus 360 Arten auf 18 Hektar Wald, dazu die Tigershow.",
            "2.000 dieren van 360 soorten op 18 hectare bos, en de tijgershow.",
        ),
        "hours": {
            "rules": [
                _daily(
                    "09:30",
                    "18:30",
                    annual=True,
                    valid_from="2000-04-01",
                    valid_through="2000-09-30",
                ),
                _daily(
                    "10:00",
                    "17:00",
                    annual=True,
                    valid_from="2000-10-01",
                    valid_through="2000-03-31",
                ),
                {**CHRISTMAS, "closed": True},
            ],
            "remark": _t(
                "Dernière entrée une heure avant la fermeture.",
                "Last admission one hour before closing.",
                "Letzter Einlass eine Stunde vor Schließung.",
                "Laatste toegang een uur voor sluiting.",
            ),
        },
    },
    {
        "slug": "thermapolis",
        "site": "thermapolis",
        "subtype": "leisure",
        "wishes": ["wellness"],
        "title": _t("Thermapolis", "Thermapolis", "Thermapolis", "Thermapolis"),
        "summary": _t(
            "Bassins d'eau thermale à 35 °C venue de 800 m de profondeur, saunas et hammams.",
            "35 °C thermal-water pools from 800 m underground, saunas and steam rooms.",
            "35 °C warme Thermalbecken aus 800 m Tiefe, Saunen und Dampfbäder.",
            "Thermaalbaden van 35 °C uit 800 m diepte, sauna's en stoombaden.",
        ),
        "hours": {
            "rules": [
                _daily("10:00", "22:00", days=["mon", "tue", "wed", "thu", "sun"]),
                _daily("10:00", "23:00", days=["fri", "sat"]),
                {**CHRISTMAS, "closed": True},
            ]
        },
    },
    {
        "slug": "villa-pompei",
        "site": "villa-pompei",
        "subtype": "leisure",
        "wishes": ["wellness"],
        "title": _t("Villa Pompéi", "Villa Pompéi", "Villa Pompéi", "Villa Pompéi"),
        "summary": _t(
            "Thermes à l'antique : caldarium, bains romains et massages.",
            "Baths in the Roman manner: caldarium, Roman pools and massages.",
            "Thermen nach römischer Art: Caldarium, römische Bäder und Massagen.",
            "Baden op zijn Romeins: caldarium, Romeinse baden en massages.",
        ),
        "hours": {"rules": [_daily("10:00", "21:00")]},
    },
    {
        "slug": "snowhall",
        "site": "snowhall",
        "subtype": "leisure",
        "wishes": ["sport", "family"],
        "title": _t("Snowhall", "Snowhall", "Snowhall", "Snowhall"),
        "summary": _t(
            "Piste de ski couverte de 620 m, neige toute l'année, cours pour débutants.",
            "A 620 m indoor ski slope, snow all year round, lessons for beginners.",
            "620 m lange Indoor-Skipiste, Schnee das ganze Jahr, Kurse für Anfänger.",
            "Overdekte skipiste van 620 m, het hele jaar sneeuw, lessen voor beginners.",
        ),
        "hours": {"rules": [_daily("10:00", "23:00")]},
    },
    {
        "slug": "galaxie-amneville",
        "site": "galaxie",
        "subtype": "site",
        "wishes": ["nightlife", "culture"],
        "title": _t(
            "Galaxie Amnéville", "Galaxie Amnéville", "Galaxie Amnéville", "Galaxie Amnéville"
        ),
        "summary": _t(
            "La plus grande salle de concert de l'Est de la France (12 000 places).",
            "The largest concert hall in eastern France (12,000 seats).",
            "Der größte Konzertsaal Ostfrankreichs (12.000 Plätze).",
            "De grootste concertzaal van Oost-Frankrijk (12.000 plaatsen).",
        ),
        "hours": {
            "rules": [_daily("19:00", "23:59", days=["fri", "sat"])],
            "remark": _t(
                "Ouvert les soirs de spectacle : voir l'agenda.",
                "Open on show nights: see the events.",
                "An Veranstaltungsabenden geöffnet: siehe Termine.",
                "Open op voorstellingsavonden: zie de agenda.",
            ),
        },
    },
    {
        "slug": "casino-amneville",
        "site": "casino",
        "subtype": "leisure",
        "wishes": ["nightlife"],
        "title": _t(
            "Casino d'Amnéville", "Amnéville Casino", "Casino Amnéville", "Casino Amnéville"
        ),
        "summary": _t(
            "Machines à sous, tables de jeu et bar, jusqu'à 3 h du matin.",
            "Slot machines, gaming tables and a bar, until 3 a.m.",
            "Spielautomaten, Spieltische und Bar, bis 3 Uhr morgens.",
            "Gokautomaten, speeltafels en een bar, tot 3 uur 's nachts.",
        ),
        "hours": {"rules": [_daily("10:00", "03:00")]},
    },
    {
        "slug": "golf-amneville",
        "site": "golf",
        "subtype": "leisure",
        "wishes": ["sport", "nature"],
        "title": _t(
            "Golf d'Amnéville", "Amnéville Golf Course", "Golfplatz Amnéville", "Golfbaan Amnéville"
        ),
        "summary": _t(
            "18 trous au cœur du Bois de Coulange.",
            "18 holes in the heart of the Coulange woods.",
            "18 Löcher mitten im Coulange-Wald.",
            "18 holes midden in het bos van Coulange.",
        ),
        "hours": {
            "rules": [
                _daily(
                    "08:00",
                    "19:00",
                    annual=True,
                    valid_from="2000-04-01",
                    valid_through="2000-10-31",
                ),
                _daily(
                    "09:00",
                    "17:00",
                    annual=True,
                    valid_from="2000-11-01",
                    valid_through="2000-03-31",
                ),
            ]
        },
    },
    {
        "slug": "brasserie-du-lac",
        "site": "brasserie-du-lac",
        "subtype": "restaurant",
        "wishes": ["gastronomy"],
        "title": _t("Brasserie du Lac", "Brasserie du Lac", "Brasserie du Lac", "Brasserie du Lac"),
        "summary": _t(
            "Quiche lorraine et tarte aux mirabelles au bord du lac.",
            "Quiche lorraine and mirabelle-plum tart by the lake.",
            "Quiche Lorraine und Mirabellenkuchen am See.",
            "Quiche lorraine en mirabellentaart aan het meer.",
        ),
        "hours": {"rules": [_daily("11:30", "14:30"), _daily("18:30", "22:30")]},
    },
    {
        "slug": "la-table-des-thermes",
        "site": "table-des-thermes",
        "subtype": "restaurant",
        "wishes": ["gastronomy", "wellness"],
        "title": _t(
            "La Table des Thermes",
            "La Table des Thermes",
            "La Table des Thermes",
            "La Table des Thermes",
        ),
        "summary": _t(
            "Cuisine de saison légère, face au parc thermal.",
            "Light seasonal cooking, facing the spa gardens.",
            "Leichte Saisonküche mit Blick auf den Kurpark.",
            "Lichte seizoenskeuken, met uitzicht op het kuurpark.",
        ),
        "hours": {
            "rules": [
                _daily("12:00", "14:00", days=["tue", "wed", "thu", "fri", "sat", "sun"]),
                _daily("19:00", "21:30", days=["tue", "wed", "thu", "fri", "sat"]),
            ],
            "remark": _t(
                "Fermé le lundi.",
                "Closed on Mondays.",
                "Montags geschlossen.",
                "Maandag gesloten.",
            ),
        },
    },
    {
        "slug": "hotel-diane",
        "site": "hotel-diane",
        "subtype": "lodging",
        "wishes": ["wellness"],
        "title": _t("Hôtel Diane", "Hôtel Diane", "Hotel Diane", "Hotel Diane"),
        "summary": _t(
            "Hôtel 3 étoiles relié aux thermes, 48 chambres.",
            "A 3-star hotel linked to the spa, 48 rooms.",
            "3-Sterne-Hotel mit direktem Zugang zur Therme, 48 Zimmer.",
            "3-sterrenhotel met toegang tot de thermen, 48 kamers.",
        ),
        "hours": {
            "rules": [ALL_DAY],
            "remark": _t(
                "Réception 24 h/24.",
                "Reception open 24 hours.",
                "Rezeption rund um die Uhr.",
                "Receptie 24 uur per dag open.",
            ),
        },
    },
    {
        "slug": "hotel-du-bois-de-coulange",
        "site": "hotel-du-bois",
        "subtype": "lodging",
        "wishes": ["nature"],
        "title": _t(
            "Hôtel du Bois de Coulange",
            "Hôtel du Bois de Coulange",
            "Hotel du Bois de Coulange",
            "Hotel du Bois de Coulange",
        ),
        "summary": _t(
            "Chambres calmes en lisière de forêt, à pied du zoo.",
            "Quiet rooms on the edge of the forest, a walk from the zoo.",
            "Ruhige Zimmer am Waldrand, zu Fuß zum Zoo.",
            "Rustige kamers aan de bosrand, op loopafstand van de dierentuin.",
        ),
        "hours": {"rules": [ALL_DAY]},
    },
]

TOUR: dict[str, Any] = {
    "slug": "balade-bois-de-coulange",
    "kind": "tour",
    "subtype": "walk",
    "mode": "foot",
    "length_m": 4_200,
    "duration_min": 75,
    "wishes": ["nature", "family"],
    "latitude": 49.2620,
    "longitude": 6.1250,
    "title": _t(
        "Balade au Bois de Coulange",
        "A walk in the Coulange woods",
        "Spaziergang im Coulange-Wald",
        "Wandeling in het bos van Coulange",
    ),
    "summary": _t(
        "Sentiers ombragés entre les thermes et le zoo, accessibles en poussette.",
        "Shady paths between the spa and the zoo, pushchair-friendly.",
        "Schattige Wege zwischen Therme und Zoo, kinderwagentauglich.",
        "Schaduwrijke paden tussen de thermen en de dierentuin, geschikt voor kinderwagens.",
    ),
    "stops": [
        {"title": "Thermapolis", "lat": 49.2590, "lon": 6.1268},
        {"title": "Lac", "lat": 49.2575, "lon": 6.1300},
        {"title": "Zoo", "lat": 49.2567, "lon": 6.1183},
    ],
}


def events(today: date) -> list[dict[str, Any]]:
    """The coming weeks' events, dated from ``today`` (the destination's local date)."""

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    return [
        {
            "slug": "concert-musiques-de-films",
            "site": "galaxie",
            "subtype": "show",
            "wishes": ["culture", "nightlife"],
            "periods": [
                {"start": day(5), "end": day(5), "start_time": "20:00", "end_time": "22:30"}
            ],
            "title": _t(
                "Ciné-concert : musiques de films",
                "Film music in concert",
                "Filmmusik im Konzert",
                "Filmmuziek in concert",
            ),
            "summary": _t(
                "Un orchestre symphonique joue les grandes musiques de film.",
                "A symphony orchestra plays the great film scores.",
                "Ein Sinfonieorchester spielt große Filmmusiken.",
                "Een symfonieorkest speelt beroemde filmmuziek.",
            ),
        },
        {
            "slug": "soiree-rock-lorrain",
            "site": "galaxie",
            "subtype": "show",
            "wishes": ["nightlife"],
            "periods": [
                {"start": day(12), "end": day(12), "start_time": "20:30", "end_time": "23:30"}
            ],
            "title": _t(
                "Nuit du rock lorrain",
                "Lorraine rock night",
                "Lothringer Rocknacht",
                "Lotharingse rocknacht",
            ),
            "summary": _t(
                "Cinq groupes de la région sur la grande scène.",
                "Five bands from the region on the main stage.",
                "Fünf Bands aus der Region auf der großen Bühne.",
                "Vijf bands uit de regio op het grote podium.",
            ),
        },
        {
            "slug": "repas-des-otaries",
            "site": "zoo",
            "subtype": "show",
            "wishes": ["family", "nature"],
            "periods": [
                {"start": day(0), "end": day(27), "start_time": "15:00", "end_time": "15:30"}
            ],
            "title": _t(
                "Le repas des otaries",
                "Feeding the sea lions",
                "Robbenfütterung",
                "De zeeleeuwen voeren",
            ),
            "summary": _t(
                "Chaque après-midi, les soigneurs racontent leurs pensionnaires.",
                "Every afternoon the keepers talk about their animals.",
                "Jeden Nachmittag erzählen die Tierpfleger von ihren Schützlingen.",
                "Elke middag vertellen de verzorgers over hun dieren.",
            ),
        },
        {
            "slug": "nocturnes-snowhall",
            "site": "snowhall",
            "subtype": "sport",
            "wishes": ["sport", "nightlife"],
            "periods": [
                {
                    "start": day(0),
                    "end": day(27),
                    "start_time": "19:00",
                    "end_time": "23:00",
                    "days": ["fri", "sat"],
                }
            ],
            "title": _t("Nocturnes de ski", "Night skiing", "Nachtskifahren", "Avondskiën"),
            "summary": _t(
                "Le vendredi et le samedi soir, piste en musique et lumières.",
                "Friday and Saturday nights: the slope with music and lights.",
                "Freitag- und Samstagabend: Piste mit Musik und Lichtern.",
                "Vrijdag- en zaterdagavond: de piste met muziek en lichten.",
            ),
        },
        {
            "slug": "marche-du-terroir",
            "site": "brasserie-du-lac",
            "subtype": "market",
            "wishes": ["gastronomy", "shopping"],
            "periods": [
                {
                    "start": day(0),
                    "end": day(41),
                    "start_time": "08:00",
                    "end_time": "13:00",
                    "days": ["sun"],
                }
            ],
            "title": _t(
                "Marché du terroir au bord du lac",
                "Local produce market by the lake",
                "Bauernmarkt am See",
                "Streekmarkt aan het meer",
            ),
            "summary": _t(
                "Mirabelles, fromages et charcuterie lorraine, le dimanche matin.",
                "Mirabelle plums, cheeses and Lorraine charcuterie, on Sunday mornings.",
                "Mirabellen, Käse und Lothringer Wurstwaren, sonntagmorgens.",
                "Mirabellen, kaas en Lotharingse vleeswaren, op zondagochtend.",
            ),
        },
        {
            "slug": "soiree-bien-etre-thermapolis",
            "site": "thermapolis",
            "subtype": "other",
            "wishes": ["wellness"],
            "periods": [
                {"start": day(9), "end": day(9), "start_time": "19:00", "end_time": "23:00"}
            ],
            "title": _t(
                "Soirée bien-être aux chandelles",
                "Candlelit wellness evening",
                "Wellness-Abend bei Kerzenlicht",
                "Wellnessavond bij kaarslicht",
            ),
            "summary": _t(
                "Bassins aux chandelles, massages et tisanes jusqu'à 23 h.",
                "Candlelit pools, massages and herbal teas until 11 p.m.",
                "Becken bei Kerzenlicht, Massagen und Kräutertees bis 23 Uhr.",
                "Baden bij kaarslicht, massages en kruidenthee tot 23 uur.",
            ),
        },
    ]


def catalogue_rows(today: date, sites: Mapping[str, Site]) -> list[dict[str, Any]]:
    """The demo's items as ``content_item`` fields (without the destination)."""
    rows: list[dict[str, Any]] = []
    for place in PLACES:
        site = sites.get(place["site"])
        rows.append(
            {
                "kind": "place",
                "slug": place["slug"],
                "subtype": place["subtype"],
                "title": place["title"],
                "summary": place["summary"],
                "wishes": place["wishes"],
                "opening_hours": place["hours"],
                "site_id": site.id if site else None,
                "latitude": site.latitude if site else None,
                "longitude": site.longitude if site else None,
            }
        )
    rows.append(dict(TOUR))
    for event in events(today):
        site = sites.get(event["site"])
        active_from, active_until = active_range(event["periods"])
        rows.append(
            {
                **{key: value for key, value in event.items() if key != "site"},
                "kind": "event",
                "site_id": site.id if site else None,
                "latitude": site.latitude if site else None,
                "longitude": site.longitude if site else None,
                "active_from": active_from,
                "active_until": active_until,
            }
        )
    return rows


async def seed_catalogue(
    session: AsyncSession, destination: Destination, sites: Mapping[str, Site]
) -> None:
    """Add the demo's catalogue (the first time the demo destination is created)."""
    today = datetime.now(ZoneInfo(destination.timezone)).date()
    for row in catalogue_rows(today, sites):
        session.add(ContentItem.model_validate({**row, "destination_id": destination.id}))
    await session.flush()
