"""``/r/{token}``: the roadbook as a server-rendered page (the first link ``./run demo`` prints)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm.core.db import Database
from crm.destinations import service as destinations
from crm.visitors import service as visitors
from crm.visits.models import Visit
from tests.roadbook.app_support import app_client


async def _visitor_with_a_visit(db: Database, language: str) -> str:
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"page{language}", "Pagetown")
        zoo = await destinations.add_site(session, dest.id, "zoo", "Zoo <Nord>", kind="zoo")
        enrolled = await visitors.enrol(session, dest.id, language=language, wishes=["family"])
        start = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
        session.add(
            Visit(
                destination_id=dest.id,
                visitor_id=enrolled.visitor.id,
                site_id=zoo.id,
                first_seen_at=start,
                last_seen_at=start + timedelta(minutes=42),
                dwell_s=42 * 60,
            )
        )
        await session.commit()
        return enrolled.roadbook_token


async def test_the_roadbook_page_shows_the_feed_in_the_visitors_language(db: Database) -> None:
    token = await _visitor_with_a_visit(db, "nl")
    async with app_client(db) as client:
        response = await client.get(f"/r/{token}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="nl"' in page
    assert "<h1>Uw reisboek — Pagetown</h1>" in page
    # The visit, its site's name escaped, and how long the visitor stayed.
    assert "<strong>Zoo &lt;Nord&gt;</strong>" in page
    assert "· 42 min</span>" in page
    # The visitor's data is one link away; links come from the public URL.
    assert f'href="https://roadbook.example/r/{token}/export.json">Mijn gegevens downloaden' in page
    assert f'href="https://roadbook.example/r/{token}/feed.json"' in page


async def test_an_unknown_token_opens_no_page(db: Database) -> None:
    await _visitor_with_a_visit(db, "fr")
    async with app_client(db) as client:
        response = await client.get("/r/" + "A" * 43)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_feed_points_at_its_documentation_which_the_crm_serves(db: Database) -> None:
    token = await _visitor_with_a_visit(db, "en")
    async with app_client(db) as client:
        feed = await client.get(f"/r/{token}/feed.json")
        page = await client.get(f"/r/{token}")
        about = await client.get("/about/feed")
    assert feed.json()["_balise"]["about"] == "https://roadbook.example/about/feed"
    assert about.status_code == 200
    assert about.headers["content-type"] == "text/markdown; charset=utf-8"
    assert about.text.startswith("# The roadbook feed and its `_balise` extension")
    # Every `_balise` field the feed carries is explained there.
    fields = set(feed.json()["_balise"]) | {
        key for item in feed.json()["items"] for key in item["_balise"]
    }
    assert fields and all(f"`{field}`" in about.text for field in fields)
    # The roadbook is personal data: neither the feed nor the page may be cached.
    assert feed.headers["cache-control"] == page.headers["cache-control"] == "no-store"
