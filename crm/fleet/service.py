"""Fleet logic: heartbeats, the per-gateway remote config, enrolment by one-time claim code.

Remote config. A gateway's document is ``DEFAULTS`` deep-merged with its office override
(``gateway.config_override``), plus the UID namespaces of every registered pass of the
destination in ``scan.namespaces`` (with the override's own namespaces and the reference
beacon's). ``gateway.config_version`` increases whenever the *content* changes — an override
edit or a newly registered namespace alike — detected by comparing ``gateway.config_hash`` with
the content's hash when the document is built (a single conditional ``UPDATE``, so concurrent
readers bump it once). The ETag is the hash of the canonical JSON of the whole body, version
included. Keys are only sent when the CRM has something to say: a key absent from the document
keeps the gateway's local value (its calibration, its adapter name). The document also carries
the server's ``limits`` (``BALISE_INGEST_MAX_EVENTS`` as ``max_events_per_batch``): the served
``upload.batch_max`` never exceeds it (a default or an override stored under a higher limit is
lowered), an override above it is refused, and the gateway lowers its local value to it.

Claim codes. 16 characters of Crockford's base32 (80 random bits) in four groups of four, typed
by partner staff on the Pi; only their SHA-256 is kept, as a ``claim`` credential that expires
after 24 h. The exchange is one ``UPDATE ... RETURNING`` that revokes the claim, so two
concurrent exchanges yield one token. Failed attempts are counted per client address (an IPv6
client by its /64): ``MAX_FAILURES`` within ``FAILURE_WINDOW`` locks that client out for
``LOCKOUT`` — 80 bits need no more, it only stops noise and log flooding. Each try is counted
before its code is looked at, holding the client's row lock, so concurrent tries cannot get
more than ``MAX_FAILURES`` evaluated.

Privacy. Pass health from TLM frames updates ``device.health`` of *known* passes only (battery,
temperature, counts and the day it was reported: not the gateway nor the time, which would be a
sighting outside the consent gate); unknown identities are ignored and nothing of them is kept;
the heartbeat stored on the gateway keeps counts, never identities.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core import credentials
from crm.core.errors import Problem
from crm.core.ratelimit import client_network
from crm.core.vocabulary import uid_identity
from crm.destinations.models import Site
from crm.fleet.schemas import (
    CLAIM_ALPHABET,
    ConfigOverride,
    ConfigSections,
    EnrollOut,
    GatewayConfigDocument,
    HeartbeatAck,
    HeartbeatIn,
    OfficeGatewayConfig,
)
from crm.gateways import service as gateways_service
from crm.gateways.models import Gateway

SECTIONS = ("scan", "presence", "advertise", "upload")

# What every gateway gets unless overridden: docs/architecture.md's presence settings and the upload
# cadence. Hardware-specific keys (adapter, rx_offset_db) are left to the gateway's own file.
DEFAULTS: dict[str, dict[str, Any]] = {
    "scan": {"mode": "active"},
    "presence": {
        "enter_rssi_dbm": -75.0,
        "exit_rssi_dbm": -85.0,
        "exit_timeout_s": 60.0,
        "dwell_interval_s": 60.0,
        "min_sightings": 2,
    },
    "advertise": {},
    "upload": {"batch_max": 500, "interval_s": 5.0},
}

CLAIM_TTL = timedelta(hours=24)
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


# --- remote config --------------------------------------------------------------------------


def merge(defaults: dict[str, dict[str, Any]], override: dict[str, Any]) -> dict[str, Any]:
    """Section by section, the override's keys over the defaults'."""
    out: dict[str, Any] = {name: dict(defaults.get(name, {})) for name in SECTIONS}
    for name in SECTIONS:
        out[name].update(override.get(name) or {})
    return out


def effective_sections(
    override: dict[str, Any], namespaces: list[str], *, max_events: int
) -> dict[str, Any]:
    """The four sections served to a gateway, validated (``ValueError`` names the bad key)."""
    merged = merge(DEFAULTS, override)
    upload = merged["upload"]
    batch_max = upload.get("batch_max")
    if isinstance(batch_max, int) and batch_max > max_events:
        upload["batch_max"] = max_events  # every batch would be a 413 and halved
    scan = merged["scan"]
    wanted = set(namespaces) | set(scan.get("namespaces") or ())
    if scan.get("reference_beacon"):
        wanted.add(scan["reference_beacon"].split(":")[0])
    if wanted:
        scan["namespaces"] = sorted(wanted)
    else:
        # An empty list would mean "keep every UID" and clobber a local filter: say nothing.
        scan.pop("namespaces", None)
    sections = ConfigSections.model_validate(merged).check_effective()
    return sections.to_document()


def check_limits(override: dict[str, Any], *, max_events: int) -> None:
    """Refuse an override this CRM could not honour (``ValueError`` names the key)."""
    batch_max = (override.get("upload") or {}).get("batch_max")
    if isinstance(batch_max, int) and batch_max > max_events:
        raise ValueError(
            f"upload.batch_max: at most {max_events} events per batch (this CRM's "
            f"BALISE_INGEST_MAX_EVENTS), got {batch_max}"
        )


def document_content(
    override: dict[str, Any], namespaces: list[str], *, max_events: int
) -> dict[str, Any]:
    """Everything a config document says besides its gateway and version."""
    return {
        **effective_sections(override, namespaces, max_events=max_events),
        "limits": {"max_events_per_batch": max_events},
    }


def canonical(value: Any) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def etag_of(document: GatewayConfigDocument) -> str:
    """Strong ETag of a config document (hash of its canonical JSON, version included)."""
    return '"' + hashlib.sha256(canonical(document.model_dump(mode="json"))).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against the current ETag."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == bare for candidate in if_none_match.split(",")
    )


async def pass_namespaces(session: AsyncSession, destination_id: uuid.UUID) -> list[str]:
    """The UID namespaces of every registered pass of the destination."""
    rows = await session.execute(
        text(
            "SELECT DISTINCT split_part(identity, ':', 2) FROM device "
            "WHERE destination_id = :dest AND kind = 'eddystone-uid'"
        ),
        {"dest": destination_id},
    )
    return sorted(ns for (ns,) in rows if len(ns) == 20)


_GATEWAY_EXISTS = "SELECT id FROM gateway WHERE id = :id"
_GATEWAY_FOR_UPDATE = _GATEWAY_EXISTS + " FOR UPDATE"


async def _gateway(session: AsyncSession, gateway_id: str, *, lock: bool = False) -> Gateway:
    query = _GATEWAY_FOR_UPDATE if lock else _GATEWAY_EXISTS
    if (await session.execute(text(query), {"id": gateway_id})).first() is None:
        raise Problem(404, "Not Found", f"no gateway {gateway_id!r}")
    gateway = await session.get(Gateway, gateway_id, populate_existing=True)
    assert gateway is not None
    return gateway


async def current_config(
    session: AsyncSession, gateway: Gateway, *, max_events: int
) -> tuple[GatewayConfigDocument, str]:
    """The gateway's document and ETag; bumps ``config_version`` if the content changed."""
    namespaces = await pass_namespaces(session, gateway.destination_id)
    try:
        content = document_content(gateway.config_override or {}, namespaces, max_events=max_events)
    except (ValueError, ValidationError) as exc:  # an override stored before a rule tightened
        raise Problem(
            500, "Internal Server Error", f"stored config override invalid: {exc}"
        ) from None
    content_hash = hashlib.sha256(canonical(content)).hexdigest()
    version = gateway.config_version
    if gateway.config_hash != content_hash:
        bumped = (
            await session.execute(
                text(
                    "UPDATE gateway SET config_version = config_version + 1, config_hash = :h "
                    "WHERE id = :id AND config_hash IS DISTINCT FROM :h RETURNING config_version"
                ),
                {"h": content_hash, "id": gateway.id},
            )
        ).first()
        if bumped is None:  # a concurrent reader bumped it first
            row = (
                await session.execute(
                    text("SELECT config_version FROM gateway WHERE id = :id"), {"id": gateway.id}
                )
            ).one()
            version = int(row[0])
        else:
            version = int(bumped[0])
        gateway.config_version, gateway.config_hash = version, content_hash
    document = GatewayConfigDocument.model_validate(
        {"gateway_id": gateway.id, "config_version": version, **content}
    )
    return document, etag_of(document)


async def gateway_config(
    session: AsyncSession, gateway_id: str, *, max_events: int
) -> tuple[GatewayConfigDocument, str]:
    """``GET /api/v1/gateway/config`` for ``gateway_id`` (``max_events``: the ingest limit)."""
    gateway = await _gateway(session, gateway_id)
    return await current_config(session, gateway, max_events=max_events)


def _validation_problem(exc: ValueError | ValidationError) -> Problem:
    if isinstance(exc, ValidationError):
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
    else:
        errors = []
        detail = str(exc)
    return Problem(422, "Unprocessable Content", detail, errors=errors)


async def office_config(
    session: AsyncSession, gateway_id: str, *, max_events: int
) -> OfficeGatewayConfig:
    """The office's view of a gateway's config."""
    gateway = await _gateway(session, gateway_id)
    return await _office_view(session, gateway, max_events)


async def _office_view(
    session: AsyncSession, gateway: Gateway, max_events: int
) -> OfficeGatewayConfig:
    document, etag = await current_config(session, gateway, max_events=max_events)
    applied = (gateway.heartbeat or {}).get("applied_config_version")
    return OfficeGatewayConfig(
        gateway_id=gateway.id,
        config_version=document.config_version,
        config_etag=etag,
        override=gateway.config_override or {},
        effective=document,
        applied_config_version=applied if isinstance(applied, int) else None,
        last_heartbeat_at=gateway.last_heartbeat_at,
    )


async def set_override(
    session: AsyncSession, gateway_id: str, override: ConfigOverride, *, max_events: int
) -> OfficeGatewayConfig:
    """Replace a gateway's override; 422 naming the key when the result would be invalid."""
    gateway = await _gateway(session, gateway_id, lock=True)
    document = override.to_document()
    try:
        check_limits(document, max_events=max_events)
        namespaces = await pass_namespaces(session, gateway.destination_id)
        effective_sections(document, namespaces, max_events=max_events)
    except (ValueError, ValidationError) as exc:
        raise _validation_problem(exc) from None
    await session.execute(
        text("UPDATE gateway SET config_override = CAST(:doc AS jsonb) WHERE id = :id"),
        {"doc": canonical(document).decode(), "id": gateway.id},
    )
    gateway.config_override = document
    return await _office_view(session, gateway, max_events)


# --- heartbeat --------------------------------------------------------------------------------

_HEALTH = """
WITH h AS (
    SELECT * FROM unnest(CAST(:kinds AS text[]), CAST(:keys AS text[]), CAST(:docs AS text[]))
        WITH ORDINALITY AS t(kind, key, doc, ord)
),
target AS (
    SELECT DISTINCT ON (device_id) device_id, doc FROM (
        SELECT d.id AS device_id, h.doc, h.ord FROM h
        JOIN device d ON h.kind = 'u' AND d.destination_id = :dest AND d.identity = h.key
        UNION ALL
        SELECT w.device_id, h.doc, h.ord FROM h
        JOIN eid_window w ON h.kind = 'e' AND w.destination_id = :dest
            AND w.eid = decode(h.key, 'hex')
    ) AS m
    ORDER BY device_id, ord DESC
)
UPDATE device SET health = device.health || CAST(target.doc AS jsonb)
FROM target WHERE device.id = target.device_id AND device.destination_id = :dest
RETURNING device.id
"""


async def update_pass_health(
    session: AsyncSession, destination_id: uuid.UUID, heartbeat: HeartbeatIn, now: datetime
) -> int:
    """Write the TLM health of known passes into ``device.health``; returns how many."""
    kinds: list[str] = []
    keys: list[str] = []
    docs: list[str] = []
    for health in heartbeat.passes:
        device = health.device
        if device["type"] == "eddystone-eid":
            kinds.append("e")
            keys.append(device["eid"])
        else:
            kinds.append("u")
            keys.append(uid_identity(device["namespace"], device["instance"]))
        docs.append(
            json.dumps(
                {
                    # TLM says 0 mV when the pass does not measure its battery
                    "battery_mv": health.battery_mv or None,
                    "temperature_c": health.temperature_c,
                    "adv_count": health.adv_count,
                    "uptime_s": health.uptime_s,
                    "reported_on": now.date().isoformat(),
                }
            )
        )
    if not keys:
        return 0
    result = await session.execute(
        text(_HEALTH), {"kinds": kinds, "keys": keys, "docs": docs, "dest": destination_id}
    )
    return len(result.all())


async def record_heartbeat(
    session: AsyncSession,
    gateway_id: str,
    heartbeat: HeartbeatIn,
    now: datetime,
    *,
    max_events: int,
) -> HeartbeatAck:
    """Store a heartbeat on the gateway, update pass health, say whether to pull the config."""
    if heartbeat.gateway_id != gateway_id:
        raise Problem(
            403, "Forbidden", f"gateway_id {heartbeat.gateway_id!r} is not this token's gateway"
        )
    gateway = await _gateway(session, gateway_id, lock=True)
    updated = await update_pass_health(session, gateway.destination_id, heartbeat, now)
    document, etag = await current_config(session, gateway, max_events=max_events)
    stored = heartbeat.model_dump(mode="json", exclude={"passes", "config_version"})
    stored.update(
        applied_config_version=heartbeat.config_version,
        received_at=now.isoformat(),
        clock_offset_s=round((now - heartbeat.sent_at).total_seconds(), 3),
        passes_reported=len(heartbeat.passes),
        passes_updated=updated,
    )
    await session.execute(
        text(
            "UPDATE gateway SET heartbeat = CAST(:doc AS jsonb), last_heartbeat_at = :now "
            "WHERE id = :id"
        ),
        {"doc": canonical(stored).decode(), "now": now, "id": gateway.id},
    )
    if heartbeat.config_etag is not None:
        stale = heartbeat.config_etag != etag
    else:
        stale = heartbeat.config_version != document.config_version
    return HeartbeatAck(
        config_version=document.config_version,
        config_etag=etag,
        config_stale=stale,
        passes_updated=updated,
        server_time=now,
    )


# --- claim codes ------------------------------------------------------------------------------


def new_claim_code() -> str:
    """A fresh claim code: ``XXXX-XXXX-XXXX-XXXX`` in Crockford base32 (80 random bits)."""
    raw = "".join(secrets.choice(CLAIM_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalize_claim(code: str) -> str | None:
    """The canonical 16 characters of a typed code (case, dashes, O/0 and I/L/1 forgiven)."""
    cleaned = code.upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(cleaned) != 16 or any(c not in CLAIM_ALPHABET for c in cleaned):
        return None
    return cleaned


async def issue_claim(session: AsyncSession, gateway: Gateway, now: datetime) -> str:
    """A new claim code for ``gateway`` (earlier unused codes are revoked)."""
    await credentials.revoke(session, "claim", subject=gateway.id, now=now)
    code = new_claim_code()
    normalized = normalize_claim(code)
    assert normalized is not None
    await credentials.issue(
        session,
        "claim",
        gateway.id,
        gateway.destination_id,
        secret=normalized,
        now=now,
        expires_at=now + CLAIM_TTL,
    )
    return code


async def add_gateway_with_claim(
    session: AsyncSession, name: str, site: Site, now: datetime
) -> tuple[Gateway, str]:
    """Register gateway ``name`` at ``site`` with a claim code instead of a token."""
    gateway = await gateways_service.register_gateway(session, name, site)
    return gateway, await issue_claim(session, gateway, now)


async def reissue_claim(session: AsyncSession, gateway_id: str, now: datetime) -> str:
    """A claim code for an existing gateway (a replaced SD card, a new Pi)."""
    return await issue_claim(session, await _gateway(session, gateway_id), now)


def client_key(host: str | None) -> str:
    """Who is counted for lockout: the IPv4 address, or the /64 of an IPv6 one."""
    return client_network(host)


@dataclass(frozen=True, slots=True)
class Refused:
    """An enrolment refused; the failure is recorded and must be committed."""

    problem: Problem


# Counts the try before the code is looked at, in one statement that locks the client's row
# until the transaction ends: concurrent tries of one client queue on it, and each sees the
# count the previous one left (a check before and a count after let 60 concurrent wrong codes
# have 22 tries). A lockout that has run its course, or a window gone by, starts afresh.
_COUNT_TRY = """
INSERT INTO claim_attempt AS a (client, failures, first_failure_at, locked_until)
VALUES (:c, 1, :now, NULL)
ON CONFLICT (client) DO UPDATE SET
    failures = CASE WHEN a.locked_until > :now THEN a.failures
                    WHEN a.locked_until IS NOT NULL OR a.first_failure_at < :window_start THEN 1
                    ELSE a.failures + 1 END,
    first_failure_at = CASE WHEN a.locked_until > :now THEN a.first_failure_at
                            WHEN a.locked_until IS NOT NULL OR a.first_failure_at < :window_start
                            THEN :now
                            ELSE a.first_failure_at END,
    locked_until = CASE WHEN a.locked_until > :now THEN a.locked_until END
RETURNING failures, locked_until
"""


async def _count_try(session: AsyncSession, client: str, now: datetime) -> datetime | None:
    """Count a try against ``client`` (row-locked till commit); when it is locked out, until."""
    row = (
        await session.execute(
            text(_COUNT_TRY),
            {"c": client, "now": now, "window_start": now - FAILURE_WINDOW},
        )
    ).one()
    locked: datetime | None = row[1]
    return locked


async def _record_failure(session: AsyncSession, client: str, now: datetime) -> None:
    """The counted try was wrong: the ``MAX_FAILURES``-th within the window locks the client."""
    await session.execute(
        text(
            "UPDATE claim_attempt SET locked_until = :locked WHERE client = :c AND failures >= :max"
        ),
        {"c": client, "max": MAX_FAILURES, "locked": now + LOCKOUT},
    )
    # Forget stale counters as we go (the table only ever holds recent offenders).
    await forget_stale_attempts(session, now, keep=client)


async def forget_stale_attempts(session: AsyncSession, now: datetime, keep: str = "") -> int:
    """Delete failure counters too old to count or lock (installers' addresses: kept no longer
    than the lockout needs them); ``keep`` names a client being counted right now."""
    result = await session.execute(
        text("DELETE FROM claim_attempt WHERE first_failure_at < :old AND client <> :keep"),
        {"old": now - FAILURE_WINDOW - LOCKOUT, "keep": keep},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _locked_problem(until: datetime, now: datetime) -> Problem:
    wait = max(1, int((until - now).total_seconds()) + 1)
    return Problem(
        429,
        "Too Many Requests",
        f"too many wrong claim codes from this address; try again in {wait} s",
        headers={"Retry-After": str(wait)},
    )


async def enroll(
    session: AsyncSession, code: str, client: str, now: datetime, *, max_events: int
) -> EnrollOut | Refused:
    """Exchange a claim code, once, for the gateway's token and config (system session).

    Returns :class:`Refused` rather than raising, so the caller commits the failure count.
    Every try is counted first (see ``_COUNT_TRY``); a right code clears the count.
    """
    locked = await _count_try(session, client, now)
    if locked is not None:
        return Refused(_locked_problem(locked, now))
    normalized = normalize_claim(code)
    claimed = None
    if normalized is not None:
        claimed = await credentials.redeem(session, normalized, "claim", now)
    if claimed is None:
        reason = "unknown"
        if normalized is not None:
            reason = await credentials.state(session, normalized, "claim")
        await _record_failure(session, client, now)
        detail = {
            "unknown": "this claim code is unknown: check it, or ask the office for a new one",
            "used": "this claim code was already used; ask the office for a new one",
            "expired": "this claim code has expired (24 h); ask the office for a new one",
        }[reason]
        return Refused(Problem(403, "Forbidden", detail, reason=reason))
    gateway = await _gateway(session, claimed)
    # The claim replaces whatever Pi held this gateway's identity before.
    await gateways_service.revoke_tokens(session, gateway.id)
    token = await gateways_service.issue_token(session, gateway)
    await session.execute(text("DELETE FROM claim_attempt WHERE client = :c"), {"c": client})
    document, etag = await current_config(session, gateway, max_events=max_events)
    return EnrollOut(gateway_id=gateway.id, token=token, config=document, config_etag=etag)
