"""The ``beacon-gateway`` command line: what an installer types on the Pi."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(
    name="beacon-gateway",
    help="Balise beacon gateway: scan for visitors' passes, decide presence, report to the CRM.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def decode(
    payloads: Annotated[list[str], typer.Argument(help="Raw BLE advertising payloads, in hex.")],
    service_data: Annotated[
        bool, typer.Option("--service-data", help="Inputs are bare 0xFEAA service data.")
    ] = False,
) -> None:
    """Decode advertising payloads and print one JSON object per input."""
    from beacon_gateway.decode import decode_command

    raise typer.Exit(decode_command(payloads, service_data=service_data))
