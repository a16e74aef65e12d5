"""Log records for a person at a terminal, or for journald.

On a terminal, rich's handler (colours, aligned columns). Anywhere else, under systemd above all,
one line per record, never wrapped nor coloured, prefixed with its sd-daemon priority
(``<3>`` error, ``<4>`` warning, ``<6>`` info, ``<7>`` debug; ``sd-daemon(3)``): journald reads
the prefix, so ``journalctl -p warning`` shows the gateway's warnings and errors. A traceback
stays in its record's line, its line breaks written `` | ``.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

__all__ = ["JournalFormatter", "priority", "setup_logging"]


def priority(levelno: int) -> int:
    """The syslog priority of a logging level (sd-daemon's ``<N>`` prefix)."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


class JournalFormatter(logging.Formatter):
    """``<priority>logger: message``, on one line."""

    def __init__(self) -> None:
        super().__init__("%(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return f"<{priority(record.levelno)}>" + " | ".join(text.splitlines())


def setup_logging(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Log to ``stream`` (stderr): rich on a terminal, :class:`JournalFormatter` elsewhere."""
    out = stream or sys.stderr
    handler: logging.Handler
    if out.isatty():
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(console=Console(file=out))
    else:
        handler = logging.StreamHandler(out)
        handler.setFormatter(JournalFormatter())
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    # One line per HTTP request would bury the gateway's own messages (a heartbeat a minute,
    # a batch every few seconds): the HTTP client's failures still show, as warnings.
    logging.getLogger("httpx2").setLevel(max(level, logging.WARNING))
