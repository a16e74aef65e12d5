"""The roadbook feed: JSON Feed 1.1, in the visitor's language, wishes first, visits listed; the
catalogue as visitors see it (published, inside the publishing window, events to come)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2
from sqlalchemy import update
from sqlmodel import col

from crm.core.credentials import Credential, token_hash
from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.settings import Settings
from crm.destinations import service as destinations
from crm.main import create_app
from crm.visitors import service as visitors
from crm.visits.models import Visit
from roadbook.content.models import ContentItem


async def _seed(db: Database) -> dict[str, str]:
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, "feedtown", "Feedtown")
        spa = await destinations.add_site(session, dest.id, "spa", "Les Thermes", kind="spa")
        now = utcnow()
        today = now.date()
        hidden = {"title": {"fr": "Caché"}, "wishes": ["wellness"]}
        session.add_all(
            [
                ContentItem(
                    destination_id=dest.id,
                    kind="place",
                    slug="a-museum",
                    wishes=["culture"],
                    title={"fr": "Musée", "de": "Museum"},
                    summary={"fr": "Art"},
                ),
                ContentItem(
                    destination_id=dest.id,
                    kind="place",
                    slug="b-spa",
                    wishes=["wellness"],
                    site_id=spa.id,
                    title={"fr": "Bains", "en": "Baths"},
                    # The office's German title, over the source's
                    overrides={"title": {"de": "Bäder"}},
                    summary={"fr": "Eau"},
                ),
                # An event of the coming weeks, with its dates.
                ContentItem(
                    destination_id=dest.id,
                    kind="event",
                    slug="g-concert",
                    title={"en": "Concert"},
                    periods=[
                        {
                            "start": (today + timedelta(days=3)).isoformat(),
                            "end": (today + timedelta(days=3)).isoformat(),
                            "start_time": "20:00",
                        }
                    ],
                    active_from=today + timedelta(days=3),
                    active_until=today + timedelta(days=3),
                ),
                # Not shown: unpublished, not yet published, no longer published, an event
                # that is over.
                ContentItem(
                    destination_id=dest.id, kind="place", slug="c", published=False, **hidden
                ),
                ContentItem(
                    destination_id=dest.id,
                    kind="place",
                    slug="d",
                    published_from=now + timedelta(hours=1),
                    **hidden,
                ),
                ContentItem(
                    destination_id=dest.id,
                    kind="place",
                    slug="e",
                    published_until=now - timedelta(seconds=1),
                    **hidden,
                ),
                ContentItem(
                    destination_id=dest.id,
                    kind="event",
                    slug="f",
                    periods=[{"start": "2020-01-01", "end": "2020-01-02"}],
                    active_from=today - timedelta(days=3000),
                    active_until=today - timedelta(days=2),
                    **hidden,
                ),
            ]
        )
        anna = await visitors.enrol(session, dest.id, language="de", wishes=["wellness"])
        start = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
        session.add(
            Visit(
                destination_id=dest.id,
                visitor_id=anna.visitor.id,
                site_id=spa.id,
                first_seen_at=start,
                last_seen_at=start + timedelta(minutes=95),
                dwell_s=95 * 60,
            )
        )
        await session.commit()
        return {"token": anna.roadbook_token}


def _settings(db: Database) -> Settings:
    """Public at ``https://roadbook.example``; also answers the test client's host ``t``."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=db.url,
        scheduler_enabled=False,
        public_url="https://roadbook.example/",
        allowed_hosts=["t"],
    )


async def test_feed_is_json_feed_in_the_visitors_language(db: Database) -> None:
    seeded = await _seed(db)
    app = create_app(_settings(db), db=db)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get(f"/r/{seeded['token']}/feed.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/feed+json"
    assert response.headers["referrer-policy"] == "no-referrer"
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Ihr Reisebuch — Feedtown"
    assert feed["language"] == "de"
    # Links come from the public URL, never from the Host header the request carried.
    assert feed["home_page_url"] == f"https://roadbook.example/r/{seeded['token']}"
    assert feed["feed_url"] == f"https://roadbook.example/r/{seeded['token']}/feed.json"
    kinds = [item["_balise"]["kind"] for item in feed["items"]]
    assert kinds == ["visit", "place", "place", "event"]
    visit, first_place, second_place, event = feed["items"]
    assert visit["title"] == "Besuch: Les Thermes"
    assert visit["content_text"] == "Sie waren 95 Min. dort."
    assert visit["_balise"]["dwell_s"] == 95 * 60
    assert visit["date_published"] == "2026-07-01T10:00:00Z"
    # The wellness place comes first (the visitor's wish), in German.
    assert first_place["title"] == "Bäder"
    # No English or German summary: French, the office's language, stands in.
    assert first_place["content_text"] == "Eau"
    assert second_place["title"] == "Museum"
    assert second_place["_balise"]["language"] == "de"
    # No German title: the English one, and the feed says so.
    assert event["title"] == "Concert" and event["_balise"]["language"] == "en"
    assert event["_balise"]["dates"] == [
        {
            "start": (utcnow().date() + timedelta(days=3)).isoformat(),
            "end": (utcnow().date() + timedelta(days=3)).isoformat(),
            "start_time": "20:00",
        }
    ]
    assert event["id"].startswith("event:") and first_place["id"].startswith("place:")
    assert len({item["id"] for item in feed["items"]}) == 4


async def test_revoked_or_unknown_token_is_404(db: Database) -> None:
    await _seed(db)
    app = create_app(_settings(db), db=db)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/r/" + "A" * 43 + "/feed.json")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_expired_or_revoked_token_is_404_like_an_unknown_one(db: Database) -> None:
    """The roadbook token's look-up honours "still live" (crm.core.credentials): an expired or
    revoked token opens nothing, the live one still does."""
    token = (await _seed(db))["token"]
    app = create_app(_settings(db), db=db)
    feed = f"/r/{token}/feed.json"
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://t"
    ) as client:
        assert (await client.get(feed)).status_code == 200
        for change in (
            {"expires_at": utcnow() - timedelta(seconds=1), "revoked_at": None},
            {"expires_at": None, "revoked_at": utcnow()},
        ):
            async with db.session(system=True) as session:
                await session.execute(
                    update(Credential)
                    .where(col(Credential.token_hash) == token_hash(token))
                    .values(**change)
                )
                await session.commit()
            response = await client.get(feed)
            assert response.status_code == 404, change
            assert response.json()["detail"] == "no roadbook at this address"
        async with db.session(system=True) as session:
            await session.execute(
                update(Credential)
                .where(col(Credential.token_hash) == token_hash(token))
                .values(expires_at=utcnow() + timedelta(days=1), revoked_at=None)
            )
            await session.commit()
        assert (await client.get(feed)).status_code == 200
