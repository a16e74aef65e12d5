"""The ``crm`` command as installers run it: a real subprocess against a test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import psycopg
from sqlalchemy.engine import make_url


def run_crm(
    url: str | None, *args: str, stdin: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m crm ARGS`` with ``DATABASE_URL=url`` (when given) and ``env`` added."""
    environment = {**os.environ, **(env or {})}
    if url is not None:
        environment["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "crm", *args],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=120,
        check=False,
    )


def dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (for psycopg.connect)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def insert_destination(url: str, slug: str, *sites: str) -> tuple[str, dict[str, str]]:
    """A destination (and sites by slug) written directly, as another office's data would be."""
    with psycopg.connect(dsn(url)) as conn:
        row = conn.execute(
            "INSERT INTO destination (id, slug, name, timezone, default_language, created_at)"
            " VALUES (gen_random_uuid(), %s, %s, 'Europe/Paris', 'fr', now()) RETURNING id",
            (slug, slug.title()),
        ).fetchone()
        assert row is not None
        ids = {}
        for site in sites:
            site_row = conn.execute(
                "INSERT INTO site (id, destination_id, slug, name, kind, opening_hours, wishes,"
                " created_at) VALUES (gen_random_uuid(), %s, %s, %s, 'office', '{}', '[]', now())"
                " RETURNING id",
                (row[0], site, f"{site.title()} of {slug}"),
            ).fetchone()
            assert site_row is not None
            ids[site] = str(site_row[0])
    return str(row[0]), ids


def query(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """The rows ``sql`` reads (straight from the database, not through the CLI)."""
    with psycopg.connect(dsn(url)) as conn:
        return conn.execute(sql, params).fetchall()
