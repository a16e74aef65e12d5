"""A visitor's roadbook as every output shows it: the page, JSON Feed, iCalendar, JSON-LD, GeoJSON
and the widget all render one :class:`RoadbookView` (docs/roadbook-engine.md § Outputs).

The service (``roadbook.feeds.service``) builds it: the engine's ranked items, completed with
what the outputs need (summary, position, image, partner name, the click-through link, an offer's
redemption code) and the visitor's own visits. Renderers are pure functions of a view: they read
no database and no clock (``generated_at`` is the view's "now").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from roadbook.content.hours import Period
from roadbook.engine.inputs import Kind, Position
from roadbook.engine.profile import Mode
from roadbook.engine.sections import SectionKey

# The feed extension's documentation, served by every CRM (roadbook/feeds/about.md).
ABOUT_PATH = "/about/feed"


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    credit: str | None = None


@dataclass(frozen=True, slots=True)
class Redemption:
    """How the visitor redeems an offer at the counter: a single-use code (also as a QR code)."""

    code: str
    # "code" (read the code out), "qr" (scan it), "screen" (show the screen).
    kind: str
    # The QR code of ``code`` as an SVG document (segno), or ``None`` for the "screen" kind.
    qr_svg: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One suggested item (place, event, tour or partner offer)."""

    # "<kind>:<uuid>", stable across requests and outputs (the feed's item id).
    id: str
    kind: Kind
    section: SectionKey
    title: str
    # The language ``title`` is in (``None``: no text in any language, the slug is shown).
    title_language: str | None
    summary: str
    # One line in the view's language: why this item, here, now (the feed's ``_balise.why``).
    why: str
    # A partner offer: labelled ``label`` ("Partner offer") and ``sponsored`` in every output.
    sponsored: bool
    label: str | None
    partner: str | None
    position: Position | None
    # When the engine plans it (a place: now or when it opens; an event: its next occurrence).
    planned_at: datetime
    until: datetime | None
    # The click-through address ``/r/{token}/go/{id}`` (absolute), when the item has a website.
    link: str | None = None
    image: Image | None = None
    updated_at: datetime | None = None
    # A tour's line, in order (GeoJSON LineString); empty for the other kinds.
    route: tuple[Position, ...] = ()
    # A place's or event's site slug, if it is at a partner site.
    site: str | None = None
    redemption: Redemption | None = None
    # A catalogue item's stable slug (``crm content show SLUG``); ``None`` for an offer.
    slug: str | None = None
    # An event's dates as the catalogue gives them (the engine's ``Candidate.periods``).
    periods: tuple[Period, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    key: SectionKey
    title: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True, slots=True)
class VisitEntry:
    """One of the visitor's own visits (what the gateways saw), newest first."""

    # "visit:<uuid>" (the feed's item id).
    id: str
    site: str
    site_name: str
    site_kind: str
    first_seen_at: datetime
    last_seen_at: datetime
    dwell_s: int
    open: bool
    position: Position | None


@dataclass(frozen=True, slots=True)
class Links:
    """The view's absolute addresses (under the CRM's public URL)."""

    home: str
    feed: str
    calendar: str
    trip: str
    route: str
    events: str
    export: str
    about: str

    @classmethod
    def under(cls, base: str, token: str) -> Links:
        """The addresses of the roadbook of ``token`` under the CRM's public ``base`` URL."""
        home = f"{base.rstrip('/')}/r/{token}"
        return cls(
            home=home,
            feed=f"{home}/feed.json",
            calendar=f"{home}/roadbook.ics",
            trip=f"{home}/trip.jsonld",
            route=f"{home}/route.geojson",
            events=f"{home}/events",
            export=f"{home}/export.json",
            about=f"{base.rstrip('/')}{ABOUT_PATH}",
        )


@dataclass(frozen=True, slots=True)
class RoadbookView:
    destination: str
    # The destination's IANA time zone (iCalendar's TZID, the page's local times).
    timezone: str
    language: str
    mode: Mode
    # False: the editorial roadbook, and ``notice`` says so (with a link to change consent).
    personalised: bool
    notice: str | None
    title: str
    generated_at: datetime
    sections: tuple[Section, ...]
    # ``None`` in site mode (no visitor, no token).
    links: Links | None
    visits: tuple[VisitEntry, ...] = ()
    wishes: tuple[str, ...] = ()
    stay: tuple[date, date] | None = None
    # Site mode (the widget's ``site=``): the page's site slug.
    site: str | None = None

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(entry for section in self.sections for entry in section.entries)
