"""``GET /r/{token}/events``: the visitor's live events (Server-Sent Events), and the page's
script that shows them (``GET /live/live.js``).

The stream (``text/event-stream``, never stored):

- ``retry: 3000`` and an ``event: ready`` whose ``id:`` is the stream's starting cursor, once
  the stream is subscribed: from then on nothing is missed, even across a reconnect before any
  welcome;
- ``event: welcome`` per visit the visitor opened (entered a site), ``id:`` the visit's cursor,
  ``data:`` JSON ``{"kind": "enter", "site": {"name", "slug"}, "message", "at"}`` with the
  message in the visitor's language;
- a ``: keep-alive`` comment every ``HEARTBEAT_S`` seconds, so proxies keep it open (and, if the
  worker's listener is down, a read of the visit table in its place).

On reconnect the browser sends the last ``id:`` as ``Last-Event-ID``; the stream resumes after
it (roadbook/live/service.py); ``?after=`` does the same for a new ``EventSource`` (the page's
script opens one when the browser gave up, e.g. on a 503 while the database restarted).

The token is checked as on every ``/r/{token}`` URL (404 for an unknown or revoked one); the
stream reads under the visitor's tenant, only the visitor's own visits, in short sessions (no
pooled connection is held while it waits). Visits exist only for visitors who consented to
``proximity`` (ingest's consent gate), so the stream asks for no consent of its own: it shows
visitors their own data.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Annotated

import structlog
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.sse import format_sse_event
from sqlalchemy.exc import SQLAlchemyError

from crm.core.db import Database
from crm.core.deps import DbDep, SettingsDep
from crm.visitors.deps import Token, VisitorDep
from crm.visitors.models import Visitor
from roadbook.live.hub import SERVICE, Hub
from roadbook.live.service import PAGE, Cursor, start_cursor, welcomes_after

EVENT_STREAM = "text/event-stream"
HEARTBEAT_S = 15.0
RETRY_MS = 3000
SCRIPT = Path(__file__).parent / "live.js"
SCRIPT_PATH = "/live/live.js"
KEEP_ALIVE = b": keep-alive\n\n"

router = APIRouter(tags=["roadbook"])
log = structlog.get_logger(__name__)

LastEventId = Annotated[
    str | None,
    Header(
        alias="Last-Event-ID",
        max_length=80,
        description="The last event id this browser received (sent back on reconnection)",
    ),
]


After = Annotated[
    str | None,
    Query(
        max_length=80,
        description="Resume after this event id, for a new EventSource (which sends no "
        "Last-Event-ID); the header wins when both are given",
    ),
]


def hub_of(request: Request) -> Hub | None:
    """The worker's hub (a lifespan service), if the app was started with its lifespan."""
    hub = getattr(request.app.state, "services", {}).get(SERVICE)
    return hub if isinstance(hub, Hub) else None


async def _events(
    db: Database, hub: Hub, visitor: Visitor, cursor: Cursor, gap_s: float, heartbeat_s: float
) -> AsyncIterator[bytes]:
    if hub.closing:
        return
    subscription = hub.subscribe(visitor.id)
    try:
        yield format_sse_event(event="ready", data_str="{}", id=str(cursor), retry=RETRY_MS)
        pending = True  # first, what is already there (a reconnect's missed visits)
        while True:
            while pending:
                try:
                    async with db.session(visitor.destination_id) as session:
                        welcomes = await welcomes_after(session, visitor, cursor, gap_s)
                except (SQLAlchemyError, OSError) as exc:
                    # the database is away: keep the stream, read again at the next wake-up or
                    # heartbeat (a reconnect now would meet a 503 and end the EventSource)
                    log.warning("live_read_failed", error=type(exc).__name__)
                    break
                for welcome in welcomes:
                    cursor = welcome.cursor
                    yield format_sse_event(
                        event="welcome",
                        data_str=json.dumps(welcome.data(), ensure_ascii=False),
                        id=str(cursor),
                    )
                pending = len(welcomes) == PAGE  # a full page: there may be more
            try:
                async with asyncio.timeout(heartbeat_s):
                    await subscription.wait()
                pending = True
                if hub.closing:
                    return  # the worker is stopping: the browser reconnects (Last-Event-ID)
            except TimeoutError:
                yield KEEP_ALIVE
                # no listener (database restarting): read instead of waiting for a notice
                pending = pending or not hub.listening.is_set()
    finally:
        hub.unsubscribe(subscription)


@router.get(
    "/r/{token}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: `ready`, then a `welcome` per site the visitor "
            "enters; `Last-Event-ID` resumes after that event",
            "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
        },
        204: {"description": "No live events in this worker (the browser stops asking)"},
        404: {"description": "Unknown or revoked token"},
    },
)
async def events(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    token: Token,
    visitor: VisitorDep,
    last_event_id: LastEventId = None,
    after: After = None,
) -> Response:
    """The visitor's live events: a welcome card's content each time they enter a site."""
    hub = hub_of(request)
    if hub is None:
        # An app served without its lifespan (an in-process test client) has no listener: 204
        # is what tells an EventSource to stop reconnecting (HTML § Server-sent events).
        log.warning("live_events_unavailable")
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    cursor = start_cursor(last_event_id or after)
    return StreamingResponse(
        _events(db, hub, visitor, cursor, settings.visit_gap_s, HEARTBEAT_S),
        media_type=EVENT_STREAM,
        headers={
            "Cache-Control": "no-store",
            # nginx and its kin: pass each event on at once
            "X-Accel-Buffering": "no",
        },
    )


@cache
def _script() -> tuple[bytes, str]:
    body = SCRIPT.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


@router.get(
    SCRIPT_PATH,
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Unchanged"}},
)
async def script(if_none_match: Annotated[str | None, Header(max_length=200)] = None) -> Response:
    """The roadbook page's live script: follows the events, shows a welcome card."""
    body, etag = _script()
    headers = {"Cache-Control": "no-cache", "ETag": etag}
    if if_none_match is not None and etag in if_none_match:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)
