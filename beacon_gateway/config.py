"""Gateway configuration: a TOML file (docs/architecture.md) read into frozen dataclasses.

Every key has a default, so an empty file is a valid (if useless) configuration; unknown
sections, unknown keys and values of the wrong type or out of range are refused with a message
naming the offending ``section.key``, because a typo in a field must never be silently ignored.

The ``[scan]``, ``[presence]`` and ``[advertise]`` sections are also what the CRM pushes as a
remote config (same names, as JSON), so :func:`config_from_mapping` accepts a plain mapping.
Keys beyond docs/architecture.md are additions (documented in ``examples/gateway.toml``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from beacon_gateway.files import read_document
from eddystone import EddystoneError
from eddystone.frames import UID_NAMESPACE_HEX, UID_TEXT
from eddystone.url import encode_url

__all__ = [
    "AdvertiseConfig",
    "ConfigError",
    "GatewayConfig",
    "GatewaySection",
    "PresenceConfig",
    "ScanConfig",
    "UploadConfig",
    "config_from_mapping",
    "fit_to_server",
    "load_config",
]

# Either case as written; stored lower (see _lower_hex).
_HEX20 = re.compile(f"^{UID_NAMESPACE_HEX}$", re.IGNORECASE)
_UID = re.compile(f"^{UID_TEXT}$", re.IGNORECASE)
_GATEWAY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ConfigError(ValueError):
    """The configuration file or mapping is not valid; the message names the bad key."""


@dataclass(frozen=True, slots=True)
class GatewaySection:
    """``[gateway]``: who this gateway is and where it keeps things."""

    id: str = "gateway"
    crm_url: str = "http://127.0.0.1:8000"
    token_file: str = "/etc/balise/token"  # noqa: S105 (a path, not a secret)
    data_dir: str = "/var/lib/balise"


@dataclass(frozen=True, slots=True)
class ScanConfig:
    """``[scan]``: the BLE scanner and what it keeps."""

    adapter: str = "hci0"
    mode: Literal["active", "passive"] = "active"
    # UID namespaces kept (20 hex, either case, stored lower); empty = keep every UID. EID is
    # always kept.
    namespaces: tuple[str, ...] = ()
    watchdog_silence_s: float = 30.0
    # "namespace:instance" of a fixed beacon at the site, used by the watchdog when set.
    reference_beacon: str | None = None
    # Stop and restart discovery this often so the controller's duplicate filter forgets
    # static passes and they keep producing fresh RSSI (see beacon_gateway/scanner.py).
    restart_interval_s: float = 10.0


@dataclass(frozen=True, slots=True)
class PresenceConfig:
    """``[presence]``: when a pass is present, and how signal turns into distance."""

    enter_rssi_dbm: float = -75.0
    exit_rssi_dbm: float = -85.0
    exit_timeout_s: float = 60.0
    dwell_interval_s: float = 60.0
    min_sightings: int = 2
    # Additions: smoothing window, per-gateway calibration, bounded state.
    smoothing_window_s: float = 5.0
    rx_offset_db: float = 0.0
    path_loss_exponent: float = 2.7
    max_tracked: int = 10_000


@dataclass(frozen=True, slots=True)
class AdvertiseConfig:
    """``[advertise]``: what the gateway itself broadcasts (empty = nothing)."""

    url: str | None = None
    uid: str | None = None  # "namespace:instance", 20 + 12 hex (either case, stored lower)
    tx_power_0m: int = -18
    interval_ms: int = 1000


@dataclass(frozen=True, slots=True)
class UploadConfig:
    """``[upload]``: batching towards the CRM and the outbox bound."""

    # At most the CRM's limit (its config document's limits.max_events_per_batch): a larger
    # value is lowered to it once the CRM has said it (see fit_to_server).
    batch_max: int = 500
    interval_s: float = 5.0
    timeout_s: float = 30.0
    outbox_max_events: int = 1_000_000
    backoff_max_s: float = 300.0


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """The whole configuration, one attribute per TOML section."""

    gateway: GatewaySection = field(default_factory=GatewaySection)
    scan: ScanConfig = field(default_factory=ScanConfig)
    presence: PresenceConfig = field(default_factory=PresenceConfig)
    advertise: AdvertiseConfig = field(default_factory=AdvertiseConfig)
    upload: UploadConfig = field(default_factory=UploadConfig)

    def remote_hash(self) -> str:
        """SHA-256 (hex, first 16) of the remotely managed sections, for drift detection."""
        body = {
            name: dataclasses.asdict(getattr(self, name))
            for name in ("scan", "presence", "advertise")
        }
        blob = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


_SECTIONS: dict[str, type[Any]] = {
    "gateway": GatewaySection,
    "scan": ScanConfig,
    "presence": PresenceConfig,
    "advertise": AdvertiseConfig,
    "upload": UploadConfig,
}


def _coerce(where: str, hint: Any, value: Any) -> Any:
    """Check ``value`` against the dataclass field type ``hint`` (TOML types only)."""
    if isinstance(value, bool) and hint is not bool:
        raise ConfigError(f"{where}: expected {_describe(hint)}, got a boolean ({value})")
    origin = getattr(hint, "__origin__", None)
    args = get_args(hint)
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise ConfigError(f"{where}: must be one of {choices}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        for item in value:
            if not isinstance(item, str):
                raise ConfigError(f"{where}: expected a list of strings, got item {item!r}")
        return tuple(value)
    if args and type(None) in args:  # X | None
        if value is None:
            return None
        (inner,) = (a for a in args if a is not type(None))
        return _coerce(where, inner, value)
    if hint is float:
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    raise ConfigError(f"{where}: unsupported type {hint!r}")  # pragma: no cover


def _describe(hint: Any) -> str:
    names = {float: "a number", int: "an integer", str: "a string"}
    return names.get(hint, "a value of another type")


def _build_section(name: str, raw: Any) -> Any:
    cls = _SECTIONS[name]
    if not isinstance(raw, Mapping):
        raise ConfigError(f"[{name}] must be a table, got {raw!r}")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"[{name}] unknown key(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    values = {key: _coerce(f"{name}.{key}", hints[key], value) for key, value in raw.items()}
    return cls(**values)


def _check(cfg: GatewayConfig) -> None:
    """Cross-field and range checks, each naming the key."""
    g, s, p, a, u = cfg.gateway, cfg.scan, cfg.presence, cfg.advertise, cfg.upload
    if not _GATEWAY_ID.match(g.id):
        raise ConfigError(f"gateway.id: {g.id!r} is not a valid gateway name")
    if not g.crm_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"gateway.crm_url: must start with http:// or https://, got {g.crm_url!r}"
        )
    for ns in s.namespaces:
        if not _HEX20.match(ns):
            raise ConfigError(f"scan.namespaces: {ns!r} is not 20 hex digits")
    if s.reference_beacon is not None and not _UID.match(s.reference_beacon):
        raise ConfigError("scan.reference_beacon: expected 'namespace:instance' (20:12 hex)")
    positive = {
        "scan.watchdog_silence_s": s.watchdog_silence_s,
        "scan.restart_interval_s": s.restart_interval_s,
        "presence.exit_timeout_s": p.exit_timeout_s,
        "presence.dwell_interval_s": p.dwell_interval_s,
        "presence.smoothing_window_s": p.smoothing_window_s,
        "presence.path_loss_exponent": p.path_loss_exponent,
        "upload.interval_s": u.interval_s,
        "upload.timeout_s": u.timeout_s,
        "upload.backoff_max_s": u.backoff_max_s,
    }
    for where, number in positive.items():
        if number <= 0:
            raise ConfigError(f"{where}: must be > 0, got {number}")
    if p.exit_rssi_dbm > p.enter_rssi_dbm:
        raise ConfigError(
            "presence.exit_rssi_dbm: must be <= presence.enter_rssi_dbm (hysteresis), got "
            f"{p.exit_rssi_dbm} > {p.enter_rssi_dbm}"
        )
    for where, count in {
        "presence.min_sightings": p.min_sightings,
        "presence.max_tracked": p.max_tracked,
        "upload.batch_max": u.batch_max,
        "upload.outbox_max_events": u.outbox_max_events,
        "advertise.interval_ms": a.interval_ms,
    }.items():
        if count < 1:
            raise ConfigError(f"{where}: must be >= 1, got {count}")
    if not -100 <= a.tx_power_0m <= 20:
        raise ConfigError(f"advertise.tx_power_0m: must be in -100..20, got {a.tx_power_0m}")
    if a.uid is not None and not _UID.match(a.uid):
        raise ConfigError("advertise.uid: expected 'namespace:instance' (20:12 hex digits)")
    if a.url is not None and not a.url.startswith(("http://", "https://")):
        raise ConfigError(f"advertise.url: must start with http:// or https://, got {a.url!r}")
    if a.url is not None:
        try:
            encode_url(a.url)
        except EddystoneError as exc:
            raise ConfigError(f"advertise.url: cannot be broadcast: {exc}") from exc


def _lower_hex(cfg: GatewayConfig) -> GatewayConfig:
    """Hex identities as written (either case), kept lower case like the frames' hex."""
    s, a = cfg.scan, cfg.advertise
    scan = dataclasses.replace(
        s,
        namespaces=tuple(ns.lower() for ns in s.namespaces),
        reference_beacon=None if s.reference_beacon is None else s.reference_beacon.lower(),
    )
    advertise = dataclasses.replace(a, uid=None if a.uid is None else a.uid.lower())
    return dataclasses.replace(cfg, scan=scan, advertise=advertise)


def config_from_mapping(
    data: Mapping[str, Any], base: GatewayConfig | None = None
) -> GatewayConfig:
    """Build a validated config from a mapping of sections; missing sections come from ``base``.

    A section present in ``data`` replaces the same section of ``base`` entirely (keys it does
    not give take their defaults), which is how a remote config is applied.
    """
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise ConfigError(
            f"unknown section(s): {', '.join(unknown)} (known: {', '.join(_SECTIONS)})"
        )
    base = base or GatewayConfig()
    parts = {name: _build_section(name, raw) for name, raw in data.items()}
    cfg = dataclasses.replace(base, **parts)
    _check(cfg)
    return _lower_hex(cfg)


def fit_to_server(
    cfg: GatewayConfig, max_events_per_batch: int
) -> tuple[GatewayConfig, str | None]:
    """``cfg`` fitted to what the CRM accepts, and what was changed (None: nothing).

    ``upload.batch_max`` above the CRM's events-per-batch limit is lowered to it: every batch
    that large would be refused (HTTP 413) and halved, and grow back to be refused again. The
    file itself cannot be checked earlier, the limit being the CRM's: it is known once the CRM
    has answered (``GET /api/v1/gateway/config``).
    """
    if cfg.upload.batch_max <= max_events_per_batch:
        return cfg, None
    notice = (
        f"upload.batch_max = {cfg.upload.batch_max} is above what the CRM accepts "
        f"({max_events_per_batch} events per batch): using {max_events_per_batch}; "
        "set upload.batch_max to at most that in the config file"
    )
    upload = dataclasses.replace(cfg.upload, batch_max=max_events_per_batch)
    return dataclasses.replace(cfg, upload=upload), notice


def load_config(path: str | Path) -> GatewayConfig:
    """Read and validate a TOML config file."""
    p = Path(path)
    raw = read_document(p, "TOML", "config", ConfigError)
    try:
        cfg = config_from_mapping(raw)
        _check_file(cfg)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from exc
    return cfg


def _check_file(cfg: GatewayConfig) -> None:
    """What the file must get right that a CRM document may still change afterwards.

    A remote document is the CRM's to validate (``tests/contract/``: whatever it accepts,
    the gateway applies); the file is the installer's, checked here.
    """
    s, p = cfg.scan, cfg.presence
    if p.exit_timeout_s <= s.restart_interval_s:
        raise ConfigError(
            f"presence.exit_timeout_s: must be larger than scan.restart_interval_s "
            f"({s.restart_interval_s:g}), or a pass standing still leaves between two scans; "
            f"got {p.exit_timeout_s:g}"
        )
