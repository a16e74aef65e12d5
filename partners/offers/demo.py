"""The demo destination's partner offers (Amnéville), registered as the ``demo.seed`` hook.

The demo's venues (``crm.demo.SITES``) become partners, each running its own site, and a dozen
offers of theirs are added: texts in French, English, German and Dutch, validity from the day
the demo is seeded, varied targeting (wishes, parties with children, languages), triggers, caps
and redemption kinds, one with a small quota; all approved except one draft and one paused.
Prices and terms are plausible, not the venues' real ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.destinations.models import Partner, Site
from partners.offers import service
from partners.offers.service import OfferFields

BY = "demo"
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _t(fr: str, en: str, de: str, nl: str) -> dict[str, str]:
    return {"fr": fr, "en": en, "de": de, "nl": nl}


def _weekly(*slots: tuple[tuple[str, ...], str, str]) -> dict[str, Any]:
    rules = []
    for days, opens, closes in slots:
        rule: dict[str, Any] = {"opens": opens, "closes": closes}
        if set(days) != set(EVERY_DAY):
            rule["days"] = list(days)
        rules.append(rule)
    return {"rules": rules}


# Each offer: its site (the partner is the site's), its fields, status and validity in days.
OFFERS: list[dict[str, Any]] = [
    {
        "site": "zoo",
        "title": _t(
            "Billet famille -15 %",
            "Family ticket -15%",
            "Familienticket -15 %",
            "Gezinsticket -15%",
        ),
        "summary": _t(
            "Deux adultes et deux enfants : 15 % de remise sur l'entrée du zoo, à la caisse.",
            "Two adults and two children: 15% off the zoo's admission, at the ticket office.",
            "Zwei Erwachsene und zwei Kinder: 15 % Rabatt auf den Zoo-Eintritt an der Kasse.",
            "Twee volwassenen en twee kinderen: 15% korting op de toegang tot de dierentuin.",
        ),
        "wishes": ("family",),
        "with_children": True,
        "trigger": "anywhere",
        "cap_per_day": 2,
        "cap_total": 6,
        "redemption_kind": "code",
        "boost": 0.3,
    },
    {
        "site": "zoo",
        "title": _t(
            "Goûter avec les soigneurs",
            "Snack time with the keepers",
            "Imbiss mit den Tierpflegern",
            "Tussendoortje met de verzorgers",
        ),
        "summary": _t(
            "À 15 h 30, un goûter offert aux enfants qui assistent au nourrissage des lémuriens.",
            "At 3:30 pm, a free snack for children who watch the lemurs being fed.",
            "Um 15:30 Uhr ein kostenloser Imbiss für Kinder bei der Fütterung der Lemuren.",
            "Om 15.30 uur een gratis tussendoortje voor kinderen bij het voederen van de maki's.",
        ),
        "schedule": _weekly((("wed", "sat", "sun"), "15:00", "16:00")),
        "wishes": ("family", "nature"),
        "with_children": True,
        "trigger": "at_site",
        "cap_per_day": 1,
        "quota": 40,
        "redemption_kind": "screen",
    },
    {
        "site": "thermapolis",
        "title": _t(
            "Entrée du soir à Thermapolis",
            "Evening entry at Thermapolis",
            "Abendeintritt im Thermapolis",
            "Avondtoegang tot Thermapolis",
        ),
        "summary": _t(
            "Après 19 h, trois heures de bains et de saunas au prix de deux.",
            "After 7 pm, three hours of baths and saunas for the price of two.",
            "Ab 19 Uhr drei Stunden Bäder und Saunen zum Preis von zwei.",
            "Na 19.00 uur drie uur baden en sauna's voor de prijs van twee.",
        ),
        "schedule": _weekly((EVERY_DAY, "19:00", "22:00")),
        "wishes": ("wellness",),
        "trigger": "nearby",
        "cap_per_day": 1,
        "cap_min_interval_min": 120,
        "redemption_kind": "qr",
        "boost": 0.5,
    },
    {
        "site": "villa-pompei",
        "title": _t(
            "Massage duo -20 %",
            "Massage for two -20%",
            "Paarmassage -20 %",
            "Duomassage -20%",
        ),
        "summary": _t(
            "Un massage de 50 minutes pour deux à la Villa Pompéi, 20 % moins cher. Cinq places.",
            "A 50-minute massage for two at Villa Pompéi, 20% cheaper. Five places only.",
            "Eine 50-minütige Massage zu zweit in der Villa Pompéi, 20 % günstiger. "
            "Nur fünf Plätze.",
            "Een massage van 50 minuten voor twee in Villa Pompéi, 20% goedkoper. "
            "Slechts vijf plaatsen.",
        ),
        "wishes": ("wellness",),
        "with_children": False,
        "trigger": "anywhere",
        "cap_total": 3,
        "quota": 5,
        "redemption_kind": "code",
        "boost": 0.2,
    },
    {
        "site": "snowhall",
        "title": _t(
            "Cours de ski d'une heure -25 %",
            "One-hour ski lesson -25%",
            "Einstündige Skistunde -25 %",
            "Skiles van een uur -25%",
        ),
        "summary": _t(
            "Débutant ou pas, un moniteur sur la piste couverte, matériel compris.",
            "Beginner or not, an instructor on the indoor slope, equipment included.",
            "Ob Anfänger oder nicht: ein Skilehrer auf der Indoor-Piste, Ausrüstung inklusive.",
            "Beginner of niet: een instructeur op de overdekte piste, materiaal inbegrepen.",
        ),
        "wishes": ("sport",),
        "trigger": "anywhere",
        "cap_per_day": 1,
        "cap_min_interval_min": 240,
        "redemption_kind": "qr",
        "boost": 0.1,
    },
    {
        "site": "snowhall",
        "title": _t(
            "Luge pour les petits offerte",
            "Free sledging for little ones",
            "Gratis Rodeln für die Kleinen",
            "Gratis sleeën voor de kleintjes",
        ),
        "summary": _t(
            "Une descente en luge offerte aux moins de 10 ans accompagnés.",
            "One free sledge run for children under 10 with an adult.",
            "Eine kostenlose Rodelfahrt für Kinder unter 10 in Begleitung.",
            "Eén gratis sleeafdaling voor kinderen onder de 10 met een volwassene.",
        ),
        "wishes": ("family", "sport"),
        "with_children": True,
        "trigger": "nearby",
        "cap_per_day": 1,
        "redemption_kind": "screen",
        "status": "paused",
    },
    {
        "site": "galaxie",
        "title": _t(
            "Un verre offert avant le concert",
            "A drink on us before the show",
            "Ein Getränk vor dem Konzert gratis",
            "Een drankje van ons voor de show",
        ),
        "summary": _t(
            "Le vendredi et le samedi soir, un soft ou une bière offerts au bar du Galaxie.",
            "On Friday and Saturday evenings, a soft drink or a beer on us at the Galaxie's bar.",
            "Freitag- und Samstagabend ein Softdrink oder Bier gratis an der Bar des Galaxie.",
            "Op vrijdag- en zaterdagavond een frisdrank of biertje gratis aan de bar van Galaxie.",
        ),
        "schedule": _weekly((("fri", "sat"), "19:00", "23:30")),
        "wishes": ("nightlife", "culture"),
        "trigger": "nearby",
        "cap_per_day": 1,
        "redemption_kind": "screen",
        "boost": 0.2,
    },
    {
        "site": "casino",
        "title": _t(
            "10 € de jeu offerts",
            "€10 of play on us",
            "10 € Spielguthaben gratis",
            "€10 speeltegoed van ons",
        ),
        "summary": _t(
            "À votre première visite, 10 € de crédit de jeu sur les machines. Réservé aux adultes.",
            "On your first visit, €10 of credit on the slot machines. Adults only.",
            "Beim ersten Besuch 10 € Guthaben an den Automaten. Nur für Erwachsene.",
            "Bij uw eerste bezoek €10 tegoed op de speelautomaten. Alleen voor volwassenen.",
        ),
        "wishes": ("nightlife",),
        "with_children": False,
        "trigger": "at_site",
        "cap_total": 1,
        "redemption_kind": "code",
    },
    {
        "site": "golf",
        "title": _t(
            "Initiation au golf avec un pro",
            "Golf taster with a pro",
            "Golf-Schnupperkurs mit einem Pro",
            "Golfinitiatie met een pro",
        ),
        "summary": _t(
            "Une heure de practice avec un professionnel qui parle anglais, allemand et "
            "néerlandais, balles et clubs fournis.",
            "An hour on the driving range with a pro who speaks English, German and Dutch, "
            "balls and clubs provided.",
            "Eine Stunde auf der Driving Range mit einem Pro, der Englisch, Deutsch und "
            "Niederländisch spricht, Bälle und Schläger inklusive.",
            "Een uur op de driving range met een pro die Engels, Duits en Nederlands spreekt, "
            "ballen en clubs inbegrepen.",
        ),
        "schedule": _weekly((EVERY_DAY, "09:00", "18:00")),
        "wishes": ("sport", "nature"),
        "languages": ("en", "de", "nl"),
        "trigger": "anywhere",
        "cap_per_day": 1,
        "cap_total": 2,
        "redemption_kind": "code",
    },
    {
        "site": "brasserie-du-lac",
        "title": _t(
            "Menu du lac : entrée, plat, dessert à 24 €",
            "Lake menu: three courses for €24",
            "Seemenü: drei Gänge für 24 €",
            "Meermenu: drie gangen voor €24",
        ),
        "summary": _t(
            "Le menu du jour en terrasse face au lac, café compris.",
            "The set menu of the day on the terrace by the lake, coffee included.",
            "Das Tagesmenü auf der Terrasse am See, Kaffee inklusive.",
            "Het dagmenu op het terras aan het meer, koffie inbegrepen.",
        ),
        "schedule": _weekly((EVERY_DAY, "11:30", "14:00"), (EVERY_DAY, "18:30", "21:30")),
        "wishes": ("gastronomy",),
        "trigger": "nearby",
        "cap_per_day": 2,
        "cap_min_interval_min": 180,
        "redemption_kind": "code",
        "boost": 0.4,
    },
    {
        "site": "table-des-thermes",
        "title": _t(
            "Déjeuner bien-être après les bains",
            "Wellness lunch after the baths",
            "Wellness-Mittagessen nach dem Bad",
            "Wellnesslunch na het baden",
        ),
        "summary": _t(
            "Une assiette légère et une infusion maison, sur présentation du billet des thermes.",
            "A light plate and a home-made herbal tea, on showing your spa ticket.",
            "Ein leichter Teller und ein hausgemachter Kräutertee gegen Vorlage des "
            "Thermentickets.",
            "Een licht bord en huisgemaakte kruidenthee, op vertoon van uw thermenkaartje.",
        ),
        "schedule": _weekly((("tue", "wed", "thu", "fri", "sat", "sun"), "12:00", "14:00")),
        "wishes": ("gastronomy", "wellness"),
        "trigger": "nearby",
        "redemption_kind": "code",
        "status": "draft",
    },
    {
        "site": "hotel-du-bois",
        "title": _t(
            "Petit-déjeuner du randonneur",
            "Hiker's breakfast",
            "Wandererfrühstück",
            "Wandelaarsontbijt",
        ),
        "summary": _t(
            "Petit-déjeuner servi dès 6 h 30 et pique-nique à emporter pour le sentier du Bois "
            "de Coulange.",
            "Breakfast from 6:30 am and a packed lunch for the Bois de Coulange trail.",
            "Frühstück ab 6:30 Uhr und ein Lunchpaket für den Weg durch den Bois de Coulange.",
            "Ontbijt vanaf 6.30 uur en een lunchpakket voor het pad door het Bois de Coulange.",
        ),
        "wishes": ("nature",),
        "trigger": "at_site",
        "cap_per_day": 1,
        "redemption_kind": "screen",
    },
]


async def _partners_of(
    session: AsyncSession, destination: Destination, sites: Mapping[str, Site]
) -> dict[str, uuid.UUID]:
    """Each demo site's partner (one partner per venue, named after it), created if missing and
    set on the site when it has none."""
    known = {
        partner.slug: partner
        for partner in (
            await session.execute(
                select(Partner).where(col(Partner.destination_id) == destination.id)
            )
        ).scalars()
    }
    partner_of: dict[str, uuid.UUID] = {}
    for slug, site in sites.items():
        if site.partner_id is None:
            partner = known.get(slug)
            if partner is None:
                partner = Partner(destination_id=destination.id, slug=slug, name=site.name)
                session.add(partner)
                await session.flush()
            site.partner_id = partner.id
        partner_of[slug] = site.partner_id
    await session.flush()
    return partner_of


async def seed_offers(
    session: AsyncSession, destination: Destination, sites: Mapping[str, Site]
) -> None:
    """Add the demo's partners and offers (the first time the demo destination is created)."""
    partner_of = await _partners_of(session, destination, sites)
    now = utcnow()
    start = now.astimezone(ZoneInfo(destination.timezone)).replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - timedelta(days=1)
    for number, row in enumerate(OFFERS):
        spec = dict(row)
        site = sites.get(spec.pop("site"))
        if site is None:
            continue
        status = spec.pop("status", "approved")
        valid_from, valid_until = valid_window(start, number)
        fields = OfferFields(
            partner_id=partner_of[site.slug],
            site_ids=(site.id,),
            valid_from=valid_from,
            valid_until=valid_until,
            **spec,
        )
        offer = await service.create_offer(
            session,
            destination.id,
            fields,
            status="draft" if status == "paused" else status,
            by=BY,
            at=now,
        )
        if status == "paused":
            service.transition(offer, "approved", by=BY, at=now)
            service.transition(offer, "paused", by=BY, at=now)
    await session.flush()


def valid_window(start: datetime, number: int) -> tuple[datetime, datetime]:
    """The validity the demo gives its ``number``-th offer from ``start`` (tests read it)."""
    return start, start + timedelta(days=60 + 15 * (number % 3))
