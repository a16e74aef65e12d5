"""What every ``beacon-gateway`` command shares: the ``--config`` option, messages, progress."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    import asyncio

    from beacon_gateway.config import GatewayConfig

__all__ = [
    "ConfigOption",
    "fail",
    "load",
    "no_bluetooth",
    "on_bluetooth",
    "progress",
    "read_token",
    "setup_logging",
    "stderr",
]

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="Gateway config (TOML), e.g. /etc/balise/gateway.toml.",
        envvar="BALISE_GATEWAY_CONFIG",
    ),
]


def stderr() -> Console:
    """The console for everything that is not the command's output (never wrapped when it
    is not a terminal: a log or a pipe reads one message per line)."""
    return Console(stderr=True, soft_wrap=not sys.stderr.isatty())


def fail(what: str, detail: object, code: int = 2) -> typer.Exit:
    """Print ``what: detail`` on stderr (detail verbatim, never read as markup); return Exit."""
    console = stderr()
    console.print(f"[red]{what}:[/red]", end=" ")
    console.print(str(detail), markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def no_bluetooth(exc: BaseException, what: str = "cannot scan") -> typer.Exit:
    """One line for an adapter that is missing, blocked or unanswered (BlueZ down); exit 1.

    The installer's words first, the error after, on one line (a D-Bus error spans several).
    """
    error = " ".join(f"{type(exc).__name__}: {exc}".split())
    return fail(what, f"is Bluetooth on? see rfkill list ({error})", 1)


def on_bluetooth(
    work: Callable[[asyncio.Event], Awaitable[None]],
    *,
    seconds: float = 0.0,
    what: str = "cannot scan",
) -> None:
    """Run ``work(stop)`` on its own event loop until it returns: an interactive command's body.

    ``stop`` is set by Ctrl-C or SIGTERM and, unless ``seconds`` is 0, that many seconds after
    the start. Whatever escapes ``work`` (no adapter, BlueZ down) exits 1 in the installer's
    words (:func:`no_bluetooth`, ``what`` first).
    """
    import asyncio

    from beacon_gateway.shutdown import stop_on_signals

    async def main() -> None:
        with stop_on_signals(asyncio.Event()) as stop:
            if seconds:
                asyncio.get_running_loop().call_later(seconds, stop.set)
            await work(stop)

    try:
        asyncio.run(main())
    except Exception as exc:  # no adapter, BlueZ down: say so in the installer's words
        raise no_bluetooth(exc, what) from exc


def load(path: Path) -> GatewayConfig:
    """The gateway config at ``path``, or exit 2 with the config error."""
    from beacon_gateway.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        raise fail("config error", exc) from exc


def read_token(cfg: GatewayConfig) -> str:
    """The gateway's bearer token from its token file, or exit 2 saying how to get one."""
    path = Path(cfg.gateway.token_file)
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        stderr().print(
            f"[red]cannot read the gateway token[/red] from {path}: {exc.strerror}. "
            "Run `beacon-gateway enroll CODE` or write the token there (mode 0600)."
        )
        raise typer.Exit(2) from exc
    if not token:
        stderr().print(f"[red]the token file {path} is empty[/red]")
        raise typer.Exit(2)
    return token


def progress(enabled: bool) -> Progress:
    """A transient progress bar on stderr (``enabled``: only when someone watches)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=stderr(),
        transient=True,
        disable=not enabled,
    )


def setup_logging() -> None:
    """Log records on stderr (the long-running commands): rich on a terminal, else one line
    per record with its journald priority (:mod:`beacon_gateway.journal`)."""
    from beacon_gateway.journal import setup_logging as setup

    setup()
