"""RFC 9457 problem+json for every error the API returns, including unexpected ones.

A database that cannot be reached, is shutting down, out of connections or timing out is an
outage, not a bug: ``503`` with ``Retry-After`` (gateways wait that long and send again) and one
log line without a traceback. Anything else unexpected is a ``500``, logged with its traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
# Seconds a client should wait after a 503 for a database outage: long enough not to keep a
# recovering database saturated with retries, short enough to resume soon after.
OUTAGE_RETRY_AFTER_S = 5
log = structlog.get_logger(__name__)


def problems(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """An operation's documented problem+json answers (OpenAPI ``responses``), by status code."""
    return {
        status: {"description": text, "content": {PROBLEM_JSON: {}}}
        for status, text in descriptions.items()
    }


class Problem(Exception):
    """An error the client can act on: raised by services, rendered as problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.headers = headers
        self.extensions = extensions

    def response(self, request: Request) -> JSONResponse:
        """The problem+json response for ``request``."""
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = request.url.path
        body.update(self.extensions)
        return JSONResponse(
            body, status_code=self.status, media_type=PROBLEM_JSON, headers=self.headers
        )


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is out of reach for now (retrying later may work).

    psycopg's ``OperationalError`` covers a refused or lost connection, a server shutting down
    or starting up, too many connections, statement and lock timeouts, deadlocks and
    serialisation failures; SQLAlchemy wraps it (``connection_invalidated`` when the connection
    died) or raises its own ``TimeoutError`` when no pooled connection frees up in time.
    """
    if isinstance(exc, sa_exc.TimeoutError | psycopg.OperationalError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc.orig, psycopg.OperationalError)
    return False


def outage_response(request: Request, exc: BaseException) -> JSONResponse:
    """``503`` with ``Retry-After`` for a database outage, logged in one line."""
    cause = getattr(exc, "orig", None) or exc
    # The driver's first line only: SQLAlchemy's text adds the statement and its parameters.
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    log.warning(
        "database_unavailable",
        path=request.url.path,
        error=f"{type(cause).__name__}: {message}" if message else type(cause).__name__,
    )
    return Problem(
        503,
        "Service Unavailable",
        "The database is unavailable; retry later.",
        headers={"Retry-After": str(OUTAGE_RETRY_AFTER_S)},
    ).response(request)


def install(app: FastAPI) -> None:
    """Route every exception through problem+json."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        from http import HTTPStatus

        title = HTTPStatus(exc.status_code).phrase
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
        return Problem(
            exc.status_code, title, detail, headers=getattr(exc, "headers", None)
        ).response(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        return Problem(
            422,
            "Unprocessable Content",
            "The request does not match the schema.",
            errors=errors,
        ).response(request)

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # A value the database refuses (a NUL character in text, a number out of range) is the
        # client's input, not a server fault.
        log.warning("unstorable_value", path=request.url.path, error=str(exc.orig))
        return Problem(
            422,
            "Unprocessable Content",
            "A value cannot be stored (e.g. a NUL character in a text, or a number out of range).",
        ).response(request)

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            raise exc  # another database error: a bug, the catch-all below logs it
        return outage_response(request, exc)

    # Handled where raised (not by the catch-all, after which uvicorn logs a traceback too).
    for outage in (sa_exc.DBAPIError, sa_exc.TimeoutError, psycopg.OperationalError):
        app.add_exception_handler(outage, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):  # raised past the handlers above (e.g. by a middleware)
            return outage_response(request, exc)
        # A plain-text traceback (crm/core/logging.py): about a millisecond on the event loop.
        log.exception("unhandled_error", path=request.url.path)
        return Problem(500, "Internal Server Error").response(request)


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details (validation errors add ``errors``).",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
}


def document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers above do: every 4xx/5xx answer is
    ``application/problem+json``, and an operation taking a body may answer 400 (unparsable)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": "Unparsable body"})
                for code, response in responses.items():
                    if code[:1] in ("4", "5"):
                        response["content"] = problem
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
