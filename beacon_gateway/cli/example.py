"""``beacon-gateway example``: the files the docs send an installer to, from the installed package.

The annotated configuration (every key, its default, which keys the CRM owns) and the systemd
unit ship inside the package (``beacon_gateway/share/``; ``examples/gateway.toml`` and
``deploy/beacon-gateway.service`` in the source are links to them), so a Pi that installed only
the wheel has them too.
"""

from __future__ import annotations

from enum import StrEnum
from importlib.resources import files
from typing import Annotated

import typer

__all__ = ["SHARED", "Example", "example", "shared_text"]


class Example(StrEnum):
    """What ``beacon-gateway example`` prints."""

    config = "config"
    unit = "unit"


SHARED = {Example.config: "gateway.toml", Example.unit: "beacon-gateway.service"}


def shared_text(which: Example) -> str:
    """The text of a file shipped in ``beacon_gateway/share/``."""
    return (files("beacon_gateway") / "share" / SHARED[which]).read_text(encoding="utf-8")


def example(
    which: Annotated[
        Example,
        typer.Argument(
            help="config: the annotated gateway.toml; unit: the systemd unit "
            "(beacon-gateway.service)."
        ),
    ],
) -> None:
    """Print the annotated example config or the systemd unit shipped with this version.

    E.g. `beacon-gateway example unit | sudo tee /etc/systemd/system/beacon-gateway.service`.
    """
    typer.echo(shared_text(which), nl=False)
