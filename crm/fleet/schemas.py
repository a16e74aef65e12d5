"""The fleet contract (docs/architecture.md): heartbeat, remote config and enrolment of gateways.

The one source of truth for ``POST /api/v1/gateway/heartbeat``, ``GET /api/v1/gateway/config``,
``POST /api/v1/gateway/enroll`` and the office's ``/api/v1/office/gateways/{id}/config``. The
gateway does not import this module (it shares only ``eddystone`` with the server):
``tests/contract/test_contract_fleet.py`` checks the gateway's real parser and payloads against
these models.

Remote config sections mirror the gateway's TOML (``beacon_gateway/config.py``) key for key.
Every range here is *inside* what the gateway accepts, so a document the CRM serves is never
refused by a gateway; where the issue asks for more (``exit_rssi_dbm < enter_rssi_dbm`` strictly,
``exit_timeout_s > 30`` — BlueZ forgets a silent device after 30 s) the CRM is the stricter one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from crm.core.vocabulary import GatewayId, Namespace, UidRef
from crm.ingest.schemas import Device

CounterName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Seconds = Annotated[float, Field(ge=0, le=10 * 365 * 86400, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- remote config sections (all keys optional: an override names only what it changes) ----


class ScanSection(BaseModel):
    """``[scan]``: the BLE scanner and which UID namespaces it keeps (EID is always kept)."""

    model_config = _STRICT
    adapter: Annotated[str, StringConstraints(pattern=r"^hci[0-9]{1,2}$")] | None = None
    mode: Literal["active", "passive"] | None = None
    namespaces: Annotated[list[Namespace], Field(max_length=1024)] | None = None
    watchdog_silence_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    reference_beacon: UidRef | None = None
    restart_interval_s: Annotated[float, Field(gt=0, le=3600)] | None = None


class PresenceSection(BaseModel):
    """``[presence]``: thresholds of the presence machine and the signal model."""

    model_config = _STRICT
    enter_rssi_dbm: Annotated[float, Field(ge=-127, le=20)] | None = None
    exit_rssi_dbm: Annotated[float, Field(ge=-127, le=20)] | None = None
    # > BlueZ's 30 s temporary-device timeout, or a quiet pass flaps out and back in
    exit_timeout_s: Annotated[float, Field(gt=30, le=3600)] | None = None
    dwell_interval_s: Annotated[float, Field(ge=5, le=86400)] | None = None
    min_sightings: Annotated[int, Field(ge=1, le=100)] | None = None
    smoothing_window_s: Annotated[float, Field(gt=0, le=120)] | None = None
    rx_offset_db: Annotated[float, Field(ge=-50, le=50)] | None = None
    path_loss_exponent: Annotated[float, Field(ge=1, le=6)] | None = None
    max_tracked: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class AdvertiseSection(BaseModel):
    """``[advertise]``: the site's Eddystone-URL / UID the gateway broadcasts."""

    model_config = _STRICT
    url: Annotated[str, StringConstraints(max_length=64)] | None = None
    uid: UidRef | None = None
    tx_power_0m: Annotated[int, Field(ge=-100, le=20)] | None = None
    interval_ms: Annotated[int, Field(ge=20, le=10240)] | None = None

    @field_validator("url")
    @classmethod
    def _eddystone_url(cls, url: str | None) -> str | None:
        """The URL must fit an Eddystone-URL frame (scheme byte + 17 bytes)."""
        if url is None:
            return None
        from eddystone.errors import EddystoneError
        from eddystone.url import encode_url

        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        try:
            encode_url(url)
        except EddystoneError as exc:
            raise ValueError(str(exc)) from None
        return url


class UploadSection(BaseModel):
    """``[upload]``: batching towards the CRM (a batch never exceeds the ingest limit).

    ``batch_max`` is bounded by the server's ``BALISE_INGEST_MAX_EVENTS`` (not a constant
    here): an override above it is refused, and a served document never goes above it.
    """

    model_config = _STRICT
    batch_max: Annotated[int, Field(ge=1)] | None = None
    interval_s: Annotated[float, Field(gt=0, le=3600)] | None = None
    timeout_s: Annotated[float, Field(gt=0, le=600)] | None = None
    outbox_max_events: Annotated[int, Field(ge=1000, le=100_000_000)] | None = None
    backoff_max_s: Annotated[float, Field(gt=0, le=86400)] | None = None


class ConfigSections(BaseModel):
    """The remotely managed sections; used both for overrides and for the effective document.

    Cross-field rules are checked on the *effective* document (defaults + override), so an
    override that only lowers ``enter_rssi_dbm`` below the default ``exit_rssi_dbm`` is refused.
    """

    model_config = _STRICT
    scan: ScanSection = Field(default_factory=ScanSection)
    presence: PresenceSection = Field(default_factory=PresenceSection)
    advertise: AdvertiseSection = Field(default_factory=AdvertiseSection)
    upload: UploadSection = Field(default_factory=UploadSection)

    def check_effective(self) -> Self:
        """Raise ``ValueError`` naming ``section.key`` when cross-field rules fail."""
        p = self.presence
        if (
            p.enter_rssi_dbm is not None
            and p.exit_rssi_dbm is not None
            and not p.exit_rssi_dbm < p.enter_rssi_dbm
        ):
            raise ValueError(
                "presence.exit_rssi_dbm: must be below presence.enter_rssi_dbm "
                f"(hysteresis), got {p.exit_rssi_dbm} >= {p.enter_rssi_dbm}"
            )
        if (
            p.exit_timeout_s is not None
            and p.smoothing_window_s is not None
            and p.smoothing_window_s >= p.exit_timeout_s
        ):
            raise ValueError(
                "presence.smoothing_window_s: must be shorter than presence.exit_timeout_s"
            )
        restart = self.scan.restart_interval_s
        if p.exit_timeout_s is not None and restart is not None and p.exit_timeout_s <= restart:
            # Each scanner restart is a silence; the gateway refuses such a file (its config.py).
            raise ValueError(
                "presence.exit_timeout_s: must be longer than scan.restart_interval_s "
                f"(every restart is a silence), got {p.exit_timeout_s} <= {restart}"
            )
        return self

    def to_document(self) -> dict[str, dict[str, Any]]:
        """The sections as JSON, keys left unset omitted (the gateway keeps its own value)."""
        return self.model_dump(mode="json", exclude_unset=True, exclude_none=False)


class ConfigOverride(ConfigSections):
    """``PUT /api/v1/office/gateways/{id}/config``: the gateway's override, replaced whole.

    Give only the keys to change; ``null`` for ``advertise.url`` / ``advertise.uid`` /
    ``scan.reference_beacon`` means "none" (stop advertising it). ``scan.namespaces`` given
    here are added to the namespaces of the destination's registered passes.
    """

    @model_validator(mode="after")
    def _no_null_numbers(self) -> Self:
        nullable = {("advertise", "url"), ("advertise", "uid"), ("scan", "reference_beacon")}
        for section in ("scan", "presence", "advertise", "upload"):
            part: BaseModel = getattr(self, section)
            for key in part.model_fields_set:
                if getattr(part, key) is None and (section, key) not in nullable:
                    raise ValueError(f"{section}.{key}: may not be null")
        return self


# --- GET /api/v1/gateway/config ---------------------------------------------------------------


class ServerLimits(BaseModel):
    """What this CRM accepts, for the gateway to fit its own settings to."""

    model_config = ConfigDict(extra="forbid")
    # BALISE_INGEST_MAX_EVENTS: a batch of more events is a 413. The gateway keeps its
    # ``upload.batch_max`` at or below it.
    max_events_per_batch: Annotated[int, Field(ge=1)]


class GatewayConfigDocument(BaseModel):
    """The gateway's remote config: the four sections as the TOML has them, plus versioning.

    Apply ``scan``, ``presence``, ``advertise`` and ``upload`` key by key over the local file
    (a key absent here keeps its local value). ``limits`` is not configuration but what the
    CRM accepts: the gateway fits its own values to it (an ``upload.batch_max`` of its local
    file above ``limits.max_events_per_batch`` is lowered to it). ``config_version`` increases
    whenever this document changes (an office override, the destination's pass namespaces or
    the server's limits); the ETag header is the hash of the canonical JSON of this body.
    """

    model_config = ConfigDict(extra="forbid")
    gateway_id: GatewayId
    config_version: int
    scan: dict[str, Any]
    presence: dict[str, Any]
    advertise: dict[str, Any]
    upload: dict[str, Any]
    limits: ServerLimits


# --- POST /api/v1/gateway/heartbeat ------------------------------------------------------------


class PassHealth(BaseModel):
    """The last TLM heard from one pass: its identity as in events, never an address."""

    model_config = _STRICT
    device: Device
    battery_mv: Annotated[int, Field(ge=0, le=0xFFFF)] | None = None
    temperature_c: Annotated[float, Field(ge=-128, le=128)] | None = None
    adv_count: Annotated[int, Field(ge=0, le=0xFFFF_FFFF)] | None = None
    uptime_s: Annotated[float, Field(ge=0, le=0xFFFF_FFFF / 10)] | None = None


class HeartbeatIn(BaseModel):
    """What a gateway reports every minute or so.

    Unknown top-level keys are refused (a typo must not vanish); free-form extra counters go in
    ``counters`` (name → number). ``None`` means "not available on this hardware".
    """

    model_config = _STRICT
    gateway_id: GatewayId
    sent_at: AwareDatetime
    version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    # The remote config version the gateway applied (None: none yet, local file only), the
    # ETag of that document, and the hash of the gateway's effective remote-managed sections.
    config_version: Annotated[int, Field(ge=0)] | None = None
    config_etag: Annotated[str, StringConstraints(max_length=100)] | None = None
    config_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8,64}$")] | None = None
    config_error: Annotated[str, StringConstraints(max_length=500)] | None = None
    uptime_s: Seconds
    adverts_per_s: Annotated[float, Field(ge=0, le=1e6)]
    last_advert_age_s: Seconds | None = None
    outbox_depth: Count
    outbox_oldest_age_s: Seconds | None = None
    outbox_dropped: Count = 0
    upload_auth_failed: bool = False
    upload_last_error: Annotated[str, StringConstraints(max_length=500)] | None = None
    watchdog: Annotated[dict[CounterName, Count], Field(max_length=32)] = Field(
        default_factory=dict
    )
    counters: Annotated[
        dict[CounterName, Annotated[float, Field(allow_inf_nan=False)]], Field(max_length=64)
    ] = Field(default_factory=dict)
    cpu_temperature_c: Annotated[float, Field(ge=-60, le=150)] | None = None
    disk_free_bytes: Count | None = None
    disk_total_bytes: Count | None = None
    clock_synced: bool
    passes: Annotated[list[PassHealth], Field(max_length=10_000)] = Field(default_factory=list)


class HeartbeatAck(BaseModel):
    """The answer: pull ``GET /api/v1/gateway/config`` when ``config_stale``."""

    config_version: int
    config_etag: str
    config_stale: bool
    passes_updated: int
    server_time: datetime


# --- POST /api/v1/gateway/enroll ---------------------------------------------------------------

CLAIM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_CLAIM_LOOSE = re.compile(r"^[0-9A-Za-z\- ]{16,24}$")


class EnrollIn(BaseModel):
    """A one-time claim code, as printed by ``crm gateway add NAME --site SITE --claim``."""

    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, StringConstraints(min_length=16, max_length=24)]

    @field_validator("code")
    @classmethod
    def _shape(cls, code: str) -> str:
        if not _CLAIM_LOOSE.match(code):
            raise ValueError("a claim code is 16 letters and digits, e.g. 7KQ2-M9XD-4HTA-PW3C")
        return code


class EnrollOut(BaseModel):
    """The gateway's identity, its bearer token (shown this once) and its first config."""

    gateway_id: str
    token: str
    config: GatewayConfigDocument
    config_etag: str


# --- office -------------------------------------------------------------------------------------


class OfficeGatewayConfig(BaseModel):
    """What the office sees of a gateway's config: its override and the served document."""

    gateway_id: str
    config_version: int
    config_etag: str
    override: dict[str, Any]
    effective: GatewayConfigDocument
    applied_config_version: int | None
    last_heartbeat_at: datetime | None
