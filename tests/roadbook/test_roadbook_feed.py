"""The visitor's roadbook over HTTP: the engine's sections with a reason on each item, in the
visitor's language, personal only with consent, offers labelled with their single-use code,
what was shown recorded once per showing, clicks through /r/{token}/go/{item}; the catalogue as
visitors see it (published, inside the publishing window, events during the stay)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import col

from crm.core import hooks
from crm.core.credentials import Credential, token_hash
from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations import service as destinations
from crm.visitors import service as visitors
from crm.visits.models import Visit
from partners.offers.service import OfferFields, create_offer
from roadbook.content.models import ContentItem
from roadbook.exposures.models import Click, Exposure
from tests.roadbook.app_support import PUBLIC, app_client


async def _seed(
    db: Database, *, consents: tuple[str, ...] = ("personalisation",)
) -> dict[str, Any]:
    """Feedtown: a spa (partner site) and a museum, hidden items, an event in three days, a
    partner offer; Anna (German, wishes wellness, staying five days, at the spa now)."""
    now = utcnow()
    today = now.date()
    slug = f"feedtown-{uuid.uuid4().hex[:6]}"
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, slug, "Feedtown")
        thermes = await destinations.add_partner(session, dest.id, "thermes", "Les Thermes SA")
        spa = await destinations.add_site(
            session, dest.id, "spa", "Les Thermes", kind="spa", partner_id=thermes.id,
            latitude=49.26, longitude=6.14,
        )  # fmt: skip
        zoo = await destinations.add_site(
            session, dest.id, "zoo", "Zoo", kind="zoo", latitude=49.261, longitude=6.142
        )
        hidden = {"title": {"fr": "Caché"}, "wishes": ["wellness"], "latitude": 49.26,
                  "longitude": 6.14}  # fmt: skip
        session.add_all(
            [
                ContentItem(
                    destination_id=dest.id, kind="place", slug="a-museum", wishes=["culture"],
                    title={"fr": "Musée", "de": "Museum"}, summary={"fr": "Art"},
                    latitude=49.27, longitude=6.15,
                    contact={"websites": ["https://museum.example/"]},
                ),
                ContentItem(
                    destination_id=dest.id, kind="place", slug="b-baths", wishes=["wellness"],
                    site_id=spa.id, title={"fr": "Bains", "en": "Baths"},
                    # The office's German title, over the source's
                    overrides={"title": {"de": "Bäder"}}, summary={"fr": "Eau"},
                ),
                ContentItem(
                    destination_id=dest.id, kind="event", slug="g-concert",
                    title={"en": "Concert"}, latitude=49.262, longitude=6.141,
                    periods=[{"start": (today + timedelta(days=3)).isoformat(),
                              "end": (today + timedelta(days=3)).isoformat(),
                              "start_time": "20:00"}],
                    active_from=today + timedelta(days=3), active_until=today + timedelta(days=3),
                ),
                # Not shown: at the site visited today, unpublished, not yet published, no
                # longer published, over.
                ContentItem(destination_id=dest.id, kind="place", slug="z", site_id=zoo.id,
                            title={"fr": "Café du zoo"}, wishes=["wellness"]),
                ContentItem(destination_id=dest.id, kind="place", slug="c", published=False,
                            **hidden),
                ContentItem(destination_id=dest.id, kind="place", slug="d",
                            published_from=now + timedelta(hours=1), **hidden),
                ContentItem(destination_id=dest.id, kind="place", slug="e",
                            published_until=now - timedelta(seconds=1), **hidden),
                ContentItem(destination_id=dest.id, kind="event", slug="f",
                            periods=[{"start": "2020-01-01", "end": "2020-01-02"}],
                            active_from=date(2020, 1, 1), active_until=date(2020, 1, 2),
                            **hidden),
            ]
        )  # fmt: skip
        offer = await create_offer(
            session,
            dest.id,
            OfferFields(
                partner_id=thermes.id,
                title={"fr": "Entrée du soir -20 %", "de": "Abendeintritt -20 %"},
                summary={"fr": "Après 18 h."},
                valid_from=now - timedelta(days=1),
                valid_until=now + timedelta(days=30),
                site_ids=(spa.id,),
                url="https://thermes.example/soir",
                redemption_kind="qr",
            ),
            status="approved",
            by="office",
        )
        anna = await visitors.enrol(
            session, dest.id, language="de", wishes=["wellness"], consents=consents,
            stay_start=today, stay_end=today + timedelta(days=4),
        )  # fmt: skip
        session.add(
            Visit(
                destination_id=dest.id,
                visitor_id=anna.visitor.id,
                site_id=zoo.id,
                first_seen_at=now - timedelta(minutes=95),
                last_seen_at=now - timedelta(minutes=1),
                dwell_s=94 * 60,
            )
        )
        await session.commit()
        return {"token": anna.roadbook_token, "visitor": anna.visitor, "offer": offer}


def _items(feed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["_balise"].get("slug") or item["_balise"]["kind"]: item for item in feed["items"]}


async def test_feed_is_the_personal_roadbook_in_the_visitors_language(db: Database) -> None:
    seeded = await _seed(db)
    token = seeded["token"]
    async with app_client(db) as client:
        response = await client.get(f"/r/{token}/feed.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/feed+json"
    assert response.headers["cache-control"] == "no-store"
    feed = response.json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Ihr Reisebuch — Feedtown"
    assert feed["language"] == "de"
    # Links come from the public URL, never from the Host header the request carried.
    assert feed["home_page_url"] == f"{PUBLIC}/r/{token}"
    assert feed["feed_url"] == f"{PUBLIC}/r/{token}/feed.json"
    assert feed["_balise"]["personalised"] is True
    kinds = [item["_balise"]["kind"] for item in feed["items"]]
    # Suggestions first (every published item, the offer), then the visit.
    assert sorted(kinds[:-1]) == ["event", "offer", "place", "place"]
    assert kinds[-1] == "visit"
    items = _items(feed)
    assert not {"z", "c", "d", "e", "f"} & set(items)
    baths, museum, concert = items["b-baths"], items["a-museum"], items["g-concert"]
    assert baths["title"] == "Bäder"
    # No German summary: French, the office's language, stands in.
    assert baths["content_text"] == "Eau"
    assert museum["title"] == "Museum"
    # No German title: the English one, and the feed says so.
    assert concert["title"] == "Concert" and concert["_balise"]["language"] == "en"
    assert concert["_balise"]["section"] == "events"
    # Every suggestion says why, in German; the wish shows in the reason of the baths.
    for item in (baths, museum, concert, items["offer"]):
        assert item["_balise"]["why"]
    assert baths["_balise"]["why"].startswith("Sie wünschten sich")
    # The museum's link goes through the click-through address, not straight to its site.
    museum_id = museum["id"]
    assert museum["url"] == f"{PUBLIC}/r/{token}/go/{museum_id}"


async def test_offers_are_labelled_with_partner_and_a_single_use_code(db: Database) -> None:
    seeded = await _seed(db)
    token = seeded["token"]
    async with app_client(db) as client:
        first = _items((await client.get(f"/r/{token}/feed.json")).json())["offer"]
        again = _items((await client.get(f"/r/{token}/feed.json")).json())["offer"]
    balise = first["_balise"]
    assert first["title"] == "Abendeintritt -20 %"
    assert balise["sponsored"] is True
    assert balise["partner"] == "Les Thermes SA"
    assert balise["label"] == "Partnerangebot"
    code = balise["redemption"]["code"]
    assert len(code) == 9 and code[4] == "-"
    # The same code on every request: one per visitor and offer.
    assert again["_balise"]["redemption"]["code"] == code


async def test_what_is_shown_is_recorded_once_per_showing(db: Database) -> None:
    seeded = await _seed(db)
    visitor = seeded["visitor"]
    async with app_client(db) as client:
        shown = len((await client.get(f"/r/{seeded['token']}/feed.json")).json()["items"]) - 1
        await client.get(f"/r/{seeded['token']}")
    async with db.session(system=True) as session:
        query = select(func.count()).select_from(Exposure)
        recorded = await session.execute(query.where(col(Exposure.visitor_id) == visitor.id))
        assert recorded.scalar_one() == shown


async def test_without_consent_the_roadbook_is_editorial_and_says_so(db: Database) -> None:
    seeded = await _seed(db, consents=())
    async with app_client(db) as client:
        feed = (await client.get(f"/r/{seeded['token']}/feed.json")).json()
    assert feed["_balise"]["personalised"] is False
    assert feed["_balise"]["notice"].startswith("Dieses Reisebuch ist nicht personalisiert")
    assert "wishes" not in feed["_balise"] or feed["_balise"]["wishes"] == []
    # Nothing says "you asked for" when the profile may not be read.
    assert all("wünschten" not in item["_balise"].get("why", "") for item in feed["items"])


async def test_language_switch_shows_the_same_roadbook_in_another_language(db: Database) -> None:
    seeded = await _seed(db)
    async with app_client(db) as client:
        feed = (await client.get(f"/r/{seeded['token']}/feed.json?lang=fr")).json()
        refused = await client.get(f"/r/{seeded['token']}/feed.json?lang=xx")
    assert feed["language"] == "fr" and feed["title"] == "Votre carnet de route — Feedtown"
    assert _items(feed)["b-baths"]["title"] == "Bains"
    assert refused.status_code == 422


async def test_a_click_is_recorded_then_redirected_and_nothing_else_is_reachable(
    db: Database,
) -> None:
    seeded = await _seed(db)
    token, visitor = seeded["token"], seeded["visitor"]
    async with app_client(db) as client:
        items = _items((await client.get(f"/r/{token}/feed.json")).json())
        museum, baths = items["a-museum"]["id"], items["b-baths"]["id"]
        offer = items["offer"]["id"]
        went = await client.get(f"/r/{token}/go/{museum}")
        to_offer = await client.get(f"/r/{token}/go/{offer}")
        no_site = await client.get(f"/r/{token}/go/{baths}")
        unknown = await client.get(f"/r/{token}/go/place:{uuid.uuid4()}")
        not_an_id = await client.get(f"/r/{token}/go/https:%2F%2Fevil.example")
    assert went.status_code == 303 and went.headers["location"] == "https://museum.example/"
    assert to_offer.headers["location"] == "https://thermes.example/soir"
    assert no_site.status_code == unknown.status_code == 404
    assert not_an_id.status_code in (404, 422)
    async with db.session(system=True) as session:
        clicks = (
            await session.scalars(select(Click).where(col(Click.visitor_id) == visitor.id))
        ).all()
    assert sorted(click.item_id for click in clicks) == sorted([museum, offer])
    assert {click.partner_id for click in clicks if click.item_id == offer} != {None}


async def test_calendar_trip_and_route_answer_in_their_formats(db: Database) -> None:
    seeded = await _seed(db)
    token = seeded["token"]
    async with app_client(db) as client:
        calendar = await client.get(f"/r/{token}/roadbook.ics")
        trip = await client.get(f"/r/{token}/trip.jsonld")
        route = await client.get(f"/r/{token}/route.geojson")
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in calendar.content and b"Concert" in calendar.content
    assert trip.headers["content-type"] == "application/ld+json"
    assert trip.json()["@type"] == "TouristTrip"
    assert route.headers["content-type"] == "application/geo+json"
    assert route.json()["type"] == "FeatureCollection"
    for response in (calendar, trip, route):
        assert response.headers["cache-control"] == "no-store"


async def test_revoked_or_unknown_token_is_404(db: Database) -> None:
    await _seed(db)
    async with app_client(db) as client:
        response = await client.get("/r/" + "A" * 43 + "/feed.json")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_expired_or_revoked_token_is_404_like_an_unknown_one(db: Database) -> None:
    """The roadbook token's look-up honours "still live" (crm.core.credentials): an expired or
    revoked token opens nothing, the live one still does."""
    token = (await _seed(db))["token"]
    feed = f"/r/{token}/feed.json"
    async with app_client(db) as client:
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


async def test_the_catalogue_is_kept_in_memory_until_the_office_changes_it(db: Database) -> None:
    seeded = await _seed(db)
    destination_id = seeded["visitor"].destination_id

    async def museum_title() -> str:
        async with app_client(db) as client:
            feed = (await client.get(f"/r/{seeded['token']}/feed.json")).json()
        return str(_items(feed)["a-museum"]["title"])

    assert await museum_title() == "Museum"
    async with db.session(system=True) as session:
        await session.execute(
            update(ContentItem)
            .where(col(ContentItem.slug) == "a-museum")
            .values(overrides={"title": {"de": "Kunstmuseum"}})
        )
        await session.commit()
    # Kept: a write behind the office's back is seen after the shelf's TTL.
    assert await museum_title() == "Museum"
    # The office's pages announce their changes: the next request reloads.
    await hooks.run(hooks.CATALOGUE_CHANGED, destination_id)
    assert await museum_title() == "Kunstmuseum"
