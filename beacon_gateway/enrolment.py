"""Enrolment, on the gateway's side: a one-time claim code for the gateway's identity.

``POST /api/v1/gateway/enroll`` exchanges the code the office reads to the installer for the
gateway's id, its bearer token and its first remote config (``beacon-gateway enroll`` writes the
token file 0600 and the config). The CRM's models (``crm/fleet/schemas.py``) are the
source of truth for the payloads.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import httpx2

from beacon_gateway.remote_config import RemoteConfig

__all__ = [
    "CODE_HINT",
    "ENROLL_PATH",
    "CrmUnreachable",
    "Enrollment",
    "EnrolmentError",
    "check_code",
    "enroll",
]

ENROLL_PATH = "/api/v1/gateway/enroll"
CODE_HINT = "16 letters and digits, e.g. 7KQ2-M9XD-4HTA-PW3C"
_CODE = re.compile(r"[0-9A-Za-z]{16}")


class EnrolmentError(RuntimeError):
    """The CRM refused the code or could not be reached; the message says why."""


class CrmUnreachable(EnrolmentError):
    """No answer from the CRM (network, address): the code was not used."""


def check_code(code: str) -> None:
    """Raise :class:`EnrolmentError` unless ``code`` has a claim code's shape (dashes and
    spaces ignored, either case): caught before anything is sent."""
    if not _CODE.fullmatch(code.replace("-", "").replace(" ", "")):
        raise EnrolmentError(f"{code!r} is not a claim code ({CODE_HINT})")


@dataclass(frozen=True, slots=True)
class Enrollment:
    """What a claim code is exchanged for."""

    gateway_id: str
    token: str
    config: RemoteConfig


async def enroll(client: httpx2.AsyncClient, crm_url: str, code: str) -> Enrollment:
    """Exchange a one-time claim code for the gateway's id, token and config.

    Raises :class:`EnrolmentError` when the code is refused or the CRM cannot be reached.
    """
    url = crm_url.rstrip("/") + ENROLL_PATH
    try:
        resp = await client.post(url, json={"code": code.strip()}, timeout=30.0)
    except httpx2.HTTPError as exc:
        raise CrmUnreachable(f"{type(exc).__name__}: {exc}") from exc
    if resp.status_code != 200:
        detail = ""
        with contextlib.suppress(ValueError, AttributeError):
            detail = str(resp.json().get("detail") or "")
        hint = {
            403: "unknown, expired or already used code: ask the office for a new one",
            422: f"that is not a claim code ({CODE_HINT})",
            429: "too many wrong codes from this address: wait 15 minutes",
        }.get(resp.status_code, "")
        raise EnrolmentError(f"HTTP {resp.status_code}: {detail or hint or resp.text[:200]}")
    try:
        body = resp.json()
        document = dict(body["config"])
        return Enrollment(
            gateway_id=str(body["gateway_id"]),
            token=str(body["token"]),
            config=RemoteConfig(
                int(document["config_version"]), str(body.get("config_etag") or ""), document
            ),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise EnrolmentError(f"the CRM's answer is not an enrolment: {exc}") from exc
