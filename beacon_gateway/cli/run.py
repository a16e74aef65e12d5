"""``beacon-gateway run``: the gateway itself, what the systemd unit starts."""

from __future__ import annotations

import asyncio

import typer

from beacon_gateway.cli.common import ConfigOption, load, read_token, setup_logging, stderr

__all__ = ["run"]


def run(config: ConfigOption) -> None:
    """Run the gateway: scan, decide presence, keep every event, upload (what systemd starts)."""
    from beacon_gateway.runtime import run_gateway

    cfg = load(config)
    token = read_token(cfg)
    setup_logging()
    result = asyncio.run(run_gateway(cfg, token, handle_signals=True))
    stderr().print(f"stopped: {result}", markup=False)
    if result["watchdog_exit"] is not None:
        raise typer.Exit(result["watchdog_exit"])  # the scan stalled: systemd restarts us
    if result["auth_failed"]:
        raise typer.Exit(1)
