"""/r/{token}/events on a real uvicorn: an ingest batch that opens a visit, the visits follower,
its NOTIFY, the worker's listener and the visitor's stream, end to end over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.ingest.schemas import rfc3339
from roadbook.live import hub as live_hub
from roadbook.live import router as live_router
from tests.conftest import LiveServer
from tests.roadbook.live.live_support import (
    EventReader,
    Place,
    enter,
    follow,
    post_batch,
    seed_place,
    visit_id,
)

SITES = {"zoo": "Zoo d'Amnéville", "spa": "Thermapolis"}
PEOPLE = {"lea": "fr", "tom": "en"}
NIL = "00000000-0000-0000-0000-000000000000"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    """The CRM on a real uvicorn (no scheduler: the test runs the follower when it wants)."""
    return live_server


@pytest.fixture
def free_tcp_port() -> int:
    from tests.conftest import free_port

    return free_port()


@pytest.fixture
async def place(committed_db: Database) -> Place:
    return await seed_place(committed_db, SITES, PEOPLE)


@pytest.fixture
async def place_in_rollback(db: Database) -> Place:
    return await seed_place(db, SITES, PEOPLE)


@asynccontextmanager
async def stream(
    server: LiveServer, token: str, last_event_id: str | None = None, after: str | None = None
) -> AsyncIterator[EventReader]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    params = {"after": after} if after is not None else {}
    async with (
        httpx2.AsyncClient(base_url=server.url, timeout=30) as client,
        client.stream("GET", f"/r/{token}/events", headers=headers, params=params) as response,
    ):
        assert response.status_code == 200
        yield EventReader(response)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_visit_opened_by_a_batch_is_welcomed_within_two_seconds_and_resent_after(
    server: LiveServer, committed_db: Database, place: Place
) -> None:
    async with httpx2.AsyncClient(base_url=server.url, timeout=30) as gateway:
        async with stream(server, place.tokens["lea"]) as lea:
            headers = lea.response.headers
            assert headers["content-type"].startswith("text/event-stream")
            assert headers["cache-control"] == "no-store"
            ready = await lea.next_event()
            assert ready.event == "ready"
            assert ready.retry == 3000
            # a stream opened without Last-Event-ID starts two minutes back
            assert ready.id is not None and ready.id.endswith(f"_{NIL}")
            started_us = int(ready.id.split("_")[0])
            assert abs(started_us / 1e6 - (time.time() - 120)) < 30
            first_cursor = ready.id

            # Tom enters the spa first: his visit is not Léa's business
            await post_batch(gateway, place, "spa", enter(place, "spa", "tom"))
            assert await follow(committed_db) == 1

            entered = utcnow() - timedelta(seconds=3)
            started = time.monotonic()
            async with asyncio.timeout(2):
                await post_batch(gateway, place, "zoo", enter(place, "zoo", "lea", entered))
                assert await follow(committed_db) == 1
                welcome = await lea.next_event()
            assert time.monotonic() - started < 2
            # the first event after Tom's visit is Léa's own
            assert welcome.event == "welcome"
            assert welcome.data is not None
            data = json.loads(welcome.data)
            assert data.pop("at").endswith("Z")
            # the destination's clock (Europe/Paris, its default), as the page's other times
            paris = entered.astimezone(ZoneInfo("Europe/Paris"))
            assert data == {
                "kind": "enter",
                "site": {"name": "Zoo d'Amnéville", "slug": "zoo"},
                "message": "Bienvenue\u00a0! Zoo d'Amnéville vous accueille.",
                "time": f"{paris.hour:02d}:{paris.minute:02d}",
            }
            zoo = await visit_id(committed_db, place, "lea", "zoo")
            first_us = (entered - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
            assert welcome.id == f"{first_us}_{zoo}"
            zoo_cursor = welcome.id

        # Léa's stream is closed: she enters the spa meanwhile
        await post_batch(gateway, place, "spa", enter(place, "spa", "lea"))
        assert await follow(committed_db) == 1
    spa = await visit_id(committed_db, place, "lea", "spa")

    # reconnecting after the zoo's welcome: the spa's is resent, not the zoo's again
    async with stream(server, place.tokens["lea"], zoo_cursor) as lea:
        ready = await lea.next_event()
        assert (ready.event, ready.id) == ("ready", zoo_cursor)
        again = await lea.next_event()
        assert again.event == "welcome"
        assert again.id is not None and again.id.endswith(f"_{spa}")
        assert json.loads(again.data or "")["site"] == {"name": "Thermapolis", "slug": "spa"}

    # reconnecting after the first ready: both, in the order she entered them
    async with stream(server, place.tokens["lea"], first_cursor) as lea:
        assert (await lea.next_event()).event == "ready"
        ids = [(await lea.next_event()).id for _ in range(2)]
        assert ids == [zoo_cursor, again.id]

    # a new EventSource (no Last-Event-ID) resumes with ?after=; the header wins over it
    async with stream(server, place.tokens["lea"], after=zoo_cursor) as lea:
        assert [(await lea.next_event()).id for _ in range(2)] == [zoo_cursor, again.id]
    async with stream(server, place.tokens["lea"], first_cursor, after=zoo_cursor) as lea:
        assert [(await lea.next_event()).id for _ in range(3)] == [first_cursor, *ids]

    # Tom's stream, from the very beginning, in English: his spa visit only
    async with stream(server, place.tokens["tom"], f"0_{NIL}") as tom:
        assert (await tom.next_event()).event == "ready"
        his = await tom.next_event()
        assert his.event == "welcome"
        assert json.loads(his.data or "")["message"] == "Welcome to Thermapolis!"
        tom_spa = await visit_id(committed_db, place, "tom", "spa")
        assert his.id is not None and his.id.endswith(f"_{tom_spa}")
        assert his.id not in (zoo_cursor, again.id)


async def test_a_visit_already_left_or_stale_gets_no_welcome(
    server: LiveServer, committed_db: Database, place: Place
) -> None:
    long_ago = utcnow() - timedelta(hours=3)
    async with httpx2.AsyncClient(base_url=server.url, timeout=30) as gateway:
        # a gateway uploading late: Léa was at the zoo three hours ago (and nothing since)
        await post_batch(gateway, place, "zoo", enter(place, "zoo", "lea", long_ago))
        # she went in and out of the spa (an exit closes the visit)
        body = enter(place, "spa", "lea", utcnow() - timedelta(seconds=30))
        exit_event = {**body["events"][0], "id": str(uuid.uuid4()), "seq": 2, "kind": "exit"}  # type: ignore[index]
        exit_event["observed_at"] = rfc3339(utcnow() - timedelta(seconds=5))
        body["events"] = [*body["events"], exit_event]  # type: ignore[misc]
        await post_batch(gateway, place, "spa", body)
        assert await follow(committed_db) == 3
        async with stream(server, place.tokens["lea"], f"0_{NIL}") as lea:
            assert (await lea.next_event()).event == "ready"
            # then she enters the zoo again: that one, and only that one, is welcomed
            await post_batch(gateway, place, "zoo", enter(place, "zoo", "lea"))
            assert await follow(committed_db) == 1
            welcome = await lea.next_event()
    assert welcome.event == "welcome"
    data = json.loads(welcome.data or "")
    assert data["site"]["slug"] == "zoo"
    assert _at(data["at"]) > long_ago + timedelta(hours=2)


async def test_heartbeats_keep_the_stream_open(
    server: LiveServer, place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_router, "HEARTBEAT_S", 0.2)
    async with stream(server, place.tokens["lea"]) as lea:
        assert (await lea.next_event()).event == "ready"
        async with asyncio.timeout(5):
            beats = [await lea.next() for _ in range(2)]
    assert [b.comments for b in beats] == [["keep-alive"], ["keep-alive"]]
    assert all(b.event is None and b.data is None for b in beats)


async def test_a_failed_read_keeps_the_stream_and_is_done_again(
    server: LiveServer, committed_db: Database, place: Place, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database away for a moment: the stream stays open and reads again when woken."""
    read = live_router.welcomes_after
    failures: list[str] = []

    async def flaky(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append("once")
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return await read(*args, **kwargs)

    monkeypatch.setattr(live_router, "welcomes_after", flaky)
    async with (
        httpx2.AsyncClient(base_url=server.url, timeout=30) as gateway,
        stream(server, place.tokens["lea"]) as lea,
    ):
        assert (await lea.next_event()).event == "ready"
        await post_batch(gateway, place, "zoo", enter(place, "zoo", "lea"))
        assert await follow(committed_db) == 1
        async with asyncio.timeout(2):
            welcome = await lea.next_event()
    assert failures == ["once"]
    assert json.loads(welcome.data or "")["site"]["slug"] == "zoo"


async def test_bad_token_and_unreadable_last_event_id(server: LiveServer, place: Place) -> None:
    async with httpx2.AsyncClient(base_url=server.url, timeout=30) as client:
        missing = await client.get(f"/r/{'x' * 32}/events")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        too_long = await client.get(
            f"/r/{place.tokens['lea']}/events", headers={"Last-Event-ID": "9" * 81}
        )
        assert too_long.status_code == 422
        assert too_long.headers["content-type"] == "application/problem+json"
    # an id this server did not write (an older version's, a proxy's) starts afresh
    async with stream(server, place.tokens["lea"], "garbage") as lea:
        ready = await lea.next_event()
        assert ready.event == "ready"
        assert ready.id is not None and ready.id.endswith(f"_{NIL}")


async def test_the_script_is_served_and_revalidated(server: LiveServer) -> None:
    async with httpx2.AsyncClient(base_url=server.url, timeout=30) as client:
        script = await client.get("/live/live.js")
        assert script.status_code == 200
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert "new EventSource(" in script.text
        assert "innerHTML" not in script.text
        etag = script.headers["etag"]
        again = await client.get("/live/live.js", headers={"If-None-Match": etag})
        assert again.status_code == 304


async def _live_backends(url: str) -> list[int]:
    async with await psycopg.AsyncConnection.connect(_dsn(url), autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s"
            " AND datname = current_database()",
            [live_hub.APPLICATION_NAME],
        )
        return [row[0] for row in await cur.fetchall()]


async def _wait_for(condition: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    """Poll a condition PostgreSQL holds (pg_stat_activity) until it is true."""
    async with asyncio.timeout(seconds):
        while True:
            if await condition():
                return
            await asyncio.sleep(0.05)


async def _wait_for_listeners(url: str, count: int, seconds: float = 10) -> None:
    """Wait until ``count`` live listeners are connected to the database ``url``."""

    async def counted() -> bool:
        return len(await _live_backends(url)) == count

    await _wait_for(counted, seconds)


async def test_the_listener_reconnects_and_nothing_is_missed_meanwhile(
    server: LiveServer, committed_db: Database, committed_db_url: str, place: Place
) -> None:
    await _wait_for_listeners(committed_db_url, 1)
    [first] = await _live_backends(committed_db_url)
    async with (
        httpx2.AsyncClient(base_url=server.url, timeout=30) as gateway,
        stream(server, place.tokens["lea"]) as lea,
    ):
        assert (await lea.next_event()).event == "ready"
        async with await psycopg.AsyncConnection.connect(
            _dsn(committed_db_url), autocommit=True
        ) as admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", [first])
        # at once, while the listener is (most likely) down: its NOTIFY goes unheard
        await post_batch(gateway, place, "zoo", enter(place, "zoo", "lea"))
        assert await follow(committed_db) == 1
        async with asyncio.timeout(live_hub.BACKOFF_S + 5):
            welcome = await lea.next_event()
        assert welcome.event == "welcome"
        assert json.loads(welcome.data or "")["site"]["slug"] == "zoo"

        async def replaced() -> bool:
            pids = await _live_backends(committed_db_url)
            return len(pids) == 1 and pids != [first]

        await _wait_for(replaced)
        # and the new connection hears the next one
        await post_batch(gateway, place, "spa", enter(place, "spa", "lea"))
        assert await follow(committed_db) == 1
        async with asyncio.timeout(2):
            welcome = await lea.next_event()
        assert json.loads(welcome.data or "")["site"]["slug"] == "spa"


async def test_shutdown_closes_the_listener_connection(committed_db_url: str) -> None:
    live = LiveServer(committed_db_url)
    live.start()
    try:
        await _wait_for_listeners(committed_db_url, 1)
    finally:
        live.stop()
    await _wait_for_listeners(committed_db_url, 0, seconds=5)


async def _read_to_the_end(reader: EventReader) -> None:
    async with asyncio.timeout(5):
        while True:
            await reader.next()


async def test_a_stop_does_not_wait_for_an_open_stream(
    committed_db_url: str, committed_db: Database
) -> None:
    """A stream never ends by itself: a stop cancels it after the grace period (tests/conftest.py
    and `crm serve` set one), then the listener's connection is closed as usual."""
    place = await seed_place(committed_db, SITES, PEOPLE)
    live = LiveServer(committed_db_url)
    live.start()
    try:
        async with stream(live, place.tokens["lea"]) as lea:
            assert (await lea.next_event()).event == "ready"
            started = time.monotonic()
            await asyncio.to_thread(live.stop)
            assert time.monotonic() - started < 15
            with pytest.raises((EOFError, httpx2.RemoteProtocolError, httpx2.ReadError)):
                await _read_to_the_end(lea)
    finally:
        live.stop()
    await _wait_for_listeners(committed_db_url, 0, seconds=5)


async def test_crm_serve_ends_its_streams_at_once_when_told_to_stop(
    committed_db_url: str, committed_db: Database, free_tcp_port: int
) -> None:
    """SIGTERM to `crm serve`: the streams end at once (no waiting for the grace period, no
    cancelled request logged as an error) and the worker exits, its listener closed."""
    place = await seed_place(committed_db, SITES, PEOPLE)
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crm",
        "serve",
        "--port",
        str(free_tcp_port),
        "--no-access-log",
        env={**os.environ, "DATABASE_URL": committed_db_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{free_tcp_port}"
    try:
        async with httpx2.AsyncClient(base_url=url, timeout=5) as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx2.TransportError:
                    return False

            await _wait_for(ready, seconds=60)
        async with (
            httpx2.AsyncClient(base_url=url, timeout=30) as client,
            client.stream("GET", f"/r/{place.tokens['lea']}/events") as response,
        ):
            lea = EventReader(response)
            assert (await lea.next_event()).event == "ready"
            started = time.monotonic()
            server.send_signal(signal.SIGTERM)
            with pytest.raises(EOFError):  # ended cleanly, as a stream the server closed
                await _read_to_the_end(lea)
            assert time.monotonic() - started < 5  # crm serve's grace is 10 s
        async with asyncio.timeout(20):
            # uvicorn raises the signal it caught again once it has shut down
            assert await server.wait() in (0, -signal.SIGTERM)
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert server.stdout is not None
    said = (await server.stdout.read()).decode()
    assert "Application shutdown complete" in said
    assert "Exception in ASGI application" not in said
    assert "Cancel" not in said  # uvicorn's "Cancel N running task(s), timeout graceful ..."
    assert await _live_backends(committed_db_url) == []


async def test_a_slow_stream_drops_and_resyncs_while_others_still_hear() -> None:
    hub = live_hub.Hub()
    lea, tom = uuid.uuid4(), uuid.uuid4()
    slow, fast, other = hub.subscribe(lea), hub.subscribe(lea), hub.subscribe(tom)

    def opened(visitor: uuid.UUID, n: int) -> str:
        return json.dumps(
            {"visitor_id": str(visitor), "visit_id": str(n), "state": "opened", "at": "x"}
        )

    for n in range(live_hub.QUEUE_SIZE + 5):
        assert hub.publish(opened(lea, n)) == 2
        # the fast one reads as they come, whatever the slow one does
        assert [x["visit_id"] for x in await fast.wait()] == [str(n)]
    # the slow one never read: its queue held QUEUE_SIZE, the rest were dropped
    assert (slow.dropped, fast.dropped) == (5, 0)
    assert await slow.wait() == []  # a resync: read the database instead
    # nothing for Tom; closed visits and unreadable payloads are ignored
    assert hub.publish(json.dumps({"visitor_id": str(lea), "state": "closed"})) == 0
    assert hub.publish("not json") == 0
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await other.wait()
    hub.unsubscribe(slow)
    hub.unsubscribe(fast)
    hub.unsubscribe(other)
    assert hub.subscribers == 0


def test_welcome_messages_in_four_languages() -> None:
    from roadbook.live.service import MESSAGES

    assert set(MESSAGES["welcome"]) == {"fr", "en", "de", "nl"}
    assert all("{site}" in text for text in MESSAGES["welcome"].values())


async def test_without_the_live_service_the_browser_is_told_to_stop(
    db: Database, place_in_rollback: Place
) -> None:
    """An app served without its lifespan (in-process client) has no listener: 204."""
    from crm.main import create_app

    app = create_app(Settings(_env_file=None, scheduler_enabled=False), db=db)  # type: ignore[call-arg]
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get(f"/r/{place_in_rollback.tokens['lea']}/events")
    assert response.status_code == 204
    assert response.content == b""
