"""``beacon-gateway config show``: every effective setting and where it comes from.

A key of ``[scan]``, ``[presence]``, ``[advertise]`` or ``[upload]`` that the CRM's config
document sends replaces the file's value (the last document is kept in ``data_dir``); other
keys come from the file, or are the defaults. This shows the result, so a hand edit that the
CRM overrides is not a mystery.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from typing import Annotated, Any

import typer

from beacon_gateway.cli.common import ConfigOption, fail, load

__all__ = ["config_app", "settings"]

config_app = typer.Typer(
    name="config",
    help="The gateway's configuration as it is in force.",
    no_args_is_help=True,
    add_completion=False,
)

FILE, CRM, DEFAULT = "file", "CRM", "default"


def settings(
    file_keys: dict[str, Any], remote: dict[str, Any] | None, effective: Any
) -> list[tuple[str, Any, str]]:
    """``(section.key, value, source)`` for every key of ``effective`` (a GatewayConfig).

    ``file_keys`` is the TOML file as read; ``remote`` the CRM's last config document (None:
    none yet). The source is ``CRM`` for a key the document sends (or a value it lowered, such
    as ``upload.batch_max`` to its ``limits``), ``file`` for one the file sets, else ``default``.
    """
    from beacon_gateway.remote_config import REMOTE_SECTIONS

    rows: list[tuple[str, Any, str]] = []
    for section in dataclasses.fields(effective):
        values = dataclasses.asdict(getattr(effective, section.name))
        in_file = file_keys.get(section.name, {})
        sent = (remote or {}).get(section.name, {}) if section.name in REMOTE_SECTIONS else {}
        for key, value in values.items():
            if key in sent:
                source = CRM
            elif key in in_file:
                source = FILE if _same(in_file[key], value) else CRM
            else:
                source = DEFAULT
            rows.append((f"{section.name}.{key}", value, source))
    return rows


def _same(written: Any, value: Any) -> bool:
    if isinstance(value, tuple):
        return [str(v).lower() for v in written] == list(value)
    if isinstance(value, str):
        return str(written).lower() == value.lower()
    return bool(written == value)


@config_app.command()
def show(
    config: ConfigOption,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per setting.")] = False,
) -> None:
    """Print each effective setting with its source: file, CRM (its last config), or default.

    Keys of [scan], [presence], [advertise] and [upload] that the CRM sends replace the file's
    values as soon as it answers; `calibrate` and hand edits of those keys only last while the
    office does not set them.
    """
    from beacon_gateway.config import ConfigError
    from beacon_gateway.remote_config import ConfigStore, apply_remote

    cfg = load(config)
    file_keys = tomllib.loads(config.read_text(encoding="utf-8"))
    stored = ConfigStore(cfg.gateway.data_dir).load()
    effective, remote, version = cfg, None, None
    if stored is not None:
        try:
            version, effective = apply_remote(cfg, stored.document, cfg.gateway.id)
            remote = stored.document
        except ConfigError as exc:
            raise fail(
                "the CRM's last config is refused (the file alone is in force)", exc
            ) from exc
    rows = settings(file_keys, remote, effective)
    if as_json:
        for name, value, source in rows:
            typer.echo(json.dumps({"key": name, "value": value, "source": source}))
        return
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        shown = "(unset)" if value is None else json.dumps(value)
        typer.echo(f"{name:<{width}} = {shown:<24} # {source}")
    origin = "none yet" if version is None else f"version {version}"
    typer.echo(f"# CRM: the last config received from {cfg.gateway.crm_url} ({origin})")
