"""Which web pages may read a destination's roadbooks from their own origin (CORS).

Each destination lists the origins allowed to embed its widget (``Destination.embed_origins``,
e.g. ``"https://www.example.org"`` or ``"http://localhost:*"``: a port of ``*`` is any port).
A request whose ``Origin`` is one of them is answered ``Access-Control-Allow-Origin: <that
origin>``; any other gets no such header, so the browser keeps the answer from the page. Never
``*`` and never credentials: the widget sends no cookie (``credentials: "omit"``), and a token
roadbook is personal data. ``Vary: Origin`` on every answer, so a cache never serves one
origin's permission to another. The widget's requests are simple GETs: no preflight.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlmodel import col

from crm.core.deps import DbDep
from crm.core.tenancy import Destination
from crm.visitors.deps import VisitorDep

# scheme://host[:port] — a DNS name, IPv4 address or bracketed IPv6 address; the port may be "*"
# in an allowed entry (never in a request's Origin: ``parse_origin`` refuses it there).
_ORIGIN = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)"
    r"(?::(?P<port>\*|[0-9]{1,5}))?",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}
ANY_PORT = -1


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    # ``ANY_PORT`` for an allowed entry's ``*``; the scheme's default when the origin names none.
    port: int


def parse_origin(text: str, *, wildcard: bool = False) -> Origin | None:
    """``scheme://host[:port]`` as an :class:`Origin` (lower case, default port filled in), or
    ``None`` when ``text`` is not one (``"null"``, a path, another scheme, a bad port); a port of
    ``*`` only when ``wildcard``."""
    match = _ORIGIN.fullmatch(text.strip())
    if match is None:
        return None
    scheme, host, port = match["scheme"].lower(), match["host"].lower(), match["port"]
    if port == "*":
        return Origin(scheme, host, ANY_PORT) if wildcard else None
    number = DEFAULT_PORTS[scheme] if port is None else int(port)
    return Origin(scheme, host, number) if 0 < number < 65536 else None


def origin_allowed(origin: str, allowed: Iterable[str]) -> bool:
    """Whether a request's ``Origin`` is one of ``allowed`` (malformed entries match nothing)."""
    asked = parse_origin(origin)
    if asked is None:
        return False
    for entry in allowed:
        rule = parse_origin(entry, wildcard=True)
        if (
            rule is not None
            and (rule.scheme, rule.host) == (asked.scheme, asked.host)
            and rule.port in (ANY_PORT, asked.port)
        ):
            return True
    return False


def embed_headers(origin: str | None, allowed: Iterable[str]) -> dict[str, str]:
    """The CORS headers of an answer to a request from ``origin`` (its ``Origin`` header, if
    any): ``Vary: Origin`` always, ``Access-Control-Allow-Origin`` echoing ``origin`` when it
    is allowed."""
    headers = {"Vary": "Origin"}
    if origin is not None and origin_allowed(origin, allowed):
        headers["Access-Control-Allow-Origin"] = origin
    return headers


async def visitor_embed(request: Request, db: DbDep, visitor: VisitorDep) -> dict[str, str]:
    """The CORS headers of a token roadbook's answer (``/r/{token}/feed.json``), from the
    visitor's destination's embed origins; read only when the request names an origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return embed_headers(None, ())
    async with db.session(visitor.destination_id) as session:
        allowed = await session.scalar(
            select(col(Destination.embed_origins)).where(
                col(Destination.id) == visitor.destination_id
            )
        )
    return embed_headers(origin, allowed or ())


# Add to a token route, then send its headers: ``headers={**NOT_CACHED, **cors}``.
VisitorEmbed = Annotated[dict[str, str], Depends(visitor_embed)]
