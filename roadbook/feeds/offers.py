"""The partners' live offers as engine candidates, and their redemption codes in the view
(docs/roadbook-engine.md § Service; the offers themselves: docs/offers.md).

``partners`` owns offers and redemptions; the roadbook reads them through
``partners.offers.service.live_offers`` and ``partners.offers.redemption``'s ``held_read`` (in
the service's reads) and ``codes_for`` only.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from partners.offers import redemption
from partners.offers.models import Offer
from partners.offers.service import LiveOffer, live_offers
from roadbook.content.hours import Schedule
from roadbook.engine.inputs import Candidate, Caps, OfferTerms, Targeting
from roadbook.feeds.details import Details, SiteInfo, first_image
from roadbook.feeds.qr import qr_svg
from roadbook.feeds.view import Redemption, Section


@dataclass(frozen=True, slots=True)
class LiveCandidates:
    candidates: list[Candidate]
    details: dict[str, Details]
    # partner id → name, for the "partner offer" line.
    partners: dict[str, str]
    # item id ("offer:<uuid>") → the offer's row, for its redemption code.
    rows: dict[str, Offer]


def offer_candidate(live: LiveOffer, sites: Mapping[str, SiteInfo]) -> tuple[Candidate, Details]:
    """The engine's view of an approved offer (at its first site that has a position)."""
    offer = live.offer
    site_ids = [str(site) for site in offer.site_ids]
    placed = [site for site in site_ids if site in sites and sites[site].position is not None]
    site_id = placed[0] if placed else (site_ids[0] if site_ids else None)
    site = sites.get(site_id) if site_id else None
    schedule = Schedule.model_validate(offer.schedule or {})
    candidate = Candidate(
        id=f"offer:{offer.id}",
        kind="offer",
        title=offer.title,
        site_id=site_id,
        partner_id=str(offer.partner_id),
        wishes=frozenset(offer.wishes),
        position=site.position if site else None,
        boost=offer.boost,
        updated_at=offer.updated_at,
        offer=OfferTerms(
            valid_from=offer.valid_from,
            valid_until=offer.valid_until,
            schedule=schedule if schedule.rules else None,
            targeting=Targeting(
                wishes=frozenset(offer.wishes),
                with_children=offer.with_children,
                languages=frozenset(offer.languages),
                trigger=offer.trigger,  # type: ignore[arg-type]
            ),
            caps=Caps(
                per_day=offer.cap_per_day,
                total=offer.cap_total,
                min_interval=timedelta(minutes=offer.cap_min_interval_min)
                if offer.cap_min_interval_min is not None
                else None,
            ),
            quota_remaining=live.quota_remaining,
        ),
    )
    details = Details(
        summary=offer.summary,
        image=first_image([offer.image] if offer.image else []),
        url=offer.url,
        site=site.slug if site else None,
    )
    return candidate, details


async def live(
    session: AsyncSession, destination_id: uuid.UUID, now: datetime, sites: Mapping[str, SiteInfo]
) -> LiveCandidates:
    """The destination's approved offers valid at ``now``, as candidates."""
    candidates: list[Candidate] = []
    details: dict[str, Details] = {}
    partners: dict[str, str] = {}
    rows: dict[str, Offer] = {}
    for offer in await live_offers(session, destination_id, now):
        candidate, shown = offer_candidate(offer, sites)
        candidates.append(candidate)
        details[candidate.id] = shown
        partners[str(offer.offer.partner_id)] = offer.partner_name
        rows[candidate.id] = offer.offer
    return LiveCandidates(candidates, details, partners, rows)


def _redemption(offer: Offer, code: str) -> Redemption:
    """The code as people read it (``ABCD-EFGH``), drawn as a QR code for the "qr" kind."""
    shown = redemption.display(code)
    qr = qr_svg(shown) if offer.redemption_kind == "qr" else None
    return Redemption(code=shown, kind=offer.redemption_kind, qr_svg=qr)


async def with_redemptions(
    session: AsyncSession,
    sections: Sequence[Section],
    visitor_id: uuid.UUID,
    offers: Mapping[str, Offer],
    held: Mapping[uuid.UUID, str] | None = None,
) -> tuple[Section, ...]:
    """The sections with each shown offer's single-use code for this visitor (issued once);
    ``offers`` are the shelf's rows of the live offers, by item id; ``held``: the codes the
    visitor holds, when read already (partners.offers.redemption.held_read)."""
    shown = [
        offers[entry.id]
        for section in sections
        for entry in section.entries
        if entry.kind == "offer" and entry.id in offers
    ]
    if not shown:
        return tuple(sections)
    codes = await redemption.codes_for(session, shown, visitor_id, held)
    completed = []
    for section in sections:
        entries = []
        for entry in section.entries:
            offer = offers.get(entry.id) if entry.kind == "offer" else None
            if offer is not None:
                entry = replace(entry, redemption=_redemption(offer, codes[offer.id]))
            entries.append(entry)
        completed.append(replace(section, entries=tuple(entries)))
    return tuple(completed)
