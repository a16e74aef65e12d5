"""Single-use redemption codes (docs/offers.md § Redemption).

A visitor gets one code per offer (:func:`code_for`: issued the first time, the same code
afterwards, safe against two requests at once); the partner takes it once (:func:`redeem`).
Codes are 8 characters of an alphabet without look-alikes (no 0/O, 1/I/L), unique within the
destination, shown as ``ABCD-EFGH``; what a person types is read case-blind, with or without the
hyphen or spaces.

Redemptions are personal data (who took which offer when): in the visitor's export
(:func:`export`) and erased with them (:func:`erase`); a redeemed code outlives its visitor
anonymously (no ``visitor_id``) so that the offer's quota still counts it.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core.db import Read, on_driver
from crm.core.i18n import catalogue, translate
from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.ingest.schemas import rfc3339
from crm.visitors.models import Visitor
from partners.offers.models import CODE_LENGTH, Offer, Redemption
from partners.offers.service import runs_at

# No 0/O, 1/I/L: a code read aloud or off a small screen is typed right.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_TRIES = 8  # a new code after a collision (31^8 codes: a collision is already rare)

# Why a code is refused, by reason: redemption.toml, next to this file.
MESSAGES = catalogue(__name__)
REASONS: tuple[str, ...] = tuple(MESSAGES)


class RedemptionRefused(Exception):
    """A code that cannot be taken now: ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, redeemed_at: datetime | None = None) -> None:
        self.reason = reason
        self.redeemed_at = redeemed_at
        super().__init__(self.message("en"))

    def message(self, language: str) -> str:
        """The refusal in ``language`` (fr, en, de, nl)."""
        at = rfc3339(self.redeemed_at) if self.redeemed_at else ""
        return translate(MESSAGES, self.reason, language, at=at)


def new_code() -> str:
    """A random code of :data:`ALPHABET`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(typed: str) -> str | None:
    """The code a person typed (any case, hyphens and spaces ignored); None if it is not one."""
    code = "".join(typed.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def display(code: str) -> str:
    """A code as people read it: ``ABCD-EFGH``."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


async def _held(session: AsyncSession, offer_id: uuid.UUID, visitor_id: uuid.UUID) -> Any:
    return (
        await session.execute(
            select(Redemption).where(
                col(Redemption.offer_id) == offer_id, col(Redemption.visitor_id) == visitor_id
            )
        )
    ).scalar_one_or_none()


async def code_for(session: AsyncSession, offer: Offer, visitor_id: uuid.UUID) -> Redemption:
    """The visitor's redemption (code) for ``offer``: issued the first time, the same row after.

    Two requests at once get the same row (``INSERT ... ON CONFLICT DO NOTHING`` on the unique
    (offer, visitor), then a read). ValueError when ``visitor_id`` is not a visitor of the
    offer's destination. It does not judge the offer (status, validity, quota: :func:`redeem`
    does), nor commit.
    """
    for _ in range(_TRIES):
        held = await _held(session, offer.id, visitor_id)
        if held is not None:
            return held  # type: ignore[no-any-return]
        if not await _issue(session, [offer], visitor_id):
            visitor = await session.get(Visitor, visitor_id)
            if visitor is None or visitor.destination_id != offer.destination_id:
                raise ValueError(f"no visitor {visitor_id} in the offer's destination")
    raise RuntimeError("could not issue a redemption code")  # pragma: no cover - 8 collisions


async def codes_for(
    session: AsyncSession,
    offers: Sequence[Offer],
    visitor_id: uuid.UUID,
    held: Mapping[uuid.UUID, str] | None = None,
) -> dict[uuid.UUID, str]:
    """The code of :func:`code_for` of each offer, by offer id, in two statements at most (a
    roadbook shows a few offers on every request): the codes the visitor holds are read at once
    (:func:`held_read`), the missing ones issued at once (:func:`_issue`); :func:`code_for`
    takes what is still missing (a code that collided, a visitor of another destination). Only
    the codes are read (no ORM rows: this runs on every roadbook request that shows an offer).
    ``held``: the rows of :func:`held_read` as a dict, when the caller has read them in this
    transaction: then no statement runs unless a code is missing."""
    if not offers:
        return {}
    if held is None:
        held = dict(await on_driver(session, held_read(visitor_id)))
    found = {offer.id: held[offer.id] for offer in offers if offer.id in held}
    missing = [offer for offer in offers if offer.id not in found]
    if missing:
        found |= await _issue(session, missing, visitor_id)
        for offer in missing:
            if offer.id not in found:
                found[offer.id] = (await code_for(session, offer, visitor_id)).code
    return found


# New codes for some offers in one statement (a roadbook request's missing codes, or one for
# code_for), to the driver, in the session's transaction: it returns the codes it issued. One
# that conflicts (a code taken, or the same offer issued by a request at the same moment) or
# whose visitor is not of the offer's destination is not returned; :func:`code_for` sees to it.
_ISSUE_MANY = """
INSERT INTO redemption (destination_id, offer_id, visitor_id, code, issued_at)
SELECT v.destination_id, t.offer_id, v.id, t.code, %(at)s
FROM visitor AS v,
    unnest(%(offers)s::uuid[], %(destinations)s::uuid[], %(codes)s::text[])
        AS t(offer_id, destination_id, code)
WHERE v.id = %(visitor)s AND v.destination_id = t.destination_id
ON CONFLICT DO NOTHING
RETURNING offer_id, code
"""


async def _issue(
    session: AsyncSession, offers: Sequence[Offer], visitor_id: uuid.UUID
) -> dict[uuid.UUID, str]:
    """Issue a new code for each of ``offers``; the codes issued, by offer id."""
    issue = {
        "visitor": visitor_id,
        "offers": [offer.id for offer in offers],
        "destinations": [offer.destination_id for offer in offers],
        "codes": [new_code() for _ in offers],
        "at": utcnow(),
    }
    return dict(await on_driver(session, (_ISSUE_MANY, issue)))


# Every code a visitor holds (a handful: one per offer shown to them), by its index.
_HELD_BY = """
SELECT offer_id, code FROM redemption WHERE visitor_id = %(visitor)s
"""


def held_read(visitor_id: uuid.UUID) -> Read:
    """The statement reading every code the visitor holds (for crm.core.db.read_together): its
    rows, as a dict, are :func:`codes_for`'s ``held``."""
    return _HELD_BY, {"visitor": visitor_id}


async def redeem(
    session: AsyncSession,
    destination_id: uuid.UUID,
    code: str,
    by: str,
    at: datetime | None = None,
) -> Redemption:
    """Take the code ``code`` (as typed) once, at ``at`` (now), by ``by`` (who validates).

    RedemptionRefused (nothing written) when the code is unknown in the destination, already
    used, its offer not approved or not valid at ``at`` (validity, weekly hours in the
    destination's time zone), or its quota reached. The code's row and its offer's are locked
    until the caller commits, so two codes of an offer with one redemption left cannot both
    pass.
    """
    at = at or utcnow()
    normal = normalise(code)
    if normal is None:
        raise RedemptionRefused("unknown")
    found = (
        await session.execute(
            select(Redemption, Offer)
            .join(Offer, col(Offer.id) == col(Redemption.offer_id))
            .where(col(Redemption.destination_id) == destination_id, col(Redemption.code) == normal)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if found is None:
        raise RedemptionRefused("unknown")
    redemption, offer = found
    if redemption.redeemed_at is not None:
        raise RedemptionRefused("already_redeemed", redemption.redeemed_at)
    if offer.status != "approved":
        raise RedemptionRefused("not_approved")
    destination = await session.get(Destination, destination_id)
    zone = ZoneInfo(destination.timezone if destination else "Europe/Paris")
    if not runs_at(offer, at, zone):
        raise RedemptionRefused("not_valid_now")
    if offer.quota is not None:
        used = await session.scalar(
            select(func.count())
            .select_from(Redemption)
            .where(col(Redemption.offer_id) == offer.id, col(Redemption.redeemed_at).is_not(None))
        )
        if (used or 0) >= offer.quota:
            raise RedemptionRefused("quota_exhausted")
    redemption.redeemed_at = at
    redemption.redeemed_by = by[:128]
    await session.flush()
    return redemption


# --- the visitor's rights (crm.core.hooks VISITOR_EXPORT / VISITOR_ERASE) -------------------------


async def export(session: AsyncSession, visitor: Visitor) -> Mapping[str, Any]:
    """The visitor's codes, for their export (``visitor.export`` hook)."""
    rows = await session.execute(
        select(Redemption, col(Offer.title))
        .join(Offer, col(Offer.id) == col(Redemption.offer_id))
        .where(
            col(Redemption.destination_id) == visitor.destination_id,
            col(Redemption.visitor_id) == visitor.id,
        )
        .order_by(col(Redemption.issued_at), col(Redemption.id))
    )
    return {
        "redemptions": [
            {
                "offer": f"offer:{redemption.offer_id}",
                "offer_title": title,
                "code": display(redemption.code),
                "issued_at": rfc3339(redemption.issued_at),
                "redeemed_at": rfc3339(redemption.redeemed_at) if redemption.redeemed_at else None,
            }
            for redemption, title in rows
        ]
    }


async def erase(
    session: AsyncSession, destination_id: uuid.UUID, visitor_ids: Sequence[uuid.UUID]
) -> None:
    """Forget the visitors' codes (``visitor.erase`` hook; idempotent): unused ones are deleted;
    used ones lose their visitor, so that the offer's quota still counts them."""
    ids = list(visitor_ids)
    mine = (col(Redemption.destination_id) == destination_id, col(Redemption.visitor_id).in_(ids))
    await session.execute(delete(Redemption).where(*mine, col(Redemption.redeemed_at).is_(None)))
    await session.execute(update(Redemption).where(*mine).values(visitor_id=None))
