"""``beacon-gateway enroll``: a claim code from the office for this gateway's token and config."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from beacon_gateway.cli.common import fail, load, stderr

if TYPE_CHECKING:
    from beacon_gateway.enrolment import Enrollment

__all__ = ["enroll"]

NEW_CONFIG_HEADER = (
    "# Balise gateway configuration, written by `beacon-gateway enroll`.\n"
    "# Every key is explained in `beacon-gateway example config`.\n"
)


def enroll(
    code: Annotated[str, typer.Argument(help="The one-time claim code from the CRM's office.")],
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            help="Gateway config to create or update.",
            envvar="BALISE_GATEWAY_CONFIG",
        ),
    ] = Path("/etc/balise/gateway.toml"),
    crm_url: Annotated[
        str | None,
        typer.Option(help="The CRM's address (default: gateway.crm_url of the config)."),
    ] = None,
    token_file: Annotated[
        Path | None, typer.Option(help="Where to write the token (default: from the config).")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Gateway data directory (default: from the config).")
    ] = None,
) -> None:
    """Register this gateway with a claim code: writes its token (0600) and its config.

    The office creates the gateway (`crm gateway add NAME --site SITE --claim`) and reads you a
    one-time code; this exchanges it for the gateway's name, secret token and settings, so no
    secret is ever copied by hand. Run it again with a new code to re-enroll.
    """
    from beacon_gateway.cli.toml_edit import set_toml_keys
    from beacon_gateway.config import ConfigError, GatewayConfig, load_config
    from beacon_gateway.enrolment import EnrolmentError
    from beacon_gateway.enrolment import enroll as enroll_request
    from beacon_gateway.files import write_atomic
    from beacon_gateway.remote_config import ConfigStore, apply_remote

    existing = config.exists()
    cfg = load(config) if existing else GatewayConfig()
    url = crm_url or (cfg.gateway.crm_url if existing else None)
    if url is None:
        raise fail("no CRM address", f"{config} does not exist yet: give --crm-url")
    token_path = token_file or Path(cfg.gateway.token_file)
    data_path = data_dir or Path(cfg.gateway.data_dir)

    async def exchange() -> Enrollment:
        import httpx2

        async with httpx2.AsyncClient() as client:
            return await enroll_request(client, url, code)

    try:
        got = asyncio.run(exchange())
    except EnrolmentError as exc:
        raise fail("enrolment refused", exc) from exc
    write_atomic(token_path, got.token + "\n")
    text = config.read_text(encoding="utf-8") if existing else NEW_CONFIG_HEADER
    values = {"id": got.gateway_id, "crm_url": url}
    if token_file is not None or not existing:
        values["token_file"] = str(token_path)
    if data_dir is not None or not existing:
        values["data_dir"] = str(data_path)

    def validate(candidate: Path) -> None:
        apply_remote(load_config(candidate), got.config.document, got.gateway_id)

    try:
        write_atomic(config, set_toml_keys(text, "gateway", values), mode=None, check=validate)
    except ConfigError as exc:
        raise fail("the enrolled config does not validate (nothing changed)", exc) from exc
    ConfigStore(data_path).save(got.config)
    stderr().print(
        f"enrolled as [bold]{got.gateway_id}[/bold] (config version {got.config.version}); "
        f"token written to {token_path} (mode 0600), config {config}.\n"
        "Next: sudo systemctl enable --now beacon-gateway",
        highlight=False,
    )
