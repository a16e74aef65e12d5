"""A roadbook view built by hand, as the service will hand it to the page: every section, a
partner offer with a redemption code, QR code and hostile text, an image with its credit, a
title in another language, the visitor's visits; and the same view without personalisation.

Also used by the browser tests (tests/browser/test_pwa_browser.py), which serve it in place of
the service's view.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import segno

from roadbook.engine.inputs import Position
from roadbook.feeds.view import (
    Image,
    Links,
    Redemption,
    RoadbookView,
    Section,
    VisitEntry,
)
from tests.roadbook.feeds.feeds_support import entry

PARIS = "Europe/Paris"
# Saturday 5 December 2026, 15:00 in Paris (winter time, UTC+1).
NOW = datetime(2026, 12, 5, 14, 0, tzinfo=UTC)
HOSTILE = "<img src=x onerror=alert(1)>"
CODE = "BAL-7K2Q-99"
SECTION_TITLES = {
    "fr": {
        "now_nearby": "Maintenant, à côté",
        "today": "Aujourd'hui",
        "stay": "Pendant votre séjour",
        "events": "Événements",
    },
    "en": {
        "now_nearby": "Now, nearby",
        "today": "Today",
        "stay": "During your stay",
        "events": "Events",
    },
}


def links(base: str, token: str) -> Links:
    return Links.under(base, token)


def sample_view(
    base: str = "https://roadbook.example",
    token: str = "t" * 43,
    *,
    language: str = "en",
    now: datetime = NOW,
    offer_text: str = HOSTILE,
) -> RoadbookView:
    """The personal roadbook of an English-speaking visitor at 15:00 on Saturday 5 December."""
    home = links(base, token)
    qr = segno.make(CODE, error="m").svg_inline(omitsize=True)
    offer = entry(
        "offer:5b0e3c9e-2f41-4c38-9a57-0d3a1e8c6f21",
        section="now_nearby",
        title="-20 % on the spa's evening pass",
        summary=f"Evening pass at a fifth off {offer_text}",
        why="You asked for wellness; 300 m from the zoo; valid until 22:00",
        planned_at=NOW,
        sponsored=True,
        label="Partner offer",
        partner="Thermapolis",
        until=now + timedelta(hours=7),
        redemption=Redemption(code=CODE, kind="qr", qr_svg=qr),
        link=f"{base}/r/{token}/go/offer:5b0e3c9e-2f41-4c38-9a57-0d3a1e8c6f21",
    )
    zoo = entry(
        "place:0c3f5a7e-1b2d-4e6f-8a9b-0c1d2e3f4a5b",
        section="now_nearby",
        title="Zoo d'Amnéville",
        title_language="fr",
        summary="Tigers, sea lions and a tropical greenhouse.",
        why="You asked for family; 150 m away; open until 18:00",
        planned_at=NOW,
        until=now + timedelta(hours=3),
        link=f"{base}/r/{token}/go/place:0c3f5a7e-1b2d-4e6f-8a9b-0c1d2e3f4a5b",
        image=Image(url=f"{base}/pwa/icon-512.png", credit="Office de tourisme"),
    )
    snow = entry(
        "place:7d1e2f3a-4b5c-4d6e-8f9a-0b1c2d3e4f5a",
        section="today",
        title="Snowhall",
        summary="The indoor ski slope, 620 m long.",
        why="You asked for sport; 1.2 km from the zoo; open until 23:00",
        planned_at=now + timedelta(hours=2),
        until=now + timedelta(hours=4),
    )
    walk = entry(
        "tour:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        section="stay",
        title="Forest walk of the Coulées",
        summary="6 km through the beech forest.",
        why="You asked for nature; tomorrow morning",
        planned_at=now + timedelta(hours=19),
    )
    concert = entry(
        "event:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
        section="events",
        title="Christmas concert",
        summary="The Galaxie's choir.",
        why="On Tuesday at the Galaxie",
        planned_at=now + timedelta(days=3, hours=5),
        until=now + timedelta(days=3, hours=7),
    )
    entries = {"now_nearby": (offer, zoo), "today": (snow,), "stay": (walk,), "events": (concert,)}
    titles = SECTION_TITLES.get(language, SECTION_TITLES["en"])
    return RoadbookView(
        destination="amneville",
        timezone=PARIS,
        language=language,
        mode="personal",
        personalised=True,
        notice=None,
        title="Your roadbook — Amnéville-les-Thermes",
        generated_at=now,
        sections=tuple(
            Section(key=key, title=titles[key], entries=entries[key])
            for key in ("now_nearby", "today", "stay", "events")
        ),
        links=home,
        visits=(
            VisitEntry(
                id="visit:1",
                site="zoo",
                site_name="Zoo d'Amnéville",
                site_kind="zoo",
                first_seen_at=now - timedelta(minutes=40),
                last_seen_at=now - timedelta(minutes=1),
                dwell_s=39 * 60,
                open=True,
                position=Position(49.26, 6.14),
            ),
            VisitEntry(
                id="visit:2",
                site="thermapolis",
                site_name="Thermapolis",
                site_kind="spa",
                first_seen_at=now - timedelta(days=1, hours=3),
                last_seen_at=now - timedelta(days=1, hours=1),
                dwell_s=2 * 3600,
                open=False,
                position=Position(49.27, 6.15),
            ),
        ),
        wishes=("wellness", "family", "sport", "nature"),
    )


def editorial_view(base: str = "https://roadbook.example", token: str = "t" * 43) -> RoadbookView:
    """The same roadbook for a visitor without ``personalisation`` consent: no offer, a notice."""
    view = sample_view(base, token)
    sections = tuple(
        replace(s, entries=tuple(e for e in s.entries if not e.sponsored)) for s in view.sections
    )
    return replace(
        view,
        mode="editorial",
        personalised=False,
        notice="This is the office's roadbook: you have not asked for a personal one.",
        sections=sections,
        visits=(),
    )
