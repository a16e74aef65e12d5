"""Which of the four languages an office page speaks.

In order: ``?lang=`` (a choice from the language switch, then remembered in a cookie scoped to
``/office``), the remembered choice, the browser's ``Accept-Language``, French.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from crm.core.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

LANGUAGE_COOKIE = "balise_office_lang"
_YEAR_S = 365 * 24 * 3600


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (``q`` weights honoured), if any."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((header or "")[:512].split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().split("-")[0].lower()
        if primary not in LANGUAGES:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight <= 0:
            continue
        candidate = (-weight, position, primary)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


def chosen(request: Request) -> str | None:
    """The language asked for with ``?lang=``, when it is one of ours."""
    value = request.query_params.get("lang")
    return value if value in LANGUAGES else None


def negotiate(request: Request, submitted: str | None = None) -> str:
    """The page's language (``submitted``: a form's hidden ``lang`` field, first)."""
    for candidate in (submitted, chosen(request), request.cookies.get(LANGUAGE_COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    return from_accept_language(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


def remember(request: Request, response: Response, secure: bool) -> None:
    """Keep a language picked with ``?lang=`` for the next pages."""
    language = chosen(request)
    if language is not None and request.cookies.get(LANGUAGE_COOKIE) != language:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=_YEAR_S,
            path="/office",
            httponly=True,
            secure=secure,
            samesite="lax",
        )
