"""The office's offer pages (admin and marketing; docs/offers.md § The office's pages).

- ``GET /office/offers`` — the destination's offers, filtered by partner and status, 20 a page.
- ``GET|POST /office/offers/new`` — a new offer (a draft).
- ``GET|POST /office/offers/{offer_id}`` — the edit form: texts in four languages side by side,
  partner and sites, validity, weekly schedule, targeting, caps, quota, redemption kind, boost.
- ``POST /office/offers/{offer_id}/status`` — a move of the state machine
  (``partners.offers.states.TRANSITIONS``): submit, approve, return, pause, resume, end.

Every POST checks the form's CSRF token (a 403 page otherwise, nothing changed); every change is
audited (``crm.core.audit``: ``offer.create``, ``offer.update`` with the fields, ``offer.<action>``
with the statuses). A form with a bad field is shown again with the message next to the field
(422) and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core import hooks
from crm.core.db import Database
from crm.core.deps import DbDep, SettingsDep
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.core.vocabulary import LANGUAGES
from crm.destinations.models import Partner, Site
from crm.office import forms
from crm.office.forms import EditorDep, PostedForm
from crm.office.language import negotiate
from crm.office.render import render_office_page
from crm.office.session import OfficeSession
from partners.offers import service, states
from partners.offers.models import REDEMPTION_KINDS, STATUSES, TRIGGERS, Offer
from partners.office import form as offer_form
from partners.office.texts import TEXTS, word
from roadbook.content.text import localize

router = APIRouter(include_in_schema=False)
LIST = "/office/offers"
# A partner's id in a page's address (the list's filter, the new offer's partner).
PartnerQuery = Annotated[str, Query(max_length=36)]


PAGES = forms.RecordPages(TEXTS, LIST, max_fields=400)


async def _partners(session: AsyncSession) -> list[dict[str, Any]]:
    """The destination's partners (by name) and each one's sites (by name)."""
    partners = (await session.execute(select(Partner).order_by(col(Partner.name)))).scalars()
    sites = (
        await session.execute(
            select(Site).where(col(Site.partner_id).is_not(None)).order_by(col(Site.name))
        )
    ).scalars()
    by_partner: dict[uuid.UUID, list[dict[str, str]]] = {}
    for site in sites:
        assert site.partner_id is not None
        by_partner.setdefault(site.partner_id, []).append({"id": str(site.id), "name": site.name})
    return [
        {"id": str(partner.id), "name": partner.name, "sites": by_partner.get(partner.id, [])}
        for partner in partners
    ]


def _known(partner: str, partners: list[dict[str, Any]]) -> str:
    """``partner`` when it is the id of one of ``partners``, else "" (none chosen)."""
    return partner if partner in {p["id"] for p in partners} else ""


# --- the list ------------------------------------------------------------------------------------


@router.get("/office/offers", response_class=HTMLResponse)
async def offers(
    request: Request,
    office: EditorDep,
    db: DbDep,
    partner: PartnerQuery = "",
    status: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The destination's offers, filtered, a page at a time, with their redemptions."""
    language = negotiate(request)
    zone = ZoneInfo(office.timezone)
    async with db.session(office.staff.destination_id) as session:
        partners = await _partners(session)
        filters = {
            "partner": _known(partner, partners),
            "status": status if status in STATUSES else "",
        }
        conditions: list[Any] = [col(Offer.destination_id) == office.staff.destination_id]
        if filters["partner"]:
            conditions.append(col(Offer.partner_id) == uuid.UUID(filters["partner"]))
        if filters["status"]:
            conditions.append(col(Offer.status) == filters["status"])
        total = await session.scalar(select(func.count()).select_from(Offer).where(*conditions))
        pages = forms.page_count(total or 0, forms.PAGE_SIZE)
        page = min(page, pages)
        rows = await session.execute(
            service.with_redeemed()
            .where(*conditions)
            .order_by(col(Offer.valid_from).desc(), col(Offer.id))
            .offset((page - 1) * forms.PAGE_SIZE)
            .limit(forms.PAGE_SIZE)
        )
        listed = []
        for offer, partner_name, used in rows:
            title = localize(offer.title, language)
            listed.append(
                {
                    "id": offer.id,
                    "title": title.text,
                    "title_lang": title.language,
                    "partner": partner_name,
                    "status": offer.status,
                    "valid_from": offer.valid_from.astimezone(zone).strftime("%Y-%m-%d"),
                    "valid_until": offer.valid_until.astimezone(zone).strftime("%Y-%m-%d"),
                    "used": used,
                    "quota": offer.quota,
                }
            )

    return render_office_page(
        request,
        office,
        "partners/offers.html",
        {
            **TEXTS.context(language),
            **forms.list_context(LIST, filters, total or 0, page, pages),
            "rows": listed,
            "choices": {
                "partner": [(p["id"], p["name"]) for p in partners],
                "status": [(s, word(f"st_{s}", language)) for s in STATUSES],
            },
        },
        title=word("offers", language),
    )


# --- the form ------------------------------------------------------------------------------------


def _render_form(
    request: Request,
    office: OfficeSession,
    offer: Offer | None,
    values: Mapping[str, Any],
    partners: list[dict[str, Any]],
    problems: Mapping[str, service.Problem] | None = None,
    notice: str | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = negotiate(request)
    slots = [
        *values["slots"],
        *[offer_form.blank_slot() for _ in range(offer_form.BLANK_SLOTS)],
    ]
    title_text = localize(offer.title, language).text if offer is not None else ""
    moves = (
        [
            {"to": target, "action": action}
            for target, action in states.allowed(offer.status).items()
        ]
        if offer is not None
        else []
    )
    return forms.render_form_page(
        request,
        office,
        "partners/offer.html",
        TEXTS,
        {
            "offer": offer,
            "f": values,
            "slots": slots,
            "partners": partners,
            "notice": notice,
            "alert": alert,
            "action": f"{LIST}/{offer.id}" if offer is not None else f"{LIST}/new",
            "moves": moves,
            "languages_list": LANGUAGES,
            # the radio buttons' options: (value, label)
            "triggers": [(t, word(f"trigger_{t}", language)) for t in TRIGGERS],
            "kinds": [(k, word(f"kind_{k}", language)) for k in REDEMPTION_KINDS],
        },
        title=title_text or word("new", language),
        problems=problems,
        status_code=status_code,
    )


@router.get("/office/offers/new", response_class=HTMLResponse)
async def new_offer(
    request: Request,
    office: EditorDep,
    db: DbDep,
    partner: PartnerQuery = "",
) -> HTMLResponse:
    """An empty form for a new offer (of ``partner``, when given)."""
    async with db.session(office.staff.destination_id) as session:
        partners = await _partners(session)
    values = offer_form.empty_form(ZoneInfo(office.timezone), utcnow(), _known(partner, partners))
    return _render_form(request, office, None, values, partners)


@router.post("/office/offers/new", response_class=HTMLResponse)
async def create_offer(
    request: Request, office: EditorDep, db: DbDep, settings: SettingsDep
) -> Response:
    """Create a draft offer from the form (shown again with messages when a field is bad)."""
    form = await PAGES.posted_form(request, office, settings)
    if isinstance(form, Response):
        return form
    destination_id = office.staff.destination_id
    async with db.session(destination_id) as session:
        fields, shown, problems = offer_form.parse(form, ZoneInfo(office.timezone))
        problems = {**await service.check(session, destination_id, fields), **problems}
        if problems:
            partners = await _partners(session)
            return _render_form(request, office, None, shown, partners, problems, status_code=422)
        offer = await service.create_offer(session, destination_id, fields)
        await office.staff.audit(
            session, "offer.create", None, offer=str(offer.id), partner=str(offer.partner_id)
        )
        await session.commit()
        offer_id = offer.id
    await hooks.run(hooks.CATALOGUE_CHANGED, destination_id)
    return RedirectResponse(f"{LIST}/{offer_id}?done=created", status_code=303)


@router.get("/office/offers/{offer_id}", response_class=HTMLResponse)
async def edit_offer(
    request: Request,
    office: EditorDep,
    db: DbDep,
    offer_id: uuid.UUID,
    done: Annotated[str, Query(max_length=32)] = "",
    fields: Annotated[str, Query(max_length=400)] = "",
) -> HTMLResponse:
    """The edit form of one offer, and the moves its status allows."""
    language = negotiate(request)
    async with db.session(office.staff.destination_id) as session:
        offer = await session.get(Offer, offer_id)
        if offer is None:
            return PAGES.not_found(request, office)
        partners = await _partners(session)
    notice = None
    actions = {action for targets in states.TRANSITIONS.values() for action in targets.values()}
    if done in {"created", "unchanged"}:
        notice = word(done, language)
    elif done in actions:
        notice = word(f"done_{done}", language)
    elif done == "saved" and fields:
        names = [n for n in fields.split(",")[:30] if n in service.FIELDS]
        notice = word("saved", language, fields=", ".join(_field_label(n, language) for n in names))
    values = offer_form.form_of(offer, ZoneInfo(office.timezone))
    return _render_form(request, office, offer, values, partners, notice=notice)


_LABELS = {
    "partner_id": "partner",
    "site_ids": "where",
    "image": "image",
    "with_children": "children",
    "wishes": "targeting",
    "languages": "targeting",
}


def _field_label(name: str, language: str) -> str:
    key = _LABELS.get(name, name)
    label = word(key, language)
    return label.split(" (")[0]


async def _change_offer(
    request: Request,
    office: OfficeSession,
    db: Database,
    settings: Settings,
    offer_id: uuid.UUID,
    change: Callable[[AsyncSession, Offer, PostedForm], Awaitable[str | Response]],
) -> Response:
    """A POST on one offer: ``change`` applies the checked form to the offer, audits and commits,
    and gives the query of the notice to show; the 403 page for a bad form, the 404 page for no
    such offer, or the response ``change`` gives instead (the form again, "unchanged")."""
    done = await PAGES.change(request, office, db, settings, Offer, offer_id, change)
    if isinstance(done, Response):
        return done
    await hooks.run(hooks.CATALOGUE_CHANGED, office.staff.destination_id)
    return RedirectResponse(f"{LIST}/{offer_id}?{done}", status_code=303)


@router.post("/office/offers/{offer_id}", response_class=HTMLResponse)
async def save_offer(
    request: Request, office: EditorDep, db: DbDep, settings: SettingsDep, offer_id: uuid.UUID
) -> Response:
    """Save the form into the offer; audited with the fields that changed."""

    async def save(session: AsyncSession, offer: Offer, form: PostedForm) -> str | Response:
        fields, shown, problems = offer_form.parse(form, ZoneInfo(office.timezone), offer)
        try:
            if problems:
                raise service.OfferInvalid(problems)
            changed = await service.update_offer(session, offer, fields)
        except service.OfferInvalid as invalid:
            if "status" not in invalid.problems:
                checked = await service.check(session, office.staff.destination_id, fields)
                invalid.problems = {**checked, **invalid.problems}
            partners = await _partners(session)
            return _render_form(
                request,
                office,
                offer,
                shown,
                partners,
                invalid.problems,
                status_code=409 if "status" in invalid.problems else 422,
            )
        if not changed:
            return RedirectResponse(f"{LIST}/{offer.id}?done=unchanged", status_code=303)
        await office.staff.audit(session, "offer.update", None, offer=str(offer.id), fields=changed)
        await session.commit()
        return urlencode({"done": "saved", "fields": ",".join(changed)})

    return await _change_offer(request, office, db, settings, offer_id, save)


@router.post("/office/offers/{offer_id}/status", response_class=HTMLResponse)
async def change_status(
    request: Request, office: EditorDep, db: DbDep, settings: SettingsDep, offer_id: uuid.UUID
) -> Response:
    """Move the offer to the status ``to`` when the state machine allows it; audited."""

    async def move(session: AsyncSession, offer: Offer, form: PostedForm) -> str | Response:
        target = forms.first(form, "to")
        before = offer.status
        try:
            action = service.transition(offer, target, by=office.staff.actor)
        except states.TransitionRefused:
            language = negotiate(request)
            values = offer_form.form_of(offer, ZoneInfo(office.timezone))
            alert = word("refused_move", language, status=word(f"st_{before}", language))
            partners = await _partners(session)
            return _render_form(
                request, office, offer, values, partners, alert=alert, status_code=409
            )
        await office.staff.audit(
            session, f"offer.{action}", None, offer=str(offer.id), status_from=before, to=target
        )
        await session.commit()
        return urlencode({"done": action})

    return await _change_offer(request, office, db, settings, offer_id, move)
