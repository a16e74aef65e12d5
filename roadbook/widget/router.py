"""The widget's URLs: the script ``/widget.js`` and the site mode's roadbook
``/widget/site/{destination}/{site}.json`` (docs/widget.md).

``/widget.js`` has one address for ever (host pages copy the snippet once and never change it),
so it cannot be cached as immutable: a fix would reach a visitor only when their cache forgets
the old script. It is cached for an hour (``max-age=3600``) with a strong ``ETag``: a browser
asks again at most hourly and is answered ``304`` with no body while the script is unchanged; a
release reaches every host page within the hour. It is sent gzipped to browsers that accept it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlmodel import col

from crm.core.deps import DbDep
from crm.core.errors import Problem
from crm.core.i18n import supported
from crm.core.responses import FastJSONResponse
from crm.destinations import service as destinations
from crm.destinations.models import Site
from roadbook.feeds import jsonfeed, service
from roadbook.widget.asset import asset
from roadbook.widget.cors import embed_headers

router = APIRouter(tags=["widget"])

JAVASCRIPT = "text/javascript; charset=utf-8"
SCRIPT_CACHE = "public, max-age=3600"
# Site mode is anonymous (the catalogue near a site, nobody's data): a shared cache may keep it a
# minute, so a busy partner page does not rebuild it on every view.
SITE_CACHE = "public, max-age=60"

# Any text: a slug that names nothing (or cannot be a slug) is a 404 like any unknown one.
Slug = Annotated[str, Path(description="A slug (crm site list)")]


@router.get(
    "/widget.js",
    response_class=Response,
    responses={
        200: {"description": "The widget's script", "content": {"text/javascript": {}}},
        304: {"description": "The copy the browser holds is current (`If-None-Match`)"},
    },
)
async def script(request: Request) -> Response:
    """The ``<balise-roadbook>`` custom element (docs/widget.md)."""
    served = asset()
    gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    etag = served.etag[:-1] + '-gz"' if gzip else served.etag
    headers = {
        "Cache-Control": SCRIPT_CACHE,
        "ETag": etag,
        "Vary": "Accept-Encoding",
        # Any page may load it, also one that asks for CORS (``crossorigin``) or isolates
        # itself (``Cross-Origin-Embedder-Policy``): it is the same public file for everyone.
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    held = _etags(request.headers.get("if-none-match", ""))
    if etag in held or "*" in held:
        return Response(status_code=304, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
    body = served.gzipped if gzip else served.raw
    return Response(body, media_type=JAVASCRIPT, headers=headers)


def _etags(header: str) -> set[str]:
    """The validators an ``If-None-Match`` names (weak ones compared weakly, RFC 9110 §13.1.2)."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return tags - {""}


@router.get(
    "/widget/site/{destination}/{site}.json",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "What to do near the site, as a JSON Feed 1.1 document (`_balise` "
            "extension: /about/feed)",
            "content": {jsonfeed.MEDIA_TYPE: {"schema": {"type": "object"}}},
        },
        404: {"description": "No such destination, or no such site in it"},
    },
)
async def site_roadbook(
    request: Request,
    db: DbDep,
    destination: Slug,
    site: Slug,
    lang: Annotated[
        str | None,
        Query(
            max_length=35,
            description="The page's language (fr, en, de, nl); any other, or none, gives the "
            "destination's language",
        ),
    ] = None,
) -> JSONResponse:
    """The anonymous site mode of the widget (``<balise-roadbook site="destination/site">``):
    what to do near a site, from the catalogue and aggregates only, in the page's language."""
    async with db.session(system=True) as session:
        found = await destinations.destination_by_slug(session, destination)
    if found is None:
        raise Problem(404, "Not Found", f"no destination {destination!r}")
    cors = embed_headers(request.headers.get("origin"), found.embed_origins)
    language = supported(lang, found.default_language)
    async with db.session(found.id) as session:
        place = await session.scalar(
            select(Site).where(col(Site.destination_id) == found.id, col(Site.slug) == site)
        )
        if place is None:
            raise Problem(404, "Not Found", f"no site {site!r} in {destination!r}", headers=cors)
        view = await service.site_view(
            session, found, place, language, refresh=lambda: db.session(found.id)
        )
    return FastJSONResponse(
        jsonfeed.json_feed(view),
        media_type=jsonfeed.MEDIA_TYPE,
        headers={**cors, "Cache-Control": SITE_CACHE},
    )
