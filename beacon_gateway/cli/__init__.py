"""The ``beacon-gateway`` command line: what an installer types on the Pi.

One module per command; this one only builds the app. Each command imports what it needs when
it runs, so ``--help`` and ``decode`` start fast on a Pi.
"""

from __future__ import annotations

import typer

from beacon_gateway.cli.advertise import advertise
from beacon_gateway.cli.calibrate import calibrate
from beacon_gateway.cli.config import config_app
from beacon_gateway.cli.decode import decode
from beacon_gateway.cli.enroll import enroll
from beacon_gateway.cli.example import example
from beacon_gateway.cli.record import record
from beacon_gateway.cli.replay import replay
from beacon_gateway.cli.run import run
from beacon_gateway.cli.scan import scan
from beacon_gateway.cli.simulate import simulate

__all__ = ["app", "main"]

app = typer.Typer(
    name="beacon-gateway",
    help="Balise beacon gateway: scan for visitors' passes, decide presence, report to the CRM.",
    no_args_is_help=True,
    add_completion=False,
)

for command in (decode, replay, simulate, run, scan, record, enroll, calibrate, advertise, example):
    app.command()(command)
app.add_typer(config_app)


def main() -> None:
    """``beacon-gateway`` and ``python -m beacon_gateway``."""
    app(prog_name="beacon-gateway")
