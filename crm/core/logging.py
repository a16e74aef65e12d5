"""structlog for the whole server: JSON lines by default, readable lines in a terminal.

Every line carries the request id (asgi-correlation-id). An exception is logged as a plain-text
traceback (``exception``: what ``traceback`` prints, no local variables): rendering it costs
about a millisecond, on the event loop. Rich tracebacks with locals cost seconds per error there
and printed the request scope, bearer tokens included (docs/operations.md § Logs).

Secrets are scrubbed from every logged value, nested or not, exception text and tracebacks
included: roadbook tokens in paths (``/r/<token>`` becomes ``/r/***``), bearer and basic
credentials, ``Authorization``/``Cookie`` headers (also as the ASGI scope's byte pairs),
fields named like a password, secret, token or key, and passwords in URLs.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TextIO

import structlog
from asgi_correlation_id import correlation_id

REDACTED = "***"

# A logged field or header whose name says it holds a secret: its whole value goes. Name parts
# are split on ``-`` and ``_`` (``x-api-key``, ``access_token``, ``set-cookie``), so
# ``tokens_rotated`` or ``path`` keep their values.
_SECRET_NAME = re.compile(
    r"(?:^|[-_])(?:authorization|cookie|password|passwd|pwd|secret|token|api[-_]?key|apikey"
    r"|credentials?|private[-_]?key|server[-_]?key|claim[-_]?code)(?:$|[-_])",
    re.IGNORECASE,
)
_NAMES = (
    r"(?:proxy-)?authorization|(?:set-)?cookie|x-api-key|password|passwd|pwd|secret"
    r"|[a-z_]*token|api[-_]?key|server[-_]?key|claim[-_]?code"
)
_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # A quoted secret after its quoted name: a dict's or JSON's repr, the ASGI scope's
    # ``(b'authorization', b'Bearer ...')`` pairs.
    (
        re.compile(rf"""(?i)(b?(['"])(?:{_NAMES})\2\s*[:,]\s*b?)(['"])(?:\\.|(?!\3).)*\3"""),
        rf"\1\3{REDACTED}\3",
    ),
    # A header line: the rest of the line (a cookie holds spaces and semicolons).
    (
        re.compile(r"(?im)^(\s*(?:proxy-)?authorization|\s*(?:set-)?cookie|\s*x-api-key)(:\s*).+$"),
        rf"\1\2{REDACTED}",
    ),
    (
        re.compile(
            r"(?i)(\b(?:proxy-)?authorization|\b(?:set-)?cookie|\bx-api-key)(:\s*)[^'\"\n]+"
        ),
        rf"\1\2{REDACTED}",
    ),
    # ``password=...`` in a DSN, a query string or a message.
    (
        re.compile(rf"(?i)(\b(?:{_NAMES})=)[^\s&;,'\")\]}}]+"),
        rf"\1{REDACTED}",
    ),
    # Credentials after their scheme, wherever they are.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*"), rf"\1 {REDACTED}"),
    # The password of a URL (``postgresql://user:password@host``).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/:@]*:)[^\s/@]+@"), rf"\1{REDACTED}@"),
    # Roadbook tokens are the path segment after /r/.
    (re.compile(r"/r/[^/?\s\"'#]+"), f"/r/{REDACTED}"),
)
# Cheap first look: text with none of these holds none of the secrets above (most lines).
_SUSPECT = re.compile(
    r"/r/|bearer|basic|authoriz|cookie|passw|pwd|secret|token|key|claim|://", re.IGNORECASE
)
_MAX_DEPTH = 8
# structlog's own bookkeeping in an event dict: never rendered, must stay as it is.
_META = frozenset({"_record", "_from_structlog", "_logger", "_name"})


def scrub(text: str) -> str:
    """Hide the secrets in a line of text (roadbook tokens, credentials, passwords)."""
    if _SUSPECT.search(text) is None:
        return text
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    # A header line scrubbed above may still hold ``Bearer ***``: one form, whatever the order.
    return text.replace(f"{REDACTED} {REDACTED}", REDACTED)


@lru_cache(maxsize=1024)
def _secret_text_name(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None


def _secret_name(name: object) -> bool:
    if isinstance(name, bytes | bytearray):
        name = bytes(name).decode("latin-1")
    return isinstance(name, str) and _secret_text_name(name)


def scrub_value(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` fit for a log line: secrets hidden at any depth.

    Numbers, booleans and ``None`` pass as they are; text and bytes are scrubbed; containers
    are copied with their items scrubbed (a value under a secret's name is replaced whole);
    anything else becomes its scrubbed ``repr`` (what the renderers would print).
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bytes | bytearray):
        return scrub(bytes(value).decode("utf-8", "backslashreplace"))
    if depth >= _MAX_DEPTH:
        return scrub(repr(value))
    if isinstance(value, Mapping):
        return {
            scrub_value(k, depth + 1): REDACTED
            if _secret_name(k) and v is not None
            else scrub_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, tuple) and len(value) == 2 and _secret_name(value[0]):
        # A header as the ASGI scope holds it: (b"authorization", b"Bearer ...").
        return (scrub_value(value[0], depth + 1), REDACTED)
    if isinstance(value, list | tuple | set | frozenset):
        items = [scrub_value(item, depth + 1) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    return scrub(repr(value))


def _add_request_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = correlation_id.get()
    if request_id:
        event["request_id"] = request_id
    return event


def _scrub_values(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if key in _META:
            continue
        event[key] = REDACTED if _secret_name(key) and value is not None else scrub_value(value)
    return event


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is at each record, like logging's last-resort handler.

    Whoever swaps ``sys.stderr`` after logging is configured (pytest's capture does, per test
    phase, and closes the old one) still gets the lines, instead of a closed-file error.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def _renderer(json_lines: bool | None, stream: TextIO) -> Any:
    """JSON lines unless told otherwise, or (by default) when ``stream`` is a terminal."""
    terminal = stream.isatty()
    if json_lines is None:
        json_lines = not terminal
    if json_lines:
        return structlog.processors.JSONRenderer()
    # The traceback is already text (format_exc_info): printed as is, never rich with locals.
    return structlog.dev.ConsoleRenderer(
        colors=terminal, exception_formatter=structlog.dev.plain_traceback
    )


def configure(
    json_lines: bool | None = None, level: int = logging.INFO, stream: TextIO | None = None
) -> None:
    """Set up structlog and route the stdlib loggers (uvicorn's included) through it.

    ``json_lines``: ``None`` (the default) means JSON unless ``stream`` (stderr) is a terminal.
    """
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
        # Exceptions become plain text here, before the scrubber reads every value (a stdlib
        # record's message, uvicorn's access line with its path, is the ``event`` value).
        structlog.processors.format_exc_info,
        _scrub_values,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared, processor=_renderer(json_lines, handler.stream)
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # uvicorn's own logging config may have run first: one level and one handler, ours.
        uvicorn_logger = logging.getLogger(name)
        if not uvicorn_logger.propagate and not uvicorn_logger.handlers:
            continue  # `uvicorn --no-access-log` left it so: it stays off
        uvicorn_logger.handlers[:] = []
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.NOTSET)
