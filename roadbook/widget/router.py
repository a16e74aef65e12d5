"""The widget's URLs: the script ``/widget.js`` (docs/widget.md).

``/widget.js`` has one address for ever (host pages copy the snippet once and never change it),
so it cannot be cached as immutable: a fix would reach a visitor only when their cache forgets
the old script. It is cached for an hour (``max-age=3600``) with a strong ``ETag``: a browser
asks again at most hourly and is answered ``304`` with no body while the script is unchanged; a
release reaches every host page within the hour. It is sent gzipped to browsers that accept it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from roadbook.widget.asset import asset

router = APIRouter(tags=["widget"])

JAVASCRIPT = "text/javascript; charset=utf-8"
SCRIPT_CACHE = "public, max-age=3600"


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
