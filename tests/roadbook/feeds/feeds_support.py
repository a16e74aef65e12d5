"""Roadbook views built by hand for the renderers' tests, and a hypothesis strategy of views.

``sample_view`` holds one entry of every kind in every section, a tour with its route, a
partner offer whose text is hostile HTML and which carries a redemption code, and two visits
(one today, one two days ago). The strategy ``views`` draws any view: titles and texts of any
Unicode, with ``<script>``, commas, semicolons, backslashes and line breaks.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pyld import jsonld

from roadbook.content.hours import Period
from roadbook.engine.inputs import KINDS, Position
from roadbook.engine.sections import SECTIONS
from roadbook.feeds.view import (
    Entry,
    Image,
    Links,
    Redemption,
    RoadbookView,
    Section,
    VisitEntry,
)

HERE = Path(__file__).parent
PUBLIC = "https://roadbook.example"
TOKEN = "T0ken-abc_123"
PARIS = "Europe/Paris"
# 10:00 in Paris on 14 July 2026 (summer time, UTC+2).
NOW = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
HOSTILE = '<img src=x onerror=alert(1)> <script>alert("x")</script>'
SECTION_TITLES = {
    "now_nearby": "Now, nearby",
    "today": "Today",
    "stay": "During your stay",
    "events": "Events",
}


def load_schema(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((HERE / name).read_text(encoding="utf-8"))
    return document


def validated(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """``document`` after a round trip through JSON text, checked against ``schema``."""
    parsed: dict[str, Any] = json.loads(json.dumps(document))
    Draft202012Validator(schema).validate(parsed)
    return parsed


SCHEMA = "http://schema.org/"
# The part of the schema.org context the trip uses (its @vocab, the terms typed as IRIs or
# dates), served in place of https://schema.org: no network here.
CONTEXT = load_schema("schemaorg-context.jsonld")


def load_document(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url.rstrip("/") != "https://schema.org":
        raise AssertionError(f"the document asked for {url}: only schema.org is served")
    return {"contextUrl": None, "documentUrl": url, "document": CONTEXT}


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    dropped: list[str | None] = []
    expanded: list[dict[str, Any]] = jsonld.expand(
        json.loads(json.dumps(document)),
        {"documentLoader": load_document},
        on_property_dropped=dropped.append,
    )
    assert dropped == []
    return expanded


def one(node: dict[str, Any], term: str) -> Any:
    values = node[SCHEMA + term]
    assert len(values) == 1, (term, values)
    return values[0]


def value(node: dict[str, Any], term: str) -> Any:
    return one(node, term)["@value"]


def links(token: str = TOKEN) -> Links:
    return Links.under(PUBLIC, token)


def go(item_id: str, token: str = TOKEN) -> str:
    return f"{PUBLIC}/r/{token}/go/{item_id}"


def entry(item_id: str, **fields: Any) -> Entry:
    """An entry with plain defaults (a place in "today", planned at ``NOW``)."""
    kind = fields.pop("kind", item_id.split(":", 1)[0])
    values: dict[str, Any] = {
        "id": item_id,
        "kind": kind,
        "section": "today",
        "title": f"Title of {item_id}",
        "title_language": "en",
        "summary": f"Summary of {item_id}",
        "why": f"Why {item_id}",
        "sponsored": False,
        "label": None,
        "partner": None,
        "position": Position(49.26, 6.14),
        "planned_at": NOW,
        "until": None,
    }
    values.update(fields)
    return Entry(**values)


SPA = entry(
    "place:11111111-1111-4111-8111-111111111111",
    section="now_nearby",
    title="Les Thermes, bains; spa",
    summary="Eau chaude\nà 36 °C, sauna; hammam",
    why="You asked for wellness; 600 m from the zoo; open until 22:00",
    title_language="fr",
    position=Position(49.2611, 6.1432),
    link=go("place:11111111-1111-4111-8111-111111111111"),
    image=Image("https://img.example/spa.jpg", credit="Office de tourisme"),
    updated_at=datetime(2026, 7, 1, 9, 30, tzinfo=UTC),
    slug="les-thermes",
    site="spa",
)
CONCERT = entry(
    "event:22222222-2222-4222-8222-222222222222",
    section="events",
    title="Concert",
    summary="Jazz, blues & more",
    why="Tonight at 20:00",
    position=Position(49.25, 6.15),
    # 20:00-22:30 in Paris.
    planned_at=datetime(2026, 7, 14, 18, 0, tzinfo=UTC),
    until=datetime(2026, 7, 14, 20, 30, tzinfo=UTC),
    link=go("event:22222222-2222-4222-8222-222222222222"),
    slug="concert",
    periods=(
        Period(start=date(2026, 7, 14), end=date(2026, 7, 16), start_time="20:00", days=("tue",)),
    ),
)
WALK = entry(
    "tour:33333333-3333-4333-8333-333333333333",
    section="stay",
    title="Forest walk",
    summary="Two hours under the beeches",
    why="You asked for nature",
    position=Position(49.3, 6.2),
    planned_at=datetime(2026, 7, 15, 7, 0, tzinfo=UTC),
    until=datetime(2026, 7, 15, 9, 0, tzinfo=UTC),
    route=(Position(49.3, 6.2), Position(49.31, 6.21), Position(49.32, 6.19)),
    slug="forest-walk",
)
OFFER = entry(
    "offer:44444444-4444-4444-8444-444444444444",
    section="today",
    title=f"Ice cream {HOSTILE}",
    summary=f"Two scoops for one {HOSTILE}",
    why="Partner offer near you; valid until 14 July",
    sponsored=True,
    label="Partner offer",
    partner=f"Glacier {HOSTILE}",
    position=Position(49.262, 6.144),
    planned_at=datetime(2026, 7, 14, 8, 30, tzinfo=UTC),
    until=datetime(2026, 7, 14, 21, 59, tzinfo=UTC),
    link=go("offer:44444444-4444-4444-8444-444444444444"),
    redemption=Redemption(code="K7QX-42", kind="qr", qr_svg="<svg/>"),
)
MUSEUM = entry(
    "place:55555555-5555-4555-8555-555555555555",
    section="stay",
    title="Museum",
    summary="",
    why="Open tomorrow from 09:00",
    position=None,
    planned_at=datetime(2026, 7, 15, 7, 0, tzinfo=UTC),
    slug="museum",
)
VISIT_TODAY = VisitEntry(
    id="visit:66666666-6666-4666-8666-666666666666",
    site="zoo",
    site_name="Zoo d'Amnéville",
    site_kind="zoo",
    first_seen_at=datetime(2026, 7, 14, 6, 30, tzinfo=UTC),
    last_seen_at=datetime(2026, 7, 14, 7, 45, tzinfo=UTC),
    dwell_s=75 * 60,
    open=True,
    position=Position(49.27, 6.13),
)
VISIT_BEFORE = VisitEntry(
    id="visit:77777777-7777-4777-8777-777777777777",
    site="spa",
    site_name="Les Thermes",
    site_kind="spa",
    first_seen_at=datetime(2026, 7, 12, 10, 0, tzinfo=UTC),
    last_seen_at=datetime(2026, 7, 12, 11, 35, tzinfo=UTC),
    dwell_s=95 * 60,
    open=False,
    position=Position(49.2611, 6.1432),
)


def sections(*entries: Entry) -> tuple[Section, ...]:
    """The entries grouped in the engine's section order (empty sections left out)."""
    return tuple(
        Section(key, SECTION_TITLES[key], tuple(e for e in entries if e.section == key))
        for key in SECTIONS
        if any(e.section == key for e in entries)
    )


def sample_view(**fields: Any) -> RoadbookView:
    values: dict[str, Any] = {
        "destination": "amneville",
        "timezone": PARIS,
        "language": "en",
        "mode": "personal",
        "personalised": True,
        "notice": None,
        "title": "Your roadbook — Amnéville",
        "generated_at": NOW,
        "sections": sections(SPA, OFFER, WALK, MUSEUM, CONCERT),
        "links": links(),
        "visits": (VISIT_TODAY, VISIT_BEFORE),
        "wishes": ("wellness", "nature"),
        "stay": (date(2026, 7, 13), date(2026, 7, 18)),
    }
    values.update(fields)
    return RoadbookView(**values)


def site_view(**fields: Any) -> RoadbookView:
    """The widget's anonymous site mode: no links, no visits, no wishes, no stay."""
    plain = [
        entry(
            e.id,
            kind=e.kind,
            section=e.section,
            title=e.title,
            why=e.why,
            position=e.position,
            planned_at=e.planned_at,
            until=e.until,
            route=e.route,
            sponsored=e.sponsored,
            label=e.label,
            partner=e.partner,
        )
        for e in (SPA, OFFER, WALK, CONCERT)
    ]
    values: dict[str, Any] = {
        "destination": "amneville",
        "timezone": PARIS,
        "language": "de",
        "mode": "site",
        "personalised": False,
        "notice": None,
        "title": "In der Nähe",
        "generated_at": NOW,
        "sections": sections(*plain),
        "links": None,
        "site": "zoo",
    }
    values.update(fields)
    return RoadbookView(**values)


# Any text a catalogue or a partner may hold (no lone surrogate: it cannot be UTF-8), mixed with
# the characters each format must escape.
texts = st.text(
    alphabet=st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from([",", ";", "\\", "\n", "\r", "\t", "\u2028", ":", '"', "<", ">", "&", "'"]),
    ),
    max_size=60,
) | st.sampled_from([HOSTILE, "a,b;c\\d\ne", "</script><script>alert(1)</script>", ""])
zones = st.sampled_from([PARIS, "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Auckland"])
moments = st.datetimes(
    min_value=datetime(2020, 1, 1),
    max_value=datetime(2035, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)
durations = st.integers(0, 600).map(lambda minutes: timedelta(minutes=minutes))
KINDS_OF_CODE = ["code", "qr", "screen"]
positions = st.builds(
    Position,
    lat=st.floats(min_value=-90, max_value=90, allow_nan=False),
    lon=st.floats(min_value=-180, max_value=180, allow_nan=False),
)


@st.composite
def entries(draw: st.DrawFn, index: int) -> Entry:
    kind = draw(st.sampled_from(KINDS))
    item_id = f"{kind}:{index:08d}-0000-4000-8000-000000000000"
    planned_at = draw(moments)
    offer = kind == "offer"
    return Entry(
        id=item_id,
        kind=kind,
        section=draw(st.sampled_from(SECTIONS)),
        title=draw(texts),
        title_language=draw(st.sampled_from(["fr", "en", "de", "nl", None])),
        summary=draw(texts),
        why=draw(texts),
        sponsored=offer,
        label=draw(texts) if offer else None,
        partner=draw(texts) if offer else None,
        position=draw(st.none() | positions),
        planned_at=planned_at,
        until=draw(st.none() | durations.map(planned_at.__add__)),
        link=draw(st.none() | st.just(go(item_id))),
        route=tuple(draw(st.lists(positions, max_size=4))) if kind == "tour" else (),
        redemption=(
            draw(st.none() | st.builds(Redemption, code=texts, kind=st.sampled_from(KINDS_OF_CODE)))
            if offer
            else None
        ),
    )


@st.composite
def views(draw: st.DrawFn) -> RoadbookView:
    count = draw(st.integers(0, 6))
    drawn = [draw(entries(index)) for index in range(count)]
    personal = draw(st.booleans())
    visits = tuple(
        VisitEntry(
            id=f"visit:{index:08d}-1111-4111-8111-111111111111",
            site=f"site-{index}",
            site_name=draw(texts),
            site_kind="spa",
            first_seen_at=(first := draw(moments)),
            last_seen_at=first + timedelta(seconds=draw(st.integers(0, 36_000))),
            dwell_s=draw(st.integers(0, 36_000)),
            open=draw(st.booleans()),
            position=draw(st.none() | positions),
        )
        for index in range(draw(st.integers(0, 3)) if personal else 0)
    )
    return RoadbookView(
        destination="anywhere",
        timezone=draw(zones),
        language=draw(st.sampled_from(["fr", "en", "de", "nl"])),
        mode="personal" if personal else "site",
        personalised=personal,
        notice=draw(st.none() | texts),
        title=draw(texts),
        generated_at=draw(moments),
        sections=sections(*drawn),
        links=links() if personal else None,
        visits=visits,
        wishes=("culture",) if personal else (),
        stay=(date(2026, 7, 13), date(2026, 7, 18)) if personal else None,
    )
