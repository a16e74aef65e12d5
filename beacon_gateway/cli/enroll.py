"""``beacon-gateway enroll``: a claim code from the office for this gateway's token and config."""

from __future__ import annotations

import asyncio
import os
import pwd
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from beacon_gateway.cli.common import fail, load, stderr

if TYPE_CHECKING:
    from beacon_gateway.config import GatewayConfig
    from beacon_gateway.enrolment import Enrollment

__all__ = ["enroll"]

DEFAULT_CONFIG = Path("/etc/balise/gateway.toml")
NEW_CONFIG_HEADER = (
    "# Balise gateway configuration, written by `beacon-gateway enroll`.\n"
    "# Every key is explained in `beacon-gateway example config`.\n"
)


def folder_owner(path: Path) -> int:
    """The uid owning the folder ``path`` goes in."""
    return path.parent.stat().st_uid


def user_name(uid: int) -> str:
    """A user's name, or its uid when it has none."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def targets(
    config: Path, existing: GatewayConfig | None, token_file: Path | None, data_dir: Path | None
) -> tuple[Path, Path]:
    """Where the token and the data go: as told, else as the existing config says, else next
    to the config (``token``, ``data/``) — except for the documented layout's own config path,
    whose token is ``/etc/balise/token`` and data ``/var/lib/balise`` (the unit's
    ``StateDirectory``)."""
    from beacon_gateway.config import GatewaySection

    if existing is not None:
        defaults = existing.gateway
    elif config.absolute() == DEFAULT_CONFIG:
        defaults = GatewaySection()
    else:
        folder = config.absolute().parent
        defaults = GatewaySection(token_file=str(folder / "token"), data_dir=str(folder / "data"))
    return token_file or Path(defaults.token_file), data_dir or Path(defaults.data_dir)


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
    ] = DEFAULT_CONFIG,
    crm_url: Annotated[
        str | None,
        typer.Option(help="The CRM's address (default: gateway.crm_url of the config)."),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the token (default: from the config; for a new config, "
            "'token' next to it, /etc/balise/token for /etc/balise/gateway.toml)."
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Gateway data directory (default: from the config; for a new config, "
            "'data' next to it, /var/lib/balise for /etc/balise/gateway.toml)."
        ),
    ] = None,
) -> None:
    """Register this gateway with a claim code: writes its token (0600) and its config.

    The office creates the gateway (`crm gateway add NAME --site SITE --claim`) and reads you a
    one-time code; this exchanges it for the gateway's name, secret token and settings, so no
    secret is ever copied by hand. Every file is checked writable before the code is sent, so
    a refused path never wastes a code. Run it again with a new code to re-enroll.
    """
    from beacon_gateway.cli.toml_edit import set_toml_keys
    from beacon_gateway.config import ConfigError, GatewayConfig, load_config
    from beacon_gateway.enrolment import CrmUnreachable, EnrolmentError, check_code
    from beacon_gateway.enrolment import enroll as enroll_request
    from beacon_gateway.files import check_writable, write_atomic
    from beacon_gateway.remote_config import ConfigStore, apply_remote

    try:
        check_code(code)
    except EnrolmentError as exc:
        raise fail("not a claim code", exc) from exc
    existing = config.exists()
    cfg = load(config) if existing else GatewayConfig()
    url = crm_url or (cfg.gateway.crm_url if existing else None)
    if url is None:
        raise fail("no CRM address", f"{config} does not exist yet: give --crm-url")
    token_path, data_path = targets(config, cfg if existing else None, token_file, data_dir)
    store = ConfigStore(data_path)
    for path in (token_path, config, store.path):
        try:
            check_writable(path)
            owner = folder_owner(path)
        except OSError as exc:
            raise fail(
                "cannot write",
                f"{path}: {exc.strerror or exc}. Nothing was sent: the code is still valid. "
                "Run as the user who owns these files (sudo -u balise ...), or choose other "
                "paths (--config, --token-file, --data-dir).",
                1,
            ) from exc
        if os.geteuid() == 0 and owner != 0:
            # root could write there, but the service (that folder's owner) could not read
            # what it wrote: the code would be spent on files the gateway cannot use.
            raise fail(
                "wrong user",
                f"{path.parent} belongs to {user_name(owner)}, and files written by root "
                f"there would be unreadable for it: run as {user_name(owner)} (sudo -u "
                f"{user_name(owner)} beacon-gateway enroll ...). Nothing was sent: the code "
                "is still valid.",
                1,
            )

    async def exchange() -> Enrollment:
        import httpx2

        async with httpx2.AsyncClient() as client:
            return await enroll_request(client, url, code)

    try:
        got = asyncio.run(exchange())
    except CrmUnreachable as exc:
        raise fail(
            f"cannot reach the CRM at {url}",
            f"{exc}. Check the network and the address; the code is still valid.",
            1,
        ) from exc
    except EnrolmentError as exc:
        raise fail("enrolment refused", exc) from exc
    text = config.read_text(encoding="utf-8") if existing else NEW_CONFIG_HEADER
    values = {"id": got.gateway_id, "crm_url": url}
    if token_file is not None or not existing:
        values["token_file"] = str(token_path)
    if data_dir is not None or not existing:
        values["data_dir"] = str(data_path)

    def validate(candidate: Path) -> None:
        apply_remote(load_config(candidate), got.config.document, got.gateway_id)

    try:
        write_atomic(config, set_toml_keys(text, "gateway", values), check=validate)
        write_atomic(token_path, got.token + "\n")
        store.save(got.config)
    except ConfigError as exc:
        raise fail("the enrolled config does not validate (nothing changed)", exc) from exc
    except OSError as exc:
        raise fail(
            "enrolled, but cannot save",
            f"{exc}. The code is used: ask the office for a new one (crm gateway claim "
            f"{got.gateway_id}) and enrol again.",
            1,
        ) from exc
    stderr().print(
        f"enrolled as [bold]{got.gateway_id}[/bold] (config version {got.config.version}); "
        f"token written to {token_path} (mode 0600), config {config}.\n"
        "Next (docs/raspberry-pi.md part 7): check the scanning and calibrate, e.g.\n"
        f"  sudo -u balise beacon-gateway calibrate --config {config} --any\n"
        "then start the service (part 8).",
        highlight=False,
    )
