"""What the tests of uploading share: numbered events to queue, and a CRM that takes them.

``event(n)`` is event number ``n`` (its id ends in ``n``, observed ``n`` seconds after ``at``);
``gunzipped`` reads a request body as the gateway sends it; ``accept`` answers a batch as the CRM
does when it takes it; ``Crm`` is a whole CRM for ``httpx2.MockTransport`` that records what it
is sent.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx2

from beacon_gateway.events import EventKind, ProximityEvent, uid_identity
from beacon_gateway.fleet_client import HEARTBEAT_PATH
from beacon_gateway.uploader import EVENTS_PATH

T0 = 1_795_600_000.0  # 2026-11-25T09:46:40Z
IDENT = uid_identity(bytes(10), bytes(6))


def event(
    n: int,
    kind: EventKind = "enter",
    *,
    at: float = T0,
    rssi: float = -60.0,
    distance_m: float = 1.0,
) -> ProximityEvent:
    """Event ``n`` of one pass (all zeros); an enter has dwelt 0 s, any later kind 60 s."""
    return ProximityEvent(
        id=f"00000000-0000-7000-8000-{n:012d}",
        seq=0,
        kind=kind,
        observed_at=at + n,
        identity=IDENT,
        rssi=rssi,
        distance_m=distance_m,
        zone="near",
        dwell_s=0.0 if kind == "enter" else 60.0,
    )


def gunzipped(request: httpx2.Request) -> dict[str, Any]:
    """The JSON body of a gateway's request (always gzipped)."""
    body: dict[str, Any] = json.loads(gzip.decompress(request.content))
    return body


def accept(body: dict[str, Any], rejected: list[dict[str, str]] | None = None) -> httpx2.Response:
    """The CRM's answer to the batch ``body``: every event accepted but the ``rejected`` ones."""
    rejected = rejected or []
    n = len(body["events"]) - len(rejected)
    return httpx2.Response(200, json={"accepted": n, "duplicates": 0, "rejected": rejected})


class Crm:
    """A CRM that accepts every batch and every heartbeat ("config not stale").

    It keeps the events and heartbeats it was sent; a config fetch is answered with
    ``config_status`` alone (304: nothing new; 404: no document).
    """

    def __init__(self, config_status: int = 304) -> None:
        self.config_status = config_status
        self.events: list[dict[str, Any]] = []
        self.heartbeats: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path == EVENTS_PATH:
            body = gunzipped(request)
            self.events.extend(body["events"])
            return accept(body)
        if request.url.path == HEARTBEAT_PATH:
            self.heartbeats.append(gunzipped(request))
            return httpx2.Response(200, json={"config_stale": False})
        return httpx2.Response(self.config_status)
