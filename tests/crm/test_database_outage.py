"""A database outage is a 503 with ``Retry-After``, and ``/readyz`` answers within a second
(issue 10, finding 8).

Outages are real: the CRM on a real uvicorn whose database URL points at a loopback port where
nothing listens (refused), at a server that accepts connections and never answers (a frozen
host), or at a database dropped under it; and a pool with no free connection.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx2
import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from crm.core.db import CONNECT_TIMEOUT_S, Database
from crm.core.errors import OUTAGE_RETRY_AFTER_S, database_unavailable
from crm.core.settings import Settings
from crm.main import create_app
from tests.conftest import Databases, LiveServer

ROADBOOK = "/r/" + "t" * 43 + "/feed.json"
TOKEN = "g" * 43


def _url(port: int) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/balise"


@pytest.fixture
def refusing() -> Iterator[LiveServer]:
    """The CRM whose database port is bound by no server: every connection is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # held, never listening: no one else gets the port
        server = LiveServer(_url(sock.getsockname()[1]))
        server.start()
        yield server
        server.stop()


@pytest.fixture
def hanging() -> Iterator[LiveServer]:
    """The CRM whose database accepts connections and never answers (a frozen host)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # the kernel completes the handshakes; nothing ever reads or answers
        server = LiveServer(_url(sock.getsockname()[1]))
        server.start()
        yield server
        server.stop()


def _assert_outage(response: httpx2.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(OUTAGE_RETRY_AFTER_S)
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503
    assert problem["title"] == "Service Unavailable"


def _ingest(client: httpx2.Client) -> httpx2.Response:
    return client.post(
        "/api/v1/gateway/events",
        json={"gateway_id": "spa-gw1", "events": []},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


def test_ingest_and_pages_answer_503_when_the_database_refuses(
    refusing: LiveServer, capfd: pytest.CaptureFixture[str]
) -> None:
    with httpx2.Client(base_url=refusing.url, timeout=15) as client:
        _assert_outage(_ingest(client))
        _assert_outage(client.get(ROADBOOK))
        _assert_outage(client.get("/enrol/amneville"))
        started = time.perf_counter()
        ready = client.get("/readyz")
        assert time.perf_counter() - started < 1.0
        _assert_outage(ready)
        assert "database unreachable" in ready.json()["detail"]
        assert client.get("/healthz").status_code == 200
    log = capfd.readouterr().err
    assert "database_unavailable" in log
    assert "unhandled_error" not in log  # an outage is no bug: one line, no traceback
    assert "Traceback" not in log


def test_readyz_answers_within_a_second_when_the_database_hangs(hanging: LiveServer) -> None:
    with httpx2.Client(base_url=hanging.url, timeout=15) as client:
        for _ in range(3):  # later checks share the probe still waiting for its connection
            started = time.perf_counter()
            ready = client.get("/readyz")
            elapsed = time.perf_counter() - started
            _assert_outage(ready)
            assert "did not answer" in ready.json()["detail"]
            assert elapsed < 1.0, f"/readyz took {elapsed:.2f} s"
        assert client.get("/healthz").status_code == 200


def test_pages_answer_503_when_the_database_hangs(hanging: LiveServer) -> None:
    """A connection attempt gives up after CONNECT_TIMEOUT_S: a 503, not a request hung for
    as long as the host stays silent."""
    with httpx2.Client(base_url=hanging.url, timeout=3 * CONNECT_TIMEOUT_S) as client:
        started = time.perf_counter()
        response = client.get(ROADBOOK)
        elapsed = time.perf_counter() - started
    _assert_outage(response)
    assert CONNECT_TIMEOUT_S - 0.5 < elapsed < CONNECT_TIMEOUT_S + 3


def test_a_database_dropped_under_the_crm_is_a_503(
    databases: Databases, committed_db_url: str
) -> None:
    server = LiveServer(committed_db_url)
    server.start()
    try:
        with httpx2.Client(base_url=server.url, timeout=15) as client:
            assert client.get("/readyz").status_code == 200  # a pooled connection now exists
            name = committed_db_url.rsplit("/", 1)[1]
            # FORCE terminates the CRM's pooled connection too.
            databases.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            _assert_outage(client.get(ROADBOOK))
            _assert_outage(_ingest(client))
            _assert_outage(client.get("/readyz"))
    finally:
        server.stop()


async def test_no_free_pooled_connection_is_a_503(committed_db_url: str) -> None:
    db = Database(committed_db_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    settings = Settings(_env_file=None, database_url=committed_db_url, scheduler_enabled=False)  # type: ignore[call-arg]
    app = create_app(settings, db=db)
    try:
        async with (
            db.engine.connect(),  # the pool's only connection, held
            httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=app), base_url="http://test"
            ) as client,
        ):
            _assert_outage(await client.get(ROADBOOK))
    finally:
        await db.dispose()


@pytest.mark.parametrize(
    ("exc", "outage"),
    [
        (psycopg.OperationalError("connection refused"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.QueryCanceled("statement timeout"), True),
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (sa_exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("gone")), True),
        (
            sa_exc.DBAPIError(
                "SELECT 1", {}, psycopg.InterfaceError("closed"), connection_invalidated=True
            ),
            True,
        ),
        (sa_exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("dup")), False),
        (sa_exc.ProgrammingError("SELEC", {}, psycopg.errors.SyntaxError("syntax")), False),
        (RuntimeError("bug"), False),
    ],
)
def test_what_counts_as_an_outage(exc: BaseException, outage: bool) -> None:
    assert database_unavailable(exc) is outage
