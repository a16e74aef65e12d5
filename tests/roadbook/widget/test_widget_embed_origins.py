"""Where a destination's embed origins come from: ``crm destination add --embed-origin``
(repeatable, checked before anything is written) and the demo, which allows local pages."""

from __future__ import annotations

import json

import psycopg
from sqlmodel import col, select

from crm.core.db import Database
from crm.core.tenancy import Destination
from crm.demo import seed
from tests.crm.cli_support import dsn, run_crm


def test_destination_add_takes_embed_origins(committed_db_url: str) -> None:
    result = run_crm(
        committed_db_url,
        "destination",
        "add",
        "thionville",
        "--name",
        "Thionville",
        "--embed-origin",
        "https://www.thionville.example",
        "--embed-origin",
        "http://localhost:*",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    origins = ["https://www.thionville.example", "http://localhost:*"]
    assert json.loads(result.stdout)["embed_origins"] == origins
    with psycopg.connect(dsn(committed_db_url)) as conn:
        stored = conn.execute("SELECT embed_origins FROM destination").fetchall()
    assert stored == [(origins,)]


def test_destination_add_refuses_what_is_not_an_origin(committed_db_url: str) -> None:
    result = run_crm(
        committed_db_url,
        "destination",
        "add",
        "thionville",
        "--name",
        "T",
        "--embed-origin",
        "https://www.thionville.example/page",
    )
    assert result.returncode == 2
    assert (
        "--embed-origin: 'https://www.thionville.example/page' is not a web origin" in result.stderr
    )
    with psycopg.connect(dsn(committed_db_url)) as conn:
        assert conn.execute("SELECT count(*) FROM destination").fetchone() == (0,)


async def test_the_demo_allows_pages_served_on_this_machine(db: Database) -> None:
    async with db.session(system=True) as session:
        made = await seed(session, b"k" * 16)
        # A demo seeded before the widget: its origins come back at the next seed.
        made.destination.embed_origins = ["https://www.amneville.example"]
        await session.flush()
        await seed(session, b"k" * 16)
        await session.flush()
        origins = await session.scalar(
            select(col(Destination.embed_origins)).where(col(Destination.slug) == "amneville")
        )
    assert origins == ["https://www.amneville.example", "http://localhost:*", "http://127.0.0.1:*"]
