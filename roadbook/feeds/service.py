"""The roadbook service: database → engine inputs → engine → :class:`RoadbookView`
(docs/roadbook-engine.md § Service).

The engine (``roadbook.engine``) is pure; this module loads what it reads — the catalogue and the
partners' live offers (candidates), the visitor's consent, stay, visits and exposures (context),
the partners' recent exposure (fairness) — and completes its ranked items with what the outputs
show. It records what it showed (``roadbook.exposures``), which the caller commits.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.db import read_together
from crm.core.i18n import supported
from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.core.vocabulary import LANGUAGES, PERSONALISATION
from crm.destinations.models import Site
from crm.visitors import service as visitors
from crm.visitors.models import Visitor
from crm.visits.service import LatestVisit, latest_of, latest_read
from partners.offers import redemption
from roadbook.content.text import localize
from roadbook.covisitation import job as covisitation
from roadbook.engine import pipeline
from roadbook.engine.inputs import Candidate, DestinationPolicy, SiteAt, VisitorContext
from roadbook.engine.output import Item, Roadbook
from roadbook.exposures import service as exposures
from roadbook.feeds import offers as partner_offers
from roadbook.feeds.candidates import CACHE, Opener, Shelf
from roadbook.feeds.details import Details
from roadbook.feeds.view import Entry, Links, RoadbookView, Section, VisitEntry
from roadbook.i18n import message

MAX_VISITS = 50
# With no stay known (or the stay over), the roadbook plans today and tomorrow.
DEFAULT_STAY_DAYS = 2


def _policy(destination: Destination) -> DestinationPolicy:
    return DestinationPolicy(zone=ZoneInfo(destination.timezone))


def named(name: str) -> dict[str, str]:
    """A site's name (one text, whatever the language) as the engine's language map."""
    return dict.fromkeys(LANGUAGES, name)


def stay_window(
    stay_start: date | None, stay_end: date | None, now: datetime, zone: tzinfo
) -> tuple[datetime, datetime]:
    """The stay as local midnights: from its first day to the end of its last day. Without a
    stay, or once it is over, today and tomorrow."""
    today = now.astimezone(zone).date()
    if stay_start is None or stay_end is None or stay_end < today:
        stay_start, stay_end = today, today + timedelta(days=DEFAULT_STAY_DAYS - 1)
    first = datetime.combine(stay_start, time(), tzinfo=zone)
    last = datetime.combine(stay_end + timedelta(days=1), time(), tzinfo=zone)
    return first, last


class _Reads(NamedTuple):
    """What a roadbook request reads of its visitor, in one round trip (:func:`_read`)."""

    personal: bool
    visits: list[LatestVisit]
    history: exposures.History
    codes: dict[uuid.UUID, str]


async def _read(session: AsyncSession, visitor_id: uuid.UUID, now: datetime) -> _Reads:
    """The visitor's personalisation consent, latest visits, exposures and held codes, sent
    together (crm.core.db.read_together): each domain's statement for the driver, in the
    session's transaction and so under its role and tenant (RLS) like any statement, with less
    CPU than SQLAlchemy's execution and result machinery, on every roadbook request."""
    consents, visits, shown, codes = await read_together(
        session,
        [
            visitors.scope_ledger_read(visitor_id, PERSONALISATION),
            latest_read(visitor_id, MAX_VISITS),
            exposures.history_read(visitor_id, now),
            redemption.held_read(visitor_id),
        ],
    )
    return _Reads(
        visitors.scope_granted(consents, PERSONALISATION),
        latest_of(visits),
        exposures.history_of(shown, now),
        dict(codes),
    )


def _site_at(visit: LatestVisit, shelf: Shelf) -> SiteAt | None:
    info = shelf.sites.get(str(visit.site_id))
    if info is None or info.position is None:
        return None
    return SiteAt(str(visit.site_id), info.position, named(info.name), visit.closed_at is None)


def _visit_entry(visit: LatestVisit, shelf: Shelf) -> VisitEntry:
    info = shelf.sites.get(str(visit.site_id))
    return VisitEntry(
        id=f"visit:{visit.id}",
        site=visit.slug,
        site_name=visit.name,
        site_kind=visit.kind,
        first_seen_at=visit.first_seen_at,
        last_seen_at=visit.last_seen_at,
        dwell_s=visit.dwell_s,
        open=visit.closed_at is None,
        position=info.position if info else None,
    )


def _entry(
    item: Item, candidate: Candidate, details: Details, link: str | None, partner: str | None
) -> Entry:
    return Entry(
        id=item.id,
        kind=item.kind,
        section=item.section,
        title=item.title or item.id,
        title_language=item.title_language,
        summary=localize(details.summary, item.reason_language).text,
        why=item.reason,
        sponsored=item.commercial,
        label=item.label,
        partner=partner,
        position=candidate.position,
        planned_at=item.planned_at,
        until=item.until,
        link=link,
        image=details.image,
        route=details.route,
        site=details.site,
        slug=details.slug,
        periods=candidate.periods,
    )


def _sections(roadbook: Roadbook, shelf: Shelf, go: str | None) -> tuple[Section, ...]:
    """The engine's sections as the view's, each item completed with its details."""
    sections = []
    for section in roadbook.sections:
        entries = []
        for item in section.items:
            details = shelf.details[item.id]
            link = details.url if go is None or details.url is None else f"{go}/{item.id}"
            partner = shelf.partners.get(item.partner_id or "") if item.commercial else None
            entries.append(_entry(item, shelf.by_id[item.id], details, link, partner))
        sections.append(Section(section.key, section.title, tuple(entries)))
    return tuple(sections)


async def visitor_view(
    session: AsyncSession,
    visitor: Visitor,
    *,
    links: Links,
    language: str | None = None,
    now: datetime | None = None,
    refresh: Opener | None = None,
    destination: Destination | None = None,
) -> RoadbookView:
    """The visitor's roadbook: personal with ``personalisation`` consent, else editorial (and
    the view says so). Records the exposures of what it shows (the caller commits).

    ``refresh`` opens a session of the visitor's destination: with it, a stale shelf is served
    while a background task reloads it (roadbook.feeds.candidates.ShelfCache). ``destination``
    is the visitor's, when the caller has read it already (with the token: one statement
    less); else it is read here."""
    now = now or utcnow()
    if destination is None:
        destination = await session.get(Destination, visitor.destination_id)
    assert destination is not None
    assert destination.id == visitor.destination_id
    policy = _policy(destination)
    language = supported(language or visitor.language)
    shelf = await CACHE.get(session, destination.id, now, refresh)
    personal, visits, history, codes = await _read(session, visitor.id, now)
    today = now.astimezone(policy.zone).date()
    latest_today = [
        visit for visit in visits if visit.last_seen_at.astimezone(policy.zone).date() == today
    ]
    stay_start, stay_end = stay_window(visitor.stay_start, visitor.stay_end, now, policy.zone)
    context = VisitorContext(
        language=language,
        now=now,
        stay_start=stay_start,
        stay_end=stay_end,
        personalisation=personal,
        wishes=frozenset(visitor.wishes),
        with_children=visitor.children > 0,
        site=_site_at(latest_today[0], shelf) if latest_today else None,
        visited_today=frozenset(str(visit.site_id) for visit in latest_today),
        exposures=history.for_caps,
    )
    fairness = await exposures.partner_exposure(session, destination.id, now)
    pairs = await covisitation.scores(session, destination.id)
    roadbook = pipeline.build_roadbook(
        shelf.shortlist(context, policy, pairs),
        context,
        policy,
        covisitation=pairs,
        partner_exposure=fairness,
        planner=shelf.planner,
    )
    sections = _sections(roadbook, shelf, f"{links.home}/go")
    sections = await partner_offers.with_redemptions(
        session, sections, visitor.id, shelf.offers, codes
    )
    await exposures.record(session, visitor, roadbook.items, history, now)
    return RoadbookView(
        destination=destination.name,
        timezone=destination.timezone,
        language=language,
        mode=roadbook.mode,
        personalised=roadbook.personalised,
        notice=roadbook.notice,
        title=message("roadbook_title", language, destination=destination.name),
        generated_at=now,
        sections=sections,
        links=links,
        visits=tuple(_visit_entry(visit, shelf) for visit in visits),
        wishes=tuple(visitor.wishes) if personal else (),
        stay=(visitor.stay_start, visitor.stay_end)
        if visitor.stay_start and visitor.stay_end
        else None,
    )


async def link_of(
    session: AsyncSession,
    destination_id: uuid.UUID,
    item_id: str,
    now: datetime | None = None,
    refresh: Opener | None = None,
) -> tuple[str, str | None] | None:
    """Where ``/r/{token}/go/{item_id}`` leads: the item's website and its partner (or None
    for an unknown item or one without a website: no open redirect)."""
    now = now or utcnow()
    destination = await session.get(Destination, destination_id)
    assert destination is not None
    shelf = await CACHE.get(session, destination.id, now, refresh)
    details, candidate = shelf.details.get(item_id), shelf.by_id.get(item_id)
    if details is None or details.url is None or candidate is None:
        return None
    return details.url, candidate.partner_id


async def site_view(
    session: AsyncSession,
    destination: Destination,
    site: Site,
    language: str,
    now: datetime | None = None,
    refresh: Opener | None = None,
) -> RoadbookView:
    """The widget's anonymous roadbook for a page about ``site``: what to do near it today
    (for a site without coordinates, the destination's picks for today: nothing is "near")."""
    now = now or utcnow()
    policy = _policy(destination)
    language = supported(language, destination.default_language)
    shelf = await CACHE.get(session, destination.id, now, refresh)
    info = shelf.sites.get(str(site.id))
    pairs = await covisitation.scores(session, destination.id)
    if info is not None and info.position is not None:
        here = SiteAt(str(site.id), info.position, named(site.name))
        context = pipeline.site_context(here, now, language, policy)
    else:
        context = pipeline.site_context(None, now, language, policy)
    roadbook = pipeline.build_roadbook(
        shelf.shortlist(context, policy, pairs),
        context,
        policy,
        covisitation=pairs,
        planner=shelf.planner,
    )
    return RoadbookView(
        destination=destination.name,
        timezone=destination.timezone,
        language=language,
        mode=roadbook.mode,
        personalised=False,
        notice=None,
        title=message("site_title", language, site=site.name),
        generated_at=now,
        sections=_sections(roadbook, shelf, None),
        links=None,
        site=site.slug,
    )
