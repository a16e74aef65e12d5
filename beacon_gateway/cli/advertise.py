"""``beacon-gateway advertise``: broadcast the site's frames, to check them with a phone."""

from __future__ import annotations

from typing import Annotated

import typer

from beacon_gateway.cli.common import (
    ConfigOption,
    fail,
    load,
    on_bluetooth,
    setup_logging,
    stderr,
)

__all__ = ["advertise"]


def advertise(
    config: ConfigOption,
    seconds: Annotated[float, typer.Option(help="Stop after this many seconds (0: Ctrl-C).")] = 0.0,
) -> None:
    """Broadcast the site's Eddystone-URL and -UID (and the Pi's TLM), as configured.

    `run` does this too when the advertise section has a url or uid; this command is for
    checking the broadcast with a phone on site, without scanning or uploading.
    """
    from beacon_gateway.advertiser import Advertiser

    cfg = load(config)
    adv = Advertiser(cfg.advertise, cfg.scan.adapter)
    if not adv.frames:
        raise fail("nothing to advertise", "set advertise.url and/or advertise.uid in the config")
    setup_logging()

    on_bluetooth(
        lambda stop: adv.run(stop, wait_for_bluez=False), seconds=seconds, what="cannot advertise"
    )
    stderr().print(f"stopped: {adv.stats}", markup=False)
