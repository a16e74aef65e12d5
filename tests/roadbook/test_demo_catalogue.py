"""``crm demo``: Amnéville's catalogue in content_item (venues with hours, a walk, the coming
weeks' events, four languages) and the office account it prints, which signs in and sees it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx2
from sqlalchemy import select
from sqlmodel import col

from crm.core.db import Database
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.main import create_app
from roadbook.content.catalogue import open_at
from roadbook.content.models import ContentItem

OFFICE_LINE = re.compile(
    r"^Office: (http://127\.0\.0\.1:8000/office/sign-in) — (office@amneville\.example) / (\S+)$",
    re.MULTILINE,
)


def demo(url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "crm", "demo", "--scenario", "/dev/null"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_demo_seeds_the_catalogue_and_prints_an_office_account(
    committed_db_url: str,
) -> None:
    output = demo(committed_db_url)
    found = OFFICE_LINE.search(output)
    assert found, output
    _, email, password = found.groups()
    assert "Office catalogue: http://127.0.0.1:8000/office/catalogue" in output.splitlines()
    db = Database(committed_db_url)
    try:
        async with db.session(system=True) as session:
            destination = (
                await session.execute(
                    select(Destination).where(col(Destination.slug) == "amneville")
                )
            ).scalar_one()
            items = (
                (
                    await session.execute(
                        select(ContentItem).where(col(ContentItem.destination_id) == destination.id)
                    )
                )
                .scalars()
                .all()
            )
        by_slug = {item.slug: item for item in items}
        kinds = sorted({item.kind for item in items})
        assert kinds == ["event", "place", "tour"]
        assert {"zoo-amneville", "thermapolis", "snowhall", "galaxie-amneville"} <= set(by_slug)
        for item in items:
            assert set(item.title) == {"fr", "en", "de", "nl"}, item.slug
            assert set(item.summary) == {"fr", "en", "de", "nl"}, item.slug
            assert item.source == "office" and item.published
        # Venues are their sites, with hours; the zoo is open on a summer afternoon and closed
        # on Christmas Day.
        zoo = by_slug["zoo-amneville"]
        assert zoo.site_id is not None and zoo.latitude == 49.2567
        paris = ZoneInfo("Europe/Paris")
        assert open_at(zoo, datetime(2027, 7, 14, 15, 0, tzinfo=paris), paris).open is True
        assert open_at(zoo, datetime(2027, 12, 25, 15, 0, tzinfo=paris), paris).open is False
        # Events happen over the coming weeks, counted from the day of the seed.
        today = datetime.now(paris).date()
        events = [item for item in items if item.kind == "event"]
        assert len(events) >= 5
        for event in events:
            assert event.active_from is not None and event.active_until is not None
            assert today <= event.active_from <= today + timedelta(days=14)
            assert event.active_until <= today + timedelta(days=42)
        assert isinstance(events[0].active_from, date)
        # A timed period may run past midnight: the range reaches the day after its end, as
        # the import and the office's form count it (editing.active_range).
        concert = by_slug["concert-musiques-de-films"]
        assert concert.active_from == today + timedelta(days=5)
        assert concert.active_until == today + timedelta(days=6)

        # The printed account signs in (admin) and sees the catalogue; a second run prints a
        # new password and the old one stops working.
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=committed_db_url, scheduler_enabled=False
        )
        app = create_app(settings, db=db)
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
            login = {"destination": "amneville", "email": email, "password": password}
            signed = await client.post("/api/v1/auth/login", json=login)
            assert signed.status_code == 200, signed.text
            assert signed.json()["staff"]["role"] == "admin"
            client.cookies.set("balise_office", signed.json()["token"], path="/office")
            page = await client.get("/office/catalogue", params={"q": "zoo"})
            assert page.status_code == 200
            assert "Zoo d&#39;Amnéville" in page.text
            again = OFFICE_LINE.search(demo(committed_db_url))
            assert again and again.group(3) != password
            refused = await client.post("/api/v1/auth/login", json=login)
            assert refused.status_code == 401
    finally:
        await db.dispose()
