"""Server settings, read from the environment (and a ``.env`` file when present)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Everything an operator may tune; defaults suit the demo and a single small destination."""

    model_config = SettingsConfigDict(env_prefix="BALISE_", env_file=".env", extra="ignore")

    # DATABASE_URL is the conventional unprefixed name; unset means the embedded server.
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = PROJECT_ROOT / ".balise"
    # Key that encrypts EID identity keys at rest (base64 of 32 bytes). The demo derives one
    # under data_dir; production must set it (docs/operations.md).
    server_key: str | None = None
    # During a rotation: the old key, still accepted for decryption (docs/operations.md).
    server_key_previous: str | None = None
    # Every absolute link a visitor receives starts with public_url, never with the request's Host.
    public_url: str = "http://127.0.0.1:8000"
    # Host names answered besides public_url's own; any other Host gets a 400 (the health probes
    # excepted). Loopback serves the demo and checks on the machine. Comma-separated in the env.
    allowed_hosts: Annotated[list[str], NoDecode] = ["localhost", "127.0.0.1", "::1"]
    # Log format: JSON lines, or readable lines when unset and stderr is a terminal.
    log_json: bool | None = None

    # Ingest
    ingest_max_body_bytes: int = 8 * 1024 * 1024
    ingest_max_events: int = 5_000
    clock_skew_correction_s: float = 120.0
    ingest_past_days: int = 30
    ingest_future_s: float = 300.0

    # Visits and retention
    visit_gap_s: int = 30 * 60
    retention_days_after_stay: int = 30
    profile_inactivity_days: int = 3 * 365
    dedup_ledger_days: int = 120

    # Staff: lifetime of a login's token and session cookie
    staff_session_hours: float = 12.0

    # Scheduler
    scheduler_enabled: bool = True
    scheduler_retry_s: float = 30.0
    # How often the leader checks its lock connection (a terminated one is noticed at once).
    scheduler_probe_s: float = 5.0

    # Gateway health from heartbeats (a gateway sends one about every minute)
    gateway_stale_s: float = 180.0
    gateway_offline_s: float = 900.0

    # Rate limits: token buckets kept in each worker process (N workers allow N times as much);
    # a rate of 0 disables the limit.
    ratelimit_ingest_per_s: float = 10.0
    ratelimit_ingest_burst: int = 60
    ratelimit_roadbook_per_s: float = 10.0
    ratelimit_roadbook_burst: int = 100
    # Anonymous self-enrolment (API and page together), per client address: 10, then 1 a minute.
    ratelimit_enrol_per_s: float = 1 / 60
    ratelimit_enrol_burst: int = 10
    # Failed authentications per client address (gateway API tokens, staff logins): a burst of
    # failures, then one more try per 1 / rate seconds; logins also per address and account.
    ratelimit_auth_failures_per_s: float = 1.0
    ratelimit_auth_failures_burst: int = 30
    ratelimit_login_failures_per_s: float = 1 / 30
    ratelimit_login_failures_burst: int = 10

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [host.strip() for host in value.split(",") if host.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings``)."""
    return Settings()
