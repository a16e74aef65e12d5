"""Visitor URLs under ``/r/{token}``: the token is the only credential (no account, no cookie).

Every output renders the same :class:`~roadbook.feeds.view.RoadbookView`: the page (the PWA),
JSON Feed, iCalendar, JSON-LD and GeoJSON. ``?lang=`` shows it in another of the four
languages. All are personal data: never cached by anyone but the visitor's own device.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crm.core.deps import DbDep, SettingsDep
from crm.core.errors import Problem
from crm.core.models import utcnow
from crm.core.responses import FastJSONResponse
from crm.core.urls import public_url
from crm.visitors.deps import Entered, EnteredDep, Token, VisitorDep
from roadbook.exposures import service as exposures
from roadbook.feeds import calendar, jsonfeed, route, service, trip
from roadbook.feeds.view import ABOUT_PATH, Links, RoadbookView
from roadbook.pwa.page import page_response
from roadbook.widget.cors import embed_headers

router = APIRouter(tags=["roadbook"])

NOT_CACHED = {"Cache-Control": "no-store"}
# The extension's documentation, served by every CRM (docs/feed.md links to the same file).
ABOUT = Path(__file__).parent / "about.md"
MARKDOWN = "text/markdown; charset=utf-8"
_UNKNOWN: dict[int | str, dict[str, Any]] = {404: {"description": "Unknown or revoked token"}}

Language = Annotated[
    str | None,
    Query(
        pattern="^(fr|en|de|nl)$",
        description="Show the roadbook in this language instead of the visitor's",
    ),
]


def links(settings: Any, token: str) -> Links:
    """The roadbook's absolute addresses under the public URL."""
    return Links.under(public_url(settings, ""), token)


async def _view(
    db: DbDep, settings: SettingsDep, token: str, entered: Entered, language: str | None
) -> RoadbookView:
    """The visitor's roadbook now, in the session that checked the token (the visitor's tenant
    session); what it shows is recorded (exposures) and committed."""
    visitor = entered.seat.visitor
    view = await service.visitor_view(
        entered.session,
        visitor,
        links=links(settings, token),
        language=language,
        refresh=lambda: db.session(visitor.destination_id),
        destination=entered.seat.destination,
    )
    await entered.session.commit()
    return view


@dataclass(frozen=True, slots=True)
class Format:
    """One of the roadbook's documents: its file name, media type and renderer."""

    name: str
    media_type: str
    render: Callable[[RoadbookView], dict[str, Any] | bytes]
    summary: str


FORMATS = (
    Format(
        "feed.json",
        jsonfeed.MEDIA_TYPE,
        jsonfeed.json_feed,
        f"The roadbook as JSON Feed 1.1 (its `_balise` extension: {ABOUT_PATH}).",
    ),
    Format(
        "roadbook.ics",
        calendar.MEDIA_TYPE,
        calendar.ics,
        "The roadbook's events and planned items as iCalendar (RFC 5545), in local time.",
    ),
    Format(
        "trip.jsonld",
        trip.MEDIA_TYPE,
        trip.trip_jsonld,
        "The roadbook as a schema.org TouristTrip with an itinerary ItemList.",
    ),
    Format(
        "route.geojson",
        route.MEDIA_TYPE,
        route.route_geojson,
        "Today's stops and the tours' lines as a GeoJSON FeatureCollection (RFC 7946).",
    ),
)


def _document_route(document: Format) -> None:
    async def render(
        request: Request,
        db: DbDep,
        settings: SettingsDep,
        token: Token,
        entered: EnteredDep,
        lang: Language = None,
    ) -> Response:
        body = document.render(await _view(db, settings, token, entered, lang))
        # Readable by the pages of the destination's embed origins (the widget, docs/widget.md):
        # roadbook.widget.cors.visitor_embed's answer, from the destination read with the token.
        cors = embed_headers(request.headers.get("origin"), entered.seat.destination.embed_origins)
        headers = {**NOT_CACHED, **cors}
        if isinstance(body, bytes):
            return Response(body, media_type=document.media_type, headers=headers)
        return FastJSONResponse(body, media_type=document.media_type, headers=headers)

    router.add_api_route(
        f"/r/{{token}}/{document.name}",
        render,
        methods=["GET"],
        name=document.name,
        summary=document.summary,
        description=document.summary,
        response_class=Response,
        responses={200: {"content": {document.media_type: {}}}, **_UNKNOWN},
    )


for _document in FORMATS:
    _document_route(_document)


@router.get(
    "/r/{token}/go/{item}",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {"description": "To the item's website (the click is recorded)"},
        404: {"description": "Unknown token, or an item of the roadbook without a website"},
    },
)
async def go(
    db: DbDep,
    token: Token,
    visitor: VisitorDep,
    item: Annotated[
        str, PathParam(max_length=48, pattern="^(place|event|tour|offer):[0-9a-f-]{36}$")
    ],
) -> RedirectResponse:
    """Follow an item's link: the click is recorded, then the browser goes to the item's site.
    Only the websites of the catalogue and of live offers are reachable (no open redirect)."""
    now = utcnow()
    async with db.session(visitor.destination_id) as session:
        target = await service.link_of(
            session,
            visitor.destination_id,
            item,
            now,
            refresh=lambda: db.session(visitor.destination_id),
        )
        if target is None:
            raise Problem(404, "Not Found", "no such item with a website in this roadbook")
        url, partner = target
        await exposures.record_click(session, visitor, item, partner, now)
        await session.commit()
    return RedirectResponse(
        url, status_code=303, headers={**NOT_CACHED, "Referrer-Policy": "no-referrer"}
    )


@router.get("/r/{token}", response_class=HTMLResponse, responses=_UNKNOWN)
async def page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    token: Token,
    entered: EnteredDep,
    lang: Language = None,
) -> HTMLResponse:
    """The visitor's roadbook as a page (the PWA), in the visitor's language or ``lang``."""
    return page_response(request, await _view(db, settings, token, entered, lang))


@router.get(ABOUT_PATH, response_class=Response, responses={200: {"content": {MARKDOWN: {}}}})
async def about() -> Response:
    """What the feed's fields and its ``_balise`` extension mean (the feed's ``_balise.about``)."""
    return Response(ABOUT.read_bytes(), media_type=MARKDOWN)
