"""The self-enrolment page (QR code at a site, or a desk tablet): server-rendered, fr/en/de/nl.

``GET /enrol/{destination}?lang=de`` shows the form with the notice; ``POST`` the same address
enrols and shows the roadbook link once. Bad input re-renders the form (422) with a message
next to each field, in the visitor's language, with what they entered kept — and writes nothing.
Passes are not handed out here (a static UID can be read by anyone's scanner, so binding one to
a profile is a desk operation, ``POST /api/v1/visitors``).
"""

from __future__ import annotations

import math
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from crm.core import ratelimit
from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.core.i18n import catalogue, section, translate
from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.core.urls import public_url
from crm.core.vocabulary import (
    ACCESSIBILITY,
    CONSENT_SCOPES,
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    WISHES,
)
from crm.destinations import service as destinations_service
from crm.visitors import notice, service

router = APIRouter(tags=["visitor pages"], include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

Slug = Annotated[str, PathParam(min_length=1, max_length=64)]

# The page's words, and the labels of wishes, needs and consent scopes: pages.toml, next to this
# file.
CATALOGUE = catalogue(__name__)
UI = section(CATALOGUE, "ui")
WISH_LABELS = section(CATALOGUE, "wishes")
NEED_LABELS = section(CATALOGUE, "needs")
SCOPE_LABELS = section(CATALOGUE, "scopes")


def _language(value: str | None, destination: Destination | None = None) -> str:
    if value in LANGUAGES:
        return str(value)
    fallback = destination.default_language if destination else DEFAULT_LANGUAGE
    return fallback if fallback in LANGUAGES else DEFAULT_LANGUAGE


def _t(key: str, language: str, **values: object) -> str:
    return translate(UI, key, language, **values)


def _ui(language: str) -> dict[str, str]:
    """Every word of the page in ``language``, for its template (``ui.key``)."""
    return {key: texts[language] for key, texts in UI.items()}


async def _destination(db: DbDep, destination: Slug) -> Destination:
    """The destination of the page's address (404 when there is none)."""
    async with db.session(system=True) as session:
        found = await destinations_service.destination_by_slug(session, destination)
    if found is None:
        raise Problem(404, "Not Found", f"no destination {destination!r}")
    return found


DestinationDep = Annotated[Destination, Depends(_destination)]
# ?lang= picks the page's language (else the destination's)
Lang = Annotated[str | None, Query(max_length=8)]


def _render(
    request: Request,
    settings: SettingsDep,
    destination: Destination,
    language: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    alert: str | None = None,
) -> HTMLResponse:
    shown = notice.render(
        language,
        retention_days=settings.retention_days_after_stay,
        inactivity_days=settings.profile_inactivity_days,
    )
    ui = _ui(language)
    if alert:  # e.g. the rate limit: it replaces "correct the fields", there is none to fix
        ui["fix"] = alert
    context = {
        "destination": destination,
        "lang": language,
        "languages": LANGUAGE_NAMES,
        "ui": ui,
        "wishes": [(w, WISH_LABELS[w][language]) for w in WISHES],
        "needs": [(n, NEED_LABELS[n][language]) for n in ACCESSIBILITY],
        "scopes": [(s, SCOPE_LABELS[s][language], shown.scopes[s]) for s in CONSENT_SCOPES],
        "notice": shown,
        "values": values
        or {"wishes": [], "accessibility": [], "consents": [], "adults": "1", "children": "0"},
        "errors": errors or ({"form": ""} if alert else {}),  # the template shows it on errors
    }
    return _page(request, "enrol.html", context, status_code)


def _page(
    request: Request, template: str, context: dict[str, Any], status_code: int
) -> HTMLResponse:
    """A page of this flow: it holds the visitor's entries or their roadbook link, so no-store."""
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/enrol/{destination}", response_class=HTMLResponse)
async def enrol_page(
    request: Request, settings: SettingsDep, found: DestinationDep, lang: Lang = None
) -> HTMLResponse:
    """The self-enrolment form."""
    return _render(request, settings, found, _language(lang, found))


def _parse(form: FormData, language: str, today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values (as entered, for re-rendering) and a message per invalid field."""
    values: dict[str, Any] = {
        "wishes": [str(v) for v in form.getlist("wishes")][:16],
        "accessibility": [str(v) for v in form.getlist("accessibility")][:16],
        "consents": [str(v) for v in form.getlist("consents")][:8],
    }
    for key in ("stay_start", "stay_end", "adults", "children"):
        raw = form.get(key)
        values[key] = raw.strip()[:32] if isinstance(raw, str) else ""
    errors: dict[str, str] = {}
    for key, allowed in (
        ("wishes", WISHES),
        ("accessibility", ACCESSIBILITY),
        ("consents", CONSENT_SCOPES),
    ):
        if any(v not in allowed for v in values[key]):
            errors[key] = _t("bad_choice", language)
    dates: dict[str, date | None] = {}
    for key in ("stay_start", "stay_end"):
        try:
            dates[key] = date.fromisoformat(values[key]) if values[key] else None
        except ValueError:
            dates[key] = None
            errors[key] = _t("bad_date", language)
    start, end = dates["stay_start"], dates["stay_end"]
    if start and end and end < start:
        errors["stay_end"] = _t("end_before_start", language)
    elif (start and end and (end - start).days > service.MAX_STAY_DAYS) or (
        end and (end - today).days > service.MAX_STAY_DAYS
    ):
        errors["stay_end"] = _t("too_long", language, days=service.MAX_STAY_DAYS)
    party: dict[str, int] = {}
    for key, default in (("adults", 1), ("children", 0)):
        try:
            party[key] = int(values[key]) if values[key] else default
            if not 0 <= party[key] <= service.MAX_PARTY:
                raise ValueError
        except ValueError:
            party[key] = default
            errors[key] = _t("bad_number", language, max=service.MAX_PARTY)
    if "adults" not in errors and "children" not in errors and sum(party.values()) < 1:
        errors["adults"] = _t("nobody", language)
    values["parsed"] = {"stay_start": start, "stay_end": end, **party}
    return values, errors


@router.post("/enrol/{destination}", response_class=HTMLResponse)
async def enrol_submit(
    request: Request, db: DbDep, settings: SettingsDep, found: DestinationDep, lang: Lang = None
) -> HTMLResponse:
    """Enrol from the form: the roadbook link once, or the form again with messages (422)."""
    form = await request.form(max_files=0, max_fields=64, max_part_size=4096)
    raw_language = form.get("language")
    language = _language(raw_language if isinstance(raw_language, str) else lang, found)
    values, errors = _parse(form, language, utcnow().date())
    # The form again, as entered: with a message per field, or one for the whole form.
    again = partial(_render, request, settings, found, language, values=values)
    if errors:
        return again(errors=errors, status_code=422)
    # Only a submission that would create a profile takes from the per-address bucket it
    # shares with POST /api/v1/enrol (crm.core.ratelimit); refused, the form comes back as
    # entered, with a message in the visitor's language.
    if wait := ratelimit.take(request, ratelimit.SELF_ENROLMENT):
        response = again(
            status_code=429, alert=_t("too_many", language, minutes=math.ceil(wait / 60))
        )
        response.headers["Retry-After"] = ratelimit.retry_after(wait)
        return response
    parsed = values["parsed"]
    raw_version = form.get("notice_version")
    try:
        async with db.session(found.id) as session:
            enrolment = await service.enrol(
                session,
                found.id,
                language=language,
                wishes=values["wishes"],
                consents=values["consents"],
                stay_start=parsed["stay_start"],
                stay_end=parsed["stay_end"],
                adults=parsed["adults"],
                children=parsed["children"],
                accessibility=values["accessibility"],
                notice_version=raw_version if isinstance(raw_version, str) else None,
                by="visitor",
            )
            await session.commit()
    except Problem as problem:  # a rule only the service knows (e.g. an outdated notice)
        return again(errors={"form": problem.detail or problem.title}, status_code=422)
    url = public_url(settings, f"/r/{enrolment.roadbook_token}")
    context = {"lang": language, "destination": found, "ui": _ui(language), "url": url}
    return _page(request, "enrolled.html", context, 201)
