"""The catalogue's office pages (admin and marketing; docs/content.md § The office's pages).

- ``GET /office/catalogue`` — the items: search (title, slug), filters (kind, wish, a language
  missing from the title, source), 20 a page.
- ``GET|POST /office/catalogue/new`` — a new office item.
- ``GET|POST /office/catalogue/{item_id}`` — the edit form: four languages side by side,
  coordinates, image, wishes, contact, prices, accessibility, opening hours, publishing window.
  An imported item is edited through its overrides; the form shows what the flux says next to
  each overridden field.
- ``POST /office/catalogue/{item_id}/revert`` — back to the flux for one field.
- ``POST /office/catalogue/{item_id}/publication`` — publish or unpublish.

Every POST checks the form's CSRF token (a 403 page otherwise, nothing changed); every change
is audited (``crm.core.audit``: ``content.create``, ``content.update``, ``content.revert``,
``content.publish``, ``content.unpublish``, with the fields). A form with a bad field is shown
again with the message next to the field (422) and nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any, NamedTuple
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import String, cast, func, literal, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer
from sqlmodel import col

from crm.core import hooks
from crm.core.db import Database
from crm.core.deps import DbDep, SettingsDep
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.core.vocabulary import ACCESSIBILITY, LANGUAGE_NAMES, LANGUAGES, WISHES
from crm.office import forms
from crm.office.forms import EditorDep, PostedForm
from crm.office.language import negotiate
from crm.office.render import render_office_page
from crm.office.session import OfficeSession
from crm.visitors.pages import NEED_LABELS, WISH_LABELS
from roadbook.content import editing
from roadbook.content.catalogue import TEXT_FIELDS, attribution, effective, status
from roadbook.content.models import KINDS, SOURCES, ContentItem
from roadbook.content.text import localize
from roadbook.office.texts import DAY_NAMES, TEXTS, word, words

router = APIRouter(include_in_schema=False)
BLANK_RULES = 2  # empty hours rows under the others: rules are added without a script
LIST = "/office/catalogue"


PAGES = forms.RecordPages(TEXTS, LIST, max_fields=600)


# --- the list ---------------------------------------------------------------------------


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@router.get("/office/catalogue", response_class=HTMLResponse)
async def catalogue(
    request: Request,
    office: EditorDep,
    db: DbDep,
    q: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[str, Query(max_length=8)] = "",
    wish: Annotated[str, Query(max_length=16)] = "",
    missing: Annotated[str, Query(max_length=2)] = "",
    source: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The destination's items, searched and filtered, a page at a time."""
    language = negotiate(request)
    filters = {
        "q": q.strip(),
        "kind": kind if kind in KINDS else "",
        "wish": wish if wish in WISHES else "",
        "missing": missing if missing in LANGUAGES else "",
        "source": source if source in SOURCES else "",
    }
    overrides = col(ContentItem.overrides)
    conditions: list[Any] = [col(ContentItem.destination_id) == office.staff.destination_id]
    if filters["q"]:
        pattern = _like(filters["q"])
        conditions.append(
            or_(
                cast(col(ContentItem.title), String).ilike(pattern),
                cast(overrides["title"], String).ilike(pattern),
                col(ContentItem.slug).ilike(pattern),
            )
        )
    if filters["kind"]:
        conditions.append(col(ContentItem.kind) == filters["kind"])
    if filters["source"]:
        conditions.append(col(ContentItem.source) == filters["source"])
    if filters["wish"]:
        shown_wishes = func.coalesce(overrides["wishes"], col(ContentItem.wishes))
        conditions.append(
            shown_wishes.op("@>")(func.jsonb_build_array(cast(literal(filters["wish"]), String)))
        )
    if filters["missing"]:
        titles = col(ContentItem.title).op("||")(
            func.coalesce(overrides["title"], literal_column("'{}'::jsonb"))
        )
        text = titles.op("->>", return_type=String)(cast(literal(filters["missing"]), String))
        conditions.append(func.coalesce(text, "") == "")
    async with db.session(office.staff.destination_id) as session:
        total = await session.scalar(
            select(func.count()).select_from(ContentItem).where(*conditions)
        )
        pages = forms.page_count(total or 0, forms.PAGE_SIZE)
        page = min(page, pages)
        items = (
            (
                await session.execute(
                    select(ContentItem)
                    .options(defer(ContentItem.raw))  # type: ignore[arg-type]
                    .where(*conditions)
                    .order_by(col(ContentItem.slug))
                    .offset((page - 1) * forms.PAGE_SIZE)
                    .limit(forms.PAGE_SIZE)
                )
            )
            .scalars()
            .all()
        )
    now = utcnow()
    rows = []
    for item in items:
        shown = effective(item)
        title = localize(shown["title"], language)
        rows.append(
            {
                "id": item.id,
                "title": title.text or item.slug,
                "title_lang": title.language,
                "slug": item.slug,
                "kind": word(f"kind_{item.kind}", language),
                "languages": [lang for lang in LANGUAGES if shown["title"].get(lang)],
                "source": word(f"source_{item.source}", language),
                "status": status(item, now),
            }
        )

    return render_office_page(
        request,
        office,
        "roadbook/catalogue.html",
        {
            **TEXTS.context(language),
            **forms.list_context(LIST, filters, total or 0, page, pages),
            "rows": rows,
            "kinds": KINDS,
            # each filter's options: (value, label)
            "choices": {
                "kind": [(kind, word(f"kind_{kind}", language)) for kind in KINDS],
                "wish": [(slug, WISH_LABELS[slug][language]) for slug in WISHES],
                "missing": list(LANGUAGE_NAMES.items()),
                "source": [(source, word(f"source_{source}", language)) for source in SOURCES],
            },
            "language_names": LANGUAGE_NAMES,
        },
        title=word("catalogue", language),
    )


# --- the form ---------------------------------------------------------------------------


def _hours_text(hours: Mapping[str, Any], language: str) -> list[str]:
    lines = []
    for rule in hours.get("rules", []):
        row = editing.rule_row(rule)
        days = " ".join(DAY_NAMES[day][language] for day in row["days"]) or "*"
        span = f"{row['from'] or '…'} → {row['until'] or '…'}"
        times = (
            word("closed", language)
            if row["closed"]
            else f"{row['opens'] or '00:00'}-{row['closes'] or '24:00'}"
        )
        lines.append(f"{span} · {days} · {times}")
    return lines


def _period_text(period: Mapping[str, Any], language: str) -> str:
    row = editing.period_row(period)
    days = " ".join(DAY_NAMES[day][language] for day in row["days"])
    times = f"{row['start_time']}-{row['end_time']}" if row["start_time"] else ""
    return " · ".join(part for part in (f"{row['start']} → {row['end']}", days, times) if part)


def _price_text(price: Mapping[str, Any], language: str) -> str:
    """A price as the flux note says it: "11 → 15.5 EUR · Gratuit · remark"."""
    form = editing.price_form(price)
    amounts = " → ".join(dict.fromkeys(a for a in (form["price_min"], form["price_max"]) if a))
    remark = localize(price.get("remark") or {}, language).text
    parts = (
        f"{amounts} {form['price_currency']}" if amounts else "",
        word("price_free", language) if form["price_free"] else "",
        remark or "",
    )
    return " · ".join(part for part in parts if part)


def _flux(item: ContentItem | None, language: str) -> dict[str, Any]:
    """What the flux says, as the form shows it next to each overridden field."""
    if item is None:
        return {}
    shown: dict[str, Any] = {}
    for name, value in editing.overridden(item).items():
        if name in TEXT_FIELDS:
            edited = item.overrides.get(name) or {}
            shown[name] = {lang: value.get(lang, "") for lang in edited}
        elif name == "coordinates":
            shown[name] = f"{value['latitude']}, {value['longitude']}"
        elif name == "images":
            shown[name] = ", ".join(f"{i.get('url')} ({i.get('credit') or '-'})" for i in value)
        elif name == "wishes":
            shown[name] = ", ".join(WISH_LABELS[w][language] for w in value if w in WISH_LABELS)
        elif name == "contact":
            lines = editing.contact_form(value).values()
            shown[name] = " · ".join(entry for text in lines for entry in text.split("\n") if entry)
        elif name == "price":
            shown[name] = _price_text(value, language)
        elif name == "accessibility":
            shown[name] = ", ".join(
                NEED_LABELS[n][language] if n in NEED_LABELS else n for n in value
            )
        elif name == "opening_hours":
            shown[name] = "; ".join(_hours_text(value, language))
        elif name == "periods":
            shown[name] = "; ".join(_period_text(period, language) for period in value)
        else:
            shown[name] = str(value or "")
    return shown


def _render_form(
    request: Request,
    office: OfficeSession,
    item: ContentItem | None,
    values: Mapping[str, Any],
    problems: Mapping[str, editing.Problem] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = negotiate(request)
    title_text = localize(values["title"], language).text if item is not None else ""
    rules = [*values["rules"], *[editing.blank_rule_row() for _ in range(BLANK_RULES)]]
    periods = [*values["periods"], *[editing.period_row({}) for _ in range(BLANK_RULES)]]
    return forms.render_form_page(
        request,
        office,
        "roadbook/item.html",
        TEXTS,
        {
            "item": item,
            "f": values,
            "rules": rules,
            "periods": periods,
            "flux": _flux(item, language),
            "notice": notice,
            "action": f"{LIST}/{item.id}" if item is not None else f"{LIST}/new",
            "status": status(item, utcnow()) if item is not None else None,
            "credit": attribution(item, language) if item is not None else None,
            "item_languages": LANGUAGES,
            "kinds": KINDS,
            "subtypes": editing.SUBTYPES,
            "needs": [(slug, NEED_LABELS[slug][language]) for slug in ACCESSIBILITY],
        },
        title=title_text or word("new" if item is None else "edit", language),
        problems=problems,
        status_code=status_code,
    )


@router.get("/office/catalogue/new", response_class=HTMLResponse)
async def new_item(
    request: Request,
    office: EditorDep,
    kind: Annotated[str, Query(max_length=8)] = "place",
) -> HTMLResponse:
    """An empty form for a new office item."""
    return _render_form(
        request, office, None, editing.empty_form(kind if kind in KINDS else "place")
    )


@router.post("/office/catalogue/new", response_class=HTMLResponse)
async def create_item(
    request: Request, office: EditorDep, db: DbDep, settings: SettingsDep
) -> Response:
    """Create an office item from the form (shown again with messages when a field is bad)."""
    form = await PAGES.posted_form(request, office, settings)
    if isinstance(form, Response):
        return form
    zone = ZoneInfo(office.timezone)
    destination_id = office.staff.destination_id
    async with db.session(destination_id) as session:
        taken = frozenset((await session.execute(select(col(ContentItem.slug)))).scalars().all())
        edit, shown, problems = editing.parse(form, zone, None, taken)
        if edit is None:
            return _render_form(request, office, None, shown, problems, status_code=422)
        item = editing.create(destination_id, edit)
        session.add(item)
        await session.flush()
        await office.staff.audit(
            session, "content.create", None, item=str(item.id), slug=item.slug, kind=item.kind
        )
        await session.commit()
        item_id = item.id
    await hooks.run(hooks.CATALOGUE_CHANGED, destination_id)
    return RedirectResponse(f"{LIST}/{item_id}?done=created", status_code=303)


_NOTICES = {"created", "unchanged", "now_published", "now_unpublished"}


@router.get("/office/catalogue/{item_id}", response_class=HTMLResponse)
async def edit_item(
    request: Request,
    office: EditorDep,
    db: DbDep,
    item_id: uuid.UUID,
    done: Annotated[str, Query(max_length=32)] = "",
    fields: Annotated[str, Query(max_length=300)] = "",
) -> HTMLResponse:
    """The edit form of one item, as shown (the office's edits applied)."""
    language = negotiate(request)
    async with db.session(office.staff.destination_id) as session:
        item = await session.get(ContentItem, item_id)
    if item is None:
        return PAGES.not_found(request, office)
    notice = None
    if done in _NOTICES:
        notice = word(done, language)
    elif done == "saved" and fields:
        notice = word("saved", language, fields=", ".join(_field_names(fields, language)))
    elif done == "reverted" and fields in editing.FORM_FIELDS:
        notice = word("reverted", language, field=_field_names(fields, language)[0])
    return _render_form(
        request, office, item, editing.form_of(item, ZoneInfo(office.timezone)), notice=notice
    )


_FIELD_WORDS = {
    "coordinates": "where",
    "images": "image",
    "opening_hours": "hours",
    "periods": "periods",
    "published_from": "published_from",
    "published_until": "published_until",
}


def _field_names(fields: str, language: str) -> list[str]:
    names = []
    for name in fields.split(",")[:20]:
        key = _FIELD_WORDS.get(name, name)
        names.append(word(key, language) if key in words(language) else name)
    return names


class _Change(NamedTuple):
    """What a POST did to an item: the audit action, the fields it changed, the notice."""

    action: str
    fields: list[str]
    done: str


async def _change_item(
    request: Request,
    office: OfficeSession,
    db: Database,
    settings: Settings,
    item_id: uuid.UUID,
    change: Callable[[ContentItem, PostedForm], _Change | Response],
) -> Response:
    """A POST on one item: ``change`` applies the checked form to the item, then the change is
    recorded (``_recorded``); the 403 page for a bad form, the 404 page for no such item, or the
    response ``change`` gives instead of a change (the form again, with its messages)."""

    async def recorded(session: AsyncSession, item: ContentItem, form: PostedForm) -> Response:
        result = change(item, form)
        if isinstance(result, Response):
            return result
        return await _recorded(session, office, item, *result)

    return await PAGES.change(request, office, db, settings, ContentItem, item_id, recorded)


@router.post("/office/catalogue/{item_id}", response_class=HTMLResponse)
async def save_item(
    request: Request, office: EditorDep, db: DbDep, settings: SettingsDep, item_id: uuid.UUID
) -> Response:
    """Save the form: an office item's fields, an imported item's overrides; audited."""

    def save(item: ContentItem, form: PostedForm) -> _Change | Response:
        edit, shown, problems = editing.parse(form, ZoneInfo(office.timezone), item)
        if edit is None:
            return _render_form(request, office, item, shown, problems, status_code=422)
        return _Change("content.update", editing.apply(item, edit), "saved")

    return await _change_item(request, office, db, settings, item_id, save)


@router.post("/office/catalogue/{item_id}/revert", response_class=HTMLResponse)
async def revert_field(
    request: Request, office: EditorDep, db: DbDep, settings: SettingsDep, item_id: uuid.UUID
) -> Response:
    """Drop the office's version of one field of an imported item: the flux's shows again."""

    def revert(item: ContentItem, form: PostedForm) -> _Change:
        name = forms.first(form, "field")
        return _Change("content.revert", [name] if editing.revert(item, name) else [], "reverted")

    return await _change_item(request, office, db, settings, item_id, revert)


@router.post("/office/catalogue/{item_id}/publication", response_class=HTMLResponse)
async def publication(
    request: Request, office: EditorDep, db: DbDep, settings: SettingsDep, item_id: uuid.UUID
) -> Response:
    """Publish (``published=1``) or unpublish (``published=0``) an item; audited."""

    def publish(item: ContentItem, form: PostedForm) -> _Change:
        wanted = forms.first(form, "published") == "1"
        changed = [] if item.published == wanted else ["published"]
        item.published = wanted
        if wanted:
            return _Change("content.publish", changed, "now_published")
        return _Change("content.unpublish", changed, "now_unpublished")

    return await _change_item(request, office, db, settings, item_id, publish)


async def _recorded(
    session: AsyncSession,
    office: OfficeSession,
    item: ContentItem,
    action: str,
    fields: list[str],
    done: str,
) -> RedirectResponse:
    """After a change to ``item``'s ``fields``: stamp, audit and commit it, and send the editor
    back to the item saying ``done`` (or "unchanged", writing nothing, when no field changed)."""
    if not fields:
        return RedirectResponse(f"{LIST}/{item.id}?done=unchanged", status_code=303)
    item.updated_at = utcnow()
    await office.staff.audit(
        session, action, None, item=str(item.id), slug=item.slug, fields=fields
    )
    await session.commit()
    await hooks.run(hooks.CATALOGUE_CHANGED, item.destination_id)
    query = urlencode({"done": done, "fields": ",".join(fields)})
    return RedirectResponse(f"{LIST}/{item.id}?{query}", status_code=303)
