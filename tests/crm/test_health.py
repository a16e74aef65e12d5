"""Operations endpoints and the error format."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from crm.core.db import Database
from crm.core.settings import Settings
from crm.main import create_app


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(Settings(_env_file=None, database_url=db.url, scheduler_enabled=False), db=db)  # type: ignore[call-arg]
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_healthz(client: httpx2.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-request-id"]


async def test_readyz_reports_schema_at_head(client: httpx2.AsyncClient) -> None:
    from crm.core.health import migration_head

    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schema": migration_head()}


async def test_metrics_are_prometheus_text(client: httpx2.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "python_info" in response.text


async def test_unknown_route_is_problem_json(client: httpx2.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "instance": "/nowhere",
    }


async def test_unknown_roadbook_is_404_problem(client: httpx2.AsyncClient) -> None:
    response = await client.get("/r/" + "x" * 43 + "/feed.json")
    assert response.status_code == 404
    assert response.json()["title"] == "Not Found"
