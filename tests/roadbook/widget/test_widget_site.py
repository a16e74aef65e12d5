"""The widget's site mode: ``GET /widget/site/{destination}/{site}.json`` answers what to do near
the site as JSON Feed (the shape of the token feed, nothing personal), in the page's language
(another or none gives the destination's), readable by the destination's embed origins only;
an unknown destination or site is a 404 problem."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.db import Database
from crm.core.settings import Settings
from crm.core.tenancy import Destination
from crm.destinations import service as destinations
from crm.destinations.models import Site
from crm.main import create_app
from roadbook.feeds import service
from roadbook.feeds.view import RoadbookView
from tests.roadbook.widget.widget_support import XSS, seed_zootown


@dataclass
class Asked:
    calls: list[tuple[str, str, str]]


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    """``site_view`` as it is, each call recorded."""
    calls: list[tuple[str, str, str]] = []
    real = service.site_view

    async def site_view(
        session: AsyncSession, destination: Destination, site: Site, language: str, **rest: Any
    ) -> RoadbookView:
        calls.append((destination.slug, site.slug, language))
        return await real(session, destination, site, language, **rest)

    monkeypatch.setattr(service, "site_view", site_view)
    return Asked(calls)


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    async with db.session(system=True) as session:
        await seed_zootown(session)
        other = await destinations.create_destination(session, "othertown", "Othertown")
        await destinations.add_site(session, other.id, "museum", "Museum")
        await session.commit()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=db.url, scheduler_enabled=False, allowed_hosts=["t"]
    )
    app = create_app(settings, db=db)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield http


async def test_site_mode_is_the_json_feed_of_the_site_view(
    client: httpx2.AsyncClient, asked: Asked
) -> None:
    response = await client.get(
        "/widget/site/zootown/zoo.json?lang=de", headers={"Origin": "https://www.zootown.example"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/feed+json"
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["access-control-allow-origin"] == "https://www.zootown.example"
    assert response.headers["vary"] == "Origin"
    assert asked.calls == [("zootown", "zoo", "de")]
    feed: dict[str, Any] = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Erlebnisse in der Nähe von Zoo"
    assert feed["language"] == "de"
    # Nothing personal, no token address.
    assert "home_page_url" not in feed and "feed_url" not in feed
    assert (feed["_balise"]["mode"], feed["_balise"]["site"]) == ("site", "zoo")
    items = {item["title"]: item for item in feed["items"]}
    assert {"Zoo d'Amnéville", "Snowhall", "Villa Pompéi"} <= items.keys()
    place = items["Zoo d'Amnéville"]
    # Site mode links to the item's own site: there is no token to click through.
    assert place["url"] == "https://zoo-park.example/"
    assert (place["_balise"]["section"], place["_balise"]["section_title"]) == (
        "now_nearby",
        "Jetzt, in der Nähe",
    )
    assert place["_balise"]["why"] == "50 m von Zoo"
    assert "sponsored" not in place["_balise"]
    (offer,) = [item for item in feed["items"] if item["_balise"]["kind"] == "offer"]
    assert offer["_balise"]["sponsored"] is True
    assert offer["_balise"]["label"] == "Partnerangebot"
    # A partner's markup is sent as the text it is; the widget shows it with textContent.
    assert offer["_balise"]["partner"] == f"Thermes {XSS}"
    assert offer["title"] == f"Spa evening {XSS}"  # no German title: the fallback's


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("?lang=nl", "nl"),
        ("?lang=de-CH", "de"),
        ("?lang=EN", "en"),
        ("?lang=es", "fr"),  # not a roadbook language: the destination's
        ("?lang=", "fr"),
        ("", "fr"),
    ],
)
async def test_the_pages_language_or_the_destinations(
    client: httpx2.AsyncClient, asked: Asked, query: str, language: str
) -> None:
    response = await client.get(f"/widget/site/zootown/zoo.json{query}")
    assert response.status_code == 200
    assert response.json()["language"] == language
    assert asked.calls == [("zootown", "zoo", language)]


async def test_a_language_tag_longer_than_any_is_refused(
    client: httpx2.AsyncClient, asked: Asked
) -> None:
    response = await client.get("/widget/site/zootown/zoo.json?lang=" + "x" * 36)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert asked.calls == []


async def test_another_origin_gets_no_permission(client: httpx2.AsyncClient, asked: Asked) -> None:
    for origin in ("https://evil.example", "https://www.zootown.example:8443", "null"):
        response = await client.get("/widget/site/zootown/zoo.json", headers={"Origin": origin})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
        assert response.headers["vary"] == "Origin"
    port = await client.get(
        "/widget/site/zootown/zoo.json", headers={"Origin": "http://localhost:5500"}
    )
    assert port.headers["access-control-allow-origin"] == "http://localhost:5500"


@pytest.mark.parametrize(
    ("path", "detail", "readable"),
    [
        ("/widget/site/nowhere/zoo.json", "no destination 'nowhere'", False),
        ("/widget/site/zootown/casino.json", "no site 'casino' in 'zootown'", True),
        # Another destination's site is not this one's.
        ("/widget/site/zootown/museum.json", "no site 'museum' in 'zootown'", True),
        ("/widget/site/Zoo%20Town/zoo.json", "no destination 'Zoo Town'", False),
    ],
)
async def test_an_unknown_destination_or_site_is_a_404_problem(
    client: httpx2.AsyncClient, asked: Asked, path: str, detail: str, readable: bool
) -> None:
    response = await client.get(path, headers={"Origin": "http://localhost:5500"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail
    # Once the destination is known, its own pages may read the problem (the widget says so).
    assert ("access-control-allow-origin" in response.headers) is readable
    assert asked.calls == []
