"""structlog for the whole server: JSON lines in production, readable lines in a terminal.

Every line carries the request id (asgi-correlation-id). Roadbook tokens are secrets in URLs:
they are scrubbed from every logged path (``/r/<token>`` becomes ``/r/***``).
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from asgi_correlation_id import correlation_id

_TOKEN_IN_PATH = re.compile(r"/r/[^/?\s\"]+")


def scrub(text: str) -> str:
    """Hide roadbook tokens in a path or log line."""
    return _TOKEN_IN_PATH.sub("/r/***", text)


def _add_request_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = correlation_id.get()
    if request_id:
        event["request_id"] = request_id
    return event


def _scrub_values(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in event.items():
        if isinstance(value, str) and "/r/" in value:
            event[key] = scrub(value)
    return event


class _ScrubFilter(logging.Filter):
    """Scrubs tokens from stdlib records (uvicorn's access log formats the path into args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        return True


def configure(json_lines: bool, level: int = logging.INFO) -> None:
    """Set up structlog and route the stdlib loggers (uvicorn's included) through it."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
        _scrub_values,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processor=renderer)
    )
    handler.addFilter(_ScrubFilter())
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
