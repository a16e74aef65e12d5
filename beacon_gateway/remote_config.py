"""The remote config, on the gateway's side: a CRM document applied over the local file.

The document (``GET /api/v1/gateway/config``, fetched by :mod:`beacon_gateway.fleet_client`, or
the first one with enrolment) carries ``scan``, ``presence``, ``advertise`` and ``upload`` keys.
They are applied *key by key over the local file* (a key the CRM does not send keeps its local
value: calibration, adapter), validated by the same rules as the file. A document that does not
validate is refused whole. The last good document is kept on disk
(``data_dir/remote-config.json``, written atomically) so a restart without network comes back
with it. The document's ``limits`` say what the CRM accepts: an ``upload.batch_max`` above
``limits.max_events_per_batch`` (from the local file) is lowered to it, with a warning — every
larger batch would be refused (413) and halved.

The CRM's pydantic models (``crm/fleet/schemas.py``) are the source of truth for the
document; the gateway does not import them (``tests/contract/`` checks the two against each
other).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beacon_gateway.config import ConfigError, GatewayConfig, config_from_mapping, fit_to_server
from beacon_gateway.files import read_saved, write_atomic

__all__ = ["REMOTE_SECTIONS", "ConfigStore", "RemoteConfig", "apply_remote"]

log = logging.getLogger("beacon_gateway.remote_config")

REMOTE_SECTIONS = ("scan", "presence", "advertise", "upload")


@dataclass(frozen=True, slots=True)
class RemoteConfig:
    """A remote config document the gateway accepted, with its version and ETag."""

    version: int
    etag: str | None
    document: dict[str, Any]


def apply_remote(
    local: GatewayConfig, document: Mapping[str, Any], gateway_id: str | None = None
) -> tuple[int, GatewayConfig]:
    """Validate a config document and apply it key by key over ``local``; ``ConfigError`` if bad.

    Returns the document's ``config_version`` and the effective config. ``gateway_id``, when
    given, must be the document's (a config meant for another gateway is refused). An
    ``upload.batch_max`` above the CRM's ``limits.max_events_per_batch`` is lowered to it.
    """
    if not isinstance(document, Mapping):
        raise ConfigError("remote config: expected a JSON object")
    version = document.get("config_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ConfigError(f"remote config: config_version must be an integer >= 0, got {version!r}")
    if gateway_id is not None and document.get("gateway_id") != gateway_id:
        raise ConfigError(
            f"remote config: meant for gateway {document.get('gateway_id')!r}, this is "
            f"{gateway_id!r}"
        )
    max_events = _max_events_per_batch(document.get("limits"))
    merged: dict[str, Any] = {}
    for name in REMOTE_SECTIONS:
        part = document.get(name, {})
        if not isinstance(part, Mapping):
            raise ConfigError(f"remote config: [{name}] must be an object, got {part!r}")
        merged[name] = {**dataclasses.asdict(getattr(local, name)), **part}
    try:
        cfg = config_from_mapping(merged, base=local)
    except ConfigError as exc:
        raise ConfigError(f"remote config version {version}: {exc}") from exc
    if max_events is not None:
        cfg, notice = fit_to_server(cfg, max_events)
        if notice is not None:
            log.warning("%s", notice)
    return version, cfg


def _max_events_per_batch(limits: Any) -> int | None:
    """The CRM's batch limit from a document's ``limits`` (None: a CRM that sends none)."""
    if limits is None:
        return None
    if not isinstance(limits, Mapping):
        raise ConfigError(f"remote config: limits must be an object, got {limits!r}")
    value = limits.get("max_events_per_batch")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"remote config: limits.max_events_per_batch must be an integer >= 1, got {value!r}"
        )
    return value


class ConfigStore:
    """The last good remote config on disk (``data_dir/remote-config.json``)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / "remote-config.json"

    def load(self) -> RemoteConfig | None:
        """The stored document, or None (none yet, or unreadable: logged)."""
        return read_saved(
            self.path,
            lambda raw: RemoteConfig(int(raw["version"]), raw.get("etag"), dict(raw["document"])),
            log,
            f"the stored remote config {self.path}",
        )

    def save(self, remote: RemoteConfig) -> None:
        """Write atomically (temp file, fsync, rename): a power cut leaves old or new, whole."""
        body = json.dumps(
            {"version": remote.version, "etag": remote.etag, "document": remote.document},
            sort_keys=True,
        )
        write_atomic(self.path, body)
