"""The office's catalogue pages over HTTP: list, search and filters, create, edit (a bad field
shown next to it and nothing written), translate, override an imported field and revert it,
publish and unpublish, who may, CSRF, and the audit log."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select, text
from sqlmodel import col

from crm.core.db import Database
from crm.core.models import utcnow
from crm.core.vocabulary import DAYS
from roadbook.content.catalogue import effective, stream_items
from roadbook.content.flux import Found
from roadbook.content.importer import import_objects
from roadbook.content.models import ContentItem
from roadbook.feeds.candidates import item_candidate
from roadbook.office import router as office_router

sys.path.insert(0, str(Path(__file__).parent))
from office_support import Office, audits, csrf_of, form_fields, seed_office, signed_in

LANGS = ("fr", "en", "de", "nl")


@pytest.fixture
async def editor(db: Database, office: Office) -> AsyncIterator[httpx2.AsyncClient]:
    async with await signed_in(db, office, "marketing") as client:
        yield client


async def add(db: Database, office: Office, **fields: Any) -> ContentItem:
    async with db.session(system=True) as session:
        item = ContentItem.model_validate(
            {"destination_id": office.destination_id, "kind": "place", **fields}
        )
        session.add(item)
        await session.commit()
        await session.refresh(item)
        return item


async def reload(db: Database, item_id: uuid.UUID) -> ContentItem:
    async with db.session(system=True) as session:
        item = await session.get(ContentItem, item_id)
        assert item is not None
        return item


def form_of(page: httpx2.Response, **changes: str | list[str]) -> dict[str, Any]:
    return form_fields(page, "item-form", **changes)


async def test_the_list_searches_filters_and_pages(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    await add(db, office, slug="zoo", title={"fr": "Le zoo", "en": "The zoo"}, wishes=["family"])
    await add(db, office, slug="concert", kind="event", title={"fr": "Concert", "de": "Konzert"})
    await add(
        db,
        office,
        slug="musee-imported",
        title={"fr": "Musée de la mine"},
        overrides={"title": {"de": "Bergbaumuseum"}},
        source="datatourisme",
        uri="https://data.datatourisme.fr/13/abc",
        producer="Moselle Attractivité",
    )
    for number in range(22):
        await add(db, office, slug=f"x-{number:02}", title={"fr": f"Lieu {number}"})

    async def slugs(**query: str) -> list[str]:
        page = await editor.get("/office/catalogue", params=query)
        assert page.status_code == 200, page.text
        return re.findall(r'<span class="slug">([^<]+)</span>', page.text)

    assert await slugs(q="zoo") == ["zoo"]
    assert await slugs(q="bergbau") == ["musee-imported"]  # the office's own title too
    assert await slugs(kind="event") == ["concert"]
    assert await slugs(wish="family") == ["zoo"]
    assert await slugs(source="datatourisme") == ["musee-imported"]
    # Filters combine; the office's German title counts as a German title.
    assert await slugs(missing="de", q="o") == ["zoo"]
    assert await slugs(missing="en", q="o") == ["concert", "musee-imported"]
    first = await editor.get("/office/catalogue")
    assert "26 élément(s)" in first.text and "Page 1 sur 2" in first.text
    assert len(await slugs()) == 20
    second = await slugs(page="2")
    assert second == ["x-17", "x-18", "x-19", "x-20", "x-21", "zoo"]  # by slug
    # The menu has the catalogue; a bad filter value is ignored, never a 500.
    assert '<a href="/office/catalogue" aria-current="page">Catalogue</a>' in first.text
    assert (await editor.get("/office/catalogue", params={"kind": "nope"})).status_code == 200


async def test_create_an_office_item(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    page = await editor.get("/office/catalogue/new", params={"kind": "event"})
    assert page.status_code == 200
    assert '<option value="event" selected>' in page.text
    data = form_of(
        page,
        **{
            "title-fr": "Fête du lac",
            "title-en": "Lake festival",
            "period-0-start": "2030-07-14",
            "period-0-start_time": "21:00",
        },
        latitude="49.2575",
        longitude="6,13",
        wishes=["family", "gastronomy"],
        published_from="2030-01-01T10:00",
    )
    created = await editor.post("/office/catalogue/new", data=data)
    assert created.status_code == 303, created.text
    async with db.session(system=True) as session:
        item = (
            await session.execute(select(ContentItem).where(col(ContentItem.slug) == "fete-du-lac"))
        ).scalar_one()
    assert created.headers["location"] == f"/office/catalogue/{item.id}?done=created"
    assert item.kind == "event" and item.source == "office"
    assert item.periods == [{"start": "2030-07-14", "end": "2030-07-14", "start_time": "21:00"}]
    # A period with times may run past midnight: its range takes the next day, as an import's.
    assert (item.active_from, item.active_until) == (date(2030, 7, 14), date(2030, 7, 15))
    assert item.title == {"fr": "Fête du lac", "en": "Lake festival"}
    assert (item.latitude, item.longitude) == (49.2575, 6.13)
    assert item.wishes == ["family", "gastronomy"]
    assert item.published_from is not None
    assert item.published_from.isoformat() == "2030-01-01T09:00:00+00:00"  # Paris, winter
    shown = await editor.get(created.headers["location"])
    assert "Élément créé." in shown.text and "Programmé" in shown.text
    (entry,) = await audits(db, office, "content.")
    assert entry.action == "content.create"
    assert entry.actor == f"staff:{office.staff_ids['marketing']}"
    assert entry.detail["item"] == str(item.id)


async def test_a_bad_field_is_shown_next_to_it_and_nothing_is_written(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    item = await add(db, office, slug="zoo", title={"fr": "Le zoo"}, latitude=49.0, longitude=6.0)
    page = await editor.get(f"/office/catalogue/{item.id}")
    data = form_of(
        page,
        **{"title-de": "Der Zoo", "rule-0-opens": "25:00", "rule-0-closes": "18:00"},
        latitude="91",
    )
    answer = await editor.post(f"/office/catalogue/{item.id}", data=data)
    assert answer.status_code == 422
    assert "Corrigez les champs signalés : rien n&#39;a été enregistré." in answer.text
    assert '<p class="error" id="latitude-error">Une latitude est entre -90 et 90.</p>' in (
        answer.text
    )
    assert re.search(
        r'id="latitude"[^>]*aria-describedby="coords-hint latitude-error" aria-invalid="true"'
        r" autofocus",
        answer.text,
    )
    assert 'id="rule-0-opens-error">Une heure HH:MM' in answer.text
    # What was typed is shown again, not lost.
    assert 'value="Der Zoo"' in answer.text and 'value="91"' in answer.text
    again = await reload(db, item.id)
    assert again.title == {"fr": "Le zoo"} and again.latitude == 49.0
    assert again.opening_hours == {} and again.updated_at == item.updated_at
    assert await audits(db, office, "content.") == []
    # In the user's language.
    english = await editor.post(f"/office/catalogue/{item.id}?lang=en", data=data)
    assert "A latitude is between -90 and 90." in english.text


async def test_translate_and_set_hours(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    item = await add(db, office, slug="zoo", title={"fr": "Le zoo", "en": "The zoo"})
    page = await editor.get(f"/office/catalogue/{item.id}")
    data = form_of(
        page,
        **{
            "title-de": "Der Zoo",
            "rule-0-from": "2026-04-01",
            "rule-0-until": "2026-09-30",
            "rule-0-days": ["sat", "sun"],
            "rule-0-opens": "9:30",
            "rule-0-closes": "18:30",
            "rule-1-from": "2026-12-25",
            "rule-1-until": "2026-12-25",
            "rule-1-closed": ["1"],
            "hours_remark-en": "Last entry at 17:30.",
        },
    )
    saved = await editor.post(f"/office/catalogue/{item.id}", data=data)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].endswith("?done=saved&fields=title%2Copening_hours")
    after = await reload(db, item.id)
    assert after.title == {"fr": "Le zoo", "en": "The zoo", "de": "Der Zoo"}
    assert after.opening_hours == {
        "rules": [
            {
                "valid_from": "2026-04-01",
                "valid_through": "2026-09-30",
                "days": ["sat", "sun"],
                "opens": "09:30",
                "closes": "18:30",
            },
            {"valid_from": "2026-12-25", "valid_through": "2026-12-25", "closed": True},
        ],
        "remark": {"en": "Last entry at 17:30."},
    }
    (entry,) = await audits(db, office, "content.")
    assert entry.action == "content.update"
    assert entry.detail["fields"] == ["title", "opening_hours"]
    shown = await editor.get(saved.headers["location"])
    assert "Enregistré : Titre, Horaires d&#39;ouverture." in shown.text
    assert 'value="Der Zoo"' in shown.text
    # Saving the same form again changes nothing and writes no audit row.
    same = await editor.post(f"/office/catalogue/{item.id}", data=form_of(shown))
    assert same.headers["location"].endswith("?done=unchanged")
    assert len(await audits(db, office, "content.")) == 1


async def test_an_imported_item_is_edited_through_overrides_and_reverted(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    item = await add(
        db,
        office,
        slug="musee",
        title={"fr": "Musée", "en": "Museum"},
        latitude=49.1,
        longitude=6.1,
        source="datatourisme",
        uri="https://data.datatourisme.fr/13/musee",
        producer="Moselle Attractivité",
        source_updated_on=date(2026, 11, 2),
    )
    page = await editor.get(f"/office/catalogue/{item.id}")
    assert "Source : DATAtourisme, Moselle Attractivité, mis à jour le 2026-11-02" in page.text
    data = form_of(page, **{"title-en": "Mining museum", "title-de": "Bergbaumuseum"})
    data["latitude"] = "49.2"
    saved = await editor.post(f"/office/catalogue/{item.id}", data=data)
    assert saved.status_code == 303
    after = await reload(db, item.id)
    # The imported columns are untouched; the office's version is kept apart.
    assert after.title == {"fr": "Musée", "en": "Museum"} and after.latitude == 49.1
    assert after.overrides == {
        "title": {"de": "Bergbaumuseum", "en": "Mining museum"},
        "latitude": 49.2,
    }
    assert effective(after)["title"]["en"] == "Mining museum"
    shown = await editor.get(f"/office/catalogue/{item.id}")
    assert 'value="Mining museum"' in shown.text
    assert "<span>Le flux dit :</span> <q>Museum</q>" in shown.text
    assert "<span>Le flux dit :</span> <q>49.1, 6.1</q>" in shown.text
    assert 'name="field" value="title"' in shown.text
    reverted = await editor.post(
        f"/office/catalogue/{item.id}/revert", data={"csrf": csrf_of(shown), "field": "title"}
    )
    assert reverted.status_code == 303
    assert "reprend la valeur du flux" in (await editor.get(reverted.headers["location"])).text
    after = await reload(db, item.id)
    assert after.overrides == {"latitude": 49.2}
    assert [entry.action for entry in await audits(db, office, "content.")] == [
        "content.update",
        "content.revert",
    ]


async def test_unpublish_and_publish_again(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    item = await add(db, office, slug="zoo", title={"fr": "Le zoo"})
    page = await editor.get(f"/office/catalogue/{item.id}")
    answer = await editor.post(
        f"/office/catalogue/{item.id}/publication", data={"csrf": csrf_of(page), "published": "0"}
    )
    assert answer.status_code == 303
    assert (await reload(db, item.id)).published is False
    async with db.session(office.destination_id) as session:
        visible = [
            i.slug async for i in stream_items(session, office.destination_id, visible_at=utcnow())
        ]
    assert "zoo" not in visible
    shown = await editor.get(answer.headers["location"])
    assert "L&#39;élément n&#39;est plus publié." in shown.text and "Dépublié" in shown.text
    await editor.post(
        f"/office/catalogue/{item.id}/publication", data={"csrf": csrf_of(shown), "published": "1"}
    )
    assert (await reload(db, item.id)).published is True
    assert [entry.action for entry in await audits(db, office, "content.")] == [
        "content.unpublish",
        "content.publish",
    ]


async def test_only_marketing_and_admin_edit_and_every_form_needs_its_csrf_token(
    db: Database, office: Office, other: Office
) -> None:
    item = await add(db, office, slug="zoo", title={"fr": "Le zoo"})
    for role in ("admin", "marketing"):
        async with await signed_in(db, office, role) as client:
            page = await client.get(f"/office/catalogue/{item.id}")
            assert page.status_code == 200
            saved = await client.post(
                f"/office/catalogue/{item.id}", data=form_of(page, **{"title-nl": f"De {role}"})
            )
            assert saved.status_code == 303
    assert (await reload(db, item.id)).title["nl"] == "De marketing"
    async with await signed_in(db, office, "desk") as desk:
        assert (await desk.get("/office/catalogue")).status_code == 403
        refused = await desk.post(f"/office/catalogue/{item.id}", data={"title-nl": "Desk"})
        assert refused.status_code == 403
        menu = (await desk.get("/office")).text
        assert "/office/catalogue" not in menu
    async with await signed_in(db, other, "admin") as stranger:
        assert (await stranger.get(f"/office/catalogue/{item.id}")).status_code == 404
    async with await signed_in(db, office, "admin") as client:
        page = await client.get(f"/office/catalogue/{item.id}")
        for csrf in (None, "forged"):
            data = form_of(page, **{"title-nl": "Zonder token"})
            data.pop("csrf")
            if csrf:
                data["csrf"] = csrf
            answer = await client.post(f"/office/catalogue/{item.id}", data=data)
            assert answer.status_code == 403
            assert "Ce formulaire a expiré" in answer.text
            unpublish = await client.post(
                f"/office/catalogue/{item.id}/publication", data={"published": "0"}
            )
            assert unpublish.status_code == 403
    after = await reload(db, item.id)
    assert after.title["nl"] == "De marketing" and after.published
    assert len(await audits(db, office, "content.")) == 2


async def test_a_publishing_window_keeps_the_item_from_readers_until_it_opens(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    item = await add(db, office, slug="zoo", title={"fr": "Le zoo"})
    page = await editor.get(f"/office/catalogue/{item.id}")
    start = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    bad = await editor.post(
        f"/office/catalogue/{item.id}",
        data=form_of(page, published_from=start, published_until="2020-01-01T00:00"),
    )
    assert bad.status_code == 422
    assert 'id="published_until-error">La fin vient avant le début.' in bad.text
    saved = await editor.post(
        f"/office/catalogue/{item.id}", data=form_of(page, published_from=start)
    )
    assert saved.status_code == 303
    listed = await editor.get("/office/catalogue")
    assert '<span class="status status-scheduled">Programmé</span>' in listed.text
    async with db.session(office.destination_id) as session:
        now = [
            i.slug async for i in stream_items(session, office.destination_id, visible_at=utcnow())
        ]
        later = [
            i.slug
            async for i in stream_items(
                session, office.destination_id, visible_at=utcnow() + timedelta(days=3)
            )
        ]
    assert "zoo" not in now and "zoo" in later


async def test_an_events_dates_are_edited_and_bound_its_active_range(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    item = await add(
        db,
        office,
        slug="concert",
        kind="event",
        title={"fr": "Concert"},
        periods=[{"start": "2027-03-01", "end": "2027-03-01", "start_time": "20:00"}],
        active_from=date(2027, 3, 1),
        active_until=date(2027, 3, 1),
    )
    page = await editor.get(f"/office/catalogue/{item.id}")
    assert 'name="period-0-start" type="date" value="2027-03-01"' in page.text
    bad = await editor.post(
        f"/office/catalogue/{item.id}",
        data=form_of(page, **{"period-1-start": "2027-04-10", "period-1-end": "2027-04-02"}),
    )
    assert bad.status_code == 422
    assert 'id="period-1-end-error">La fin vient avant le début.' in bad.text
    saved = await editor.post(
        f"/office/catalogue/{item.id}",
        data=form_of(
            page,
            **{
                "period-1-start": "2027-04-02",
                "period-1-end": "2027-04-10",
                "period-1-start_time": "19:00",
                "period-1-end_time": "23:00",
                "period-1-days": ["fri", "sat"],
            },
        ),
    )
    assert saved.status_code == 303, saved.text
    after = await reload(db, item.id)
    assert after.periods == [
        {"start": "2027-03-01", "end": "2027-03-01", "start_time": "20:00"},
        {
            "start": "2027-04-02",
            "end": "2027-04-10",
            "start_time": "19:00",
            "end_time": "23:00",
            "days": ["fri", "sat"],
        },
    ]
    # The last evening may run past midnight: the range ends the next day (as an import's).
    assert (after.active_from, after.active_until) == (date(2027, 3, 1), date(2027, 4, 11))
    (entry,) = await audits(db, office, "content.")
    assert entry.detail["fields"] == ["periods"]


async def test_rules_naming_no_day_survive_a_save_unchanged(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    """A rule without days holds every day ("open all day", or hours every day): its row ticks
    the seven days, and saving the form as it is changes nothing, for an imported item too."""
    hours = {"rules": [{}, {"opens": "10:00", "closes": "18:00"}]}
    item = await add(
        db,
        office,
        slug="hotel",
        title={"fr": "Hôtel du Parc"},
        opening_hours=hours,
        source="datatourisme",
        uri="https://data.datatourisme.fr/13/hotel",
    )
    page = await editor.get(f"/office/catalogue/{item.id}")
    data = form_of(page)
    assert data["rule-0-days"] == data["rule-1-days"] == list(DAYS)
    saved = await editor.post(f"/office/catalogue/{item.id}", data=data)
    assert saved.status_code == 303, saved.text[:2000]
    after = await reload(db, item.id)
    assert after.opening_hours == hours
    assert after.overrides == {}
    assert await audits(db, office, "content.") == []


FIXTURES = Path(__file__).parents[1] / "roadbook" / "fixtures" / "datatourisme"
FIXTURE_NAMES = ["pompidou", "old-flux-restaurant", "festival", "cycling-tour"]
FESTIVAL = FIXTURES / "festival.json"


async def import_festival(db: Database, office: Office, **changes: Any) -> dict[str, int]:
    """Import the festival fixture (with ``changes``) into ``office``'s destination."""
    record = {**json.loads(FESTIVAL.read_text()), **changes}
    summary = await import_objects(db, office.destination_id, [Found("festival", record)])
    assert summary.skipped == []
    return {"created": summary.created, "updated": summary.updated, "unchanged": summary.unchanged}


async def planned(db: Database, office: Office, day: date) -> dict[str, Any]:
    """What the roadbook and SQL readers make of the destination's events touching ``day``:
    the slugs ``stream_items(between=...)`` keeps, and each event's candidate periods."""
    async with db.session(office.destination_id) as session:
        between = [
            i.slug async for i in stream_items(session, office.destination_id, "event", (day, day))
        ]
        events = [i async for i in stream_items(session, office.destination_id, "event")]
    periods: dict[str, Any] = {}
    for item in events:
        built = item_candidate(item, {})
        assert built is not None
        periods[item.slug] = [
            p.model_dump(mode="json", exclude_defaults=True) for p in built[0].periods
        ]
    return {"between": between, "periods": periods}


async def test_an_imported_events_office_dates_survive_a_reimport(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    """The office moves an imported festival to October; a re-import (a new version of the
    record, then the same one) keeps the office's dates in the form, in the roadbook's
    candidates and in the active range SQL narrows events with."""
    assert await import_festival(db, office) == {"created": 1, "updated": 0, "unchanged": 0}
    async with db.session(office.destination_id) as session:
        (item,) = [i async for i in stream_items(session, office.destination_id, "event")]
    # The flux: 1-31 August (Saturday mornings) and 21-23 August 21:00-01:00.
    assert (item.active_from, item.active_until) == (date(2026, 8, 1), date(2026, 9, 1))
    page = await editor.get(f"/office/catalogue/{item.id}")
    moved: dict[str, str | list[str]] = {
        "period-0-start": "2026-10-02",
        "period-0-end": "2026-10-04",
        "period-0-start_time": "22:00",
        "period-0-end_time": "02:00",
        "period-1-start": "",
        "period-1-end": "",
        "period-1-start_time": "",
        "period-1-end_time": "",
        "period-1-days": [],
    }
    saved = await editor.post(f"/office/catalogue/{item.id}", data=form_of(page, **moved))
    assert saved.status_code == 303, saved.text[:2000]
    office_dates = [
        {"start": "2026-10-02", "end": "2026-10-04", "start_time": "22:00", "end_time": "02:00"}
    ]
    edited = await reload(db, item.id)
    assert edited.overrides == {"periods": office_dates}
    # Both the flux's dates and the office's (whose last night ends on the 5th).
    expected_range = (date(2026, 8, 1), date(2026, 10, 5))
    assert (edited.active_from, edited.active_until) == expected_range

    for version, counts in (
        ("2026-11-20T04:00:00.000Z", {"created": 0, "updated": 1, "unchanged": 0}),
        ("2026-11-20T04:00:00.000Z", {"created": 0, "updated": 0, "unchanged": 1}),
    ):
        assert await import_festival(db, office, lastUpdateDatatourisme=version) == counts
        after = await reload(db, item.id)
        assert after.source_version == version
        assert after.overrides == {"periods": office_dates}
        assert effective(after)["periods"] == office_dates
        shown = await editor.get(f"/office/catalogue/{item.id}")
        assert 'name="period-0-start" type="date" value="2026-10-02"' in shown.text
        assert 'name="period-1-start" type="date" value=""' in shown.text
        assert (after.active_from, after.active_until) == expected_range
        for day in (date(2026, 10, 3), date(2026, 10, 5)):
            assert await planned(db, office, day) == {
                "between": [item.slug],
                "periods": {item.slug: office_dates},
            }

    # The flux moves its own dates to July: the range covers them and still the office's.
    july = {"@type": ["Period"], "startDate": "2026-07-10", "endDate": "2026-07-12"}
    assert await import_festival(
        db,
        office,
        lastUpdateDatatourisme="2026-11-21T04:00:00.000Z",
        takesPlaceAt=[july],
    ) == {"created": 0, "updated": 1, "unchanged": 0}
    after = await reload(db, item.id)
    assert after.periods == [{"start": "2026-07-10", "end": "2026-07-12"}]
    assert (after.active_from, after.active_until) == (date(2026, 7, 10), date(2026, 10, 5))
    assert (await planned(db, office, date(2026, 10, 4)))["between"] == [item.slug]
    # Reverted to the flux, the range is the flux's alone.
    page = await editor.get(f"/office/catalogue/{item.id}")
    reverted = await editor.post(
        f"/office/catalogue/{item.id}/revert", data={"csrf": csrf_of(page), "field": "periods"}
    )
    assert reverted.status_code == 303
    after = await reload(db, item.id)
    assert after.overrides == {}
    assert (after.active_from, after.active_until) == (date(2026, 7, 10), date(2026, 7, 12))
    assert await planned(db, office, date(2026, 10, 4)) == {
        "between": [],
        "periods": {item.slug: [{"start": "2026-07-10", "end": "2026-07-12"}]},
    }


async def test_an_office_save_and_an_import_at_the_same_moment_keep_both_dates(
    committed_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office moves an imported festival to October while an import moves the flux's
    dates to July: the import waits for the office's save (the row is locked from its read),
    then widens the active range to both, instead of the save writing a range computed from
    the flux it read before the import (which would drop July from SQL narrowing)."""
    office = await seed_office(committed_db)
    await import_festival(committed_db, office)
    async with committed_db.session(office.destination_id) as session:
        (item,) = [i async for i in stream_items(session, office.destination_id, "event")]
    july = {"@type": ["Period"], "startDate": "2026-07-10", "endDate": "2026-07-12"}
    newer = {"lastUpdateDatatourisme": "2026-11-21T04:00:00.000Z", "takesPlaceAt": [july]}
    importing: list[asyncio.Task[dict[str, int]]] = []
    recorded = office_router._recorded

    async def save_while_importing(*args: Any, **kwargs: Any) -> Any:
        # The office has read the item and applied its form: the import starts now, and
        # must wait on the row until the office commits.
        importing.append(asyncio.create_task(import_festival(committed_db, office, **newer)))
        await _until_waiting_on_a_lock(committed_db)
        return await recorded(*args, **kwargs)

    monkeypatch.setattr(office_router, "_recorded", save_while_importing)
    async with await signed_in(committed_db, office, "marketing") as editor:
        page = await editor.get(f"/office/catalogue/{item.id}")
        moved = {"period-0-start": "2026-10-02", "period-0-end": "2026-10-04"}
        saved = await editor.post(f"/office/catalogue/{item.id}", data=form_of(page, **moved))
    assert saved.status_code == 303, saved.text[:2000]
    assert await importing[0] == {"created": 0, "updated": 1, "unchanged": 0}
    after = await reload(committed_db, item.id)
    assert after.periods == [{"start": "2026-07-10", "end": "2026-07-12"}]
    assert after.overrides["periods"][0]["start"] == "2026-10-02"
    assert after.active_from == date(2026, 7, 10) and after.active_until >= date(2026, 10, 4)


async def _until_waiting_on_a_lock(db: Database, tries: int = 200) -> None:
    """Poll (every 50 ms, 10 s at most) until some session of ``db`` waits on a lock."""
    for _ in range(tries):
        async with db.session(system=True) as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        if waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the import never waited for the office's save")


async def test_an_imported_places_edits_survive_a_reimport_and_the_flux_shows_through(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    """Saving an imported item writes only what the office changed: not the flux's hours (the
    flux writes an empty remark the form leaves out), not empty texts in languages the form
    does not show. So a re-import's new hours and texts show, under the office's title and
    publishing window, which the re-import keeps."""
    records = [json.loads((FIXTURES / f"{name}.json").read_text()) for name in FIXTURE_NAMES]
    summary = await import_objects(db, office.destination_id, [Found(r["@id"], r) for r in records])
    assert (summary.created, summary.skipped) == (4, [])
    async with db.session(office.destination_id) as session:
        imported = [i async for i in stream_items(session, office.destination_id)]
    for item in imported:
        page = await editor.get(f"/office/catalogue/{item.id}")
        saved = await editor.post(f"/office/catalogue/{item.id}", data=form_of(page))
        assert saved.status_code == 303, saved.text[:2000]
        assert (await reload(db, item.id)).overrides == {}, item.slug
    assert await audits(db, office, "content.") == []

    (pompidou,) = [i for i in imported if i.slug.startswith("centre-pompidou")]
    page = await editor.get(f"/office/catalogue/{pompidou.id}")
    edit = form_of(page, **{"title-de": "Pompidou-Zentrum"}, published_until="2030-01-01T00:00")
    assert (await editor.post(f"/office/catalogue/{pompidou.id}", data=edit)).status_code == 303
    edited = await reload(db, pompidou.id)
    assert edited.overrides == {"title": {"de": "Pompidou-Zentrum"}}
    assert edited.published_until is not None

    changed = json.loads((FIXTURES / "pompidou.json").read_text())
    changed["lastUpdateDatatourisme"] = "2026-11-20T04:00:00.000Z"
    changed["rdfs:label"] = {"fr": ["Centre Georges Pompidou"]}
    changed["hasDescription"][0]["shortDescription"]["it"] = ["Museo d'arte moderna."]
    changed["isLocatedAt"][0]["schema:openingHoursSpecification"][0]["schema:closes"] = "20:00:00"
    for counts in ((0, 1, 0), (0, 0, 1)):  # a new version of the record, then the same one
        summary = await import_objects(
            db, office.destination_id, [Found("pompidou", json.loads(json.dumps(changed)))]
        )
        assert (summary.created, summary.updated, summary.unchanged) == counts
        after = await reload(db, pompidou.id)
        assert after.overrides == {"title": {"de": "Pompidou-Zentrum"}}
        assert after.published and after.published_until == edited.published_until
        shown = effective(after)
        assert shown["title"] == {"fr": "Centre Georges Pompidou", "de": "Pompidou-Zentrum"}
        assert shown["summary"]["it"] == "Museo d'arte moderna."
        assert [rule.get("closes") for rule in shown["opening_hours"]["rules"]] == ["20:00", None]
        form = form_of(await editor.get(f"/office/catalogue/{pompidou.id}"))
        assert (form["title-fr"], form["title-de"]) == (
            "Centre Georges Pompidou",
            "Pompidou-Zentrum",
        )
        assert (form["rule-0-opens"], form["rule-0-closes"]) == ("11:00", "20:00")
        assert form["published_until"] == "2030-01-01T00:00"
        built = item_candidate(after, {})
        assert built is not None
        candidate, details = built
        assert candidate.title == shown["title"]
        assert candidate.hours is not None and candidate.hours.rules[0].closes == "20:00"
        assert details.shown_until == edited.published_until


async def test_contact_prices_and_accessibility_are_edited_and_checked(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    item = await add(db, office, slug="zoo", title={"fr": "Le zoo"})
    page = await editor.get(f"/office/catalogue/{item.id}")
    assert '<label for="contact_emails">Adresses e-mail</label>' in page.text
    assert 'name="accessibility" value="wheelchair"> Fauteuil roulant</label>' in page.text
    assert 'id="price_currency" name="price_currency" type="text" value="EUR"' in page.text
    bad = form_of(
        page,
        contact_emails="accueil@zoo.example\naccueil(at)zoo.example",
        contact_websites="www.zoo.example",
        price_min="15",
        price_max="9,50",
        accessibility=["wheelchair"],
    )
    answer = await editor.post(f"/office/catalogue/{item.id}", data=bad)
    assert answer.status_code == 422
    assert (
        '<p class="error" id="contact_emails-error">« accueil(at)zoo.example » n&#39;est pas une'
        " adresse e-mail (nom@domaine.fr).</p>"
    ) in answer.text
    assert 'id="contact_websites-error">« www.zoo.example » n&#39;est pas une adresse web' in (
        answer.text
    )
    assert 'id="price_max-error">Le prix maximum est inférieur au prix minimum.</p>' in answer.text
    assert re.search(
        r'<textarea id="contact_emails"[^>]*aria-describedby="contact-hint contact_emails-error"'
        r' aria-invalid="true" autofocus>accueil@zoo.example\naccueil\(at\)zoo.example</textarea>',
        answer.text,
    )
    assert 'value="9,50"' in answer.text  # what was typed is shown again
    assert 'value="wheelchair" checked' in answer.text
    again = await reload(db, item.id)
    assert (again.contact, again.price, again.accessibility) == ({}, {}, [])
    assert await audits(db, office, "content.") == []

    good = form_of(
        page,
        contact_emails="accueil@zoo.example",
        contact_phones="+33 3 87 00 00 00\n03 87 11 11 11",
        contact_websites="https://zoo.example/",
        price_min="9,50",
        price_max="15",
        accessibility=["wheelchair", "hearing"],
        **{"price_remark-en": "Children under 3 free."},
    )
    saved = await editor.post(f"/office/catalogue/{item.id}", data=good)
    assert saved.status_code == 303, saved.text[:2000]
    assert saved.headers["location"].endswith("fields=contact%2Cprice%2Caccessibility")
    after = await reload(db, item.id)
    assert after.contact == {
        "emails": ["accueil@zoo.example"],
        "phones": ["+33 3 87 00 00 00", "03 87 11 11 11"],
        "websites": ["https://zoo.example/"],
    }
    assert after.price == {
        "min": 9.5,
        "max": 15.0,
        "currency": "EUR",
        "free": False,
        "remark": {"en": "Children under 3 free."},
    }
    assert after.accessibility == ["wheelchair", "hearing"]
    shown = await editor.get(saved.headers["location"])
    assert "Enregistré : Contact, Tarifs, Accessibilité." in shown.text
    assert 'id="price_min" name="price_min" type="text" inputmode="decimal"' in shown.text
    assert 'value="9.5"' in shown.text and 'value="Children under 3 free."' in shown.text
    same = await editor.post(f"/office/catalogue/{item.id}", data=form_of(shown))
    assert same.headers["location"].endswith("?done=unchanged")
    assert len(await audits(db, office, "content.")) == 1
    # The messages in the editor's language.
    english = await editor.post(f"/office/catalogue/{item.id}?lang=en", data=bad)
    assert english.status_code == 422
    assert "The highest price is below the lowest." in english.text
    assert "“accueil(at)zoo.example” is not an email address" in english.text


async def test_an_imported_items_contact_price_and_accessibility_are_overridden_and_reverted(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    flux_price = {"min": 11.0, "max": 15.5, "currency": "EUR", "free": False}
    item = await add(
        db,
        office,
        slug="musee",
        title={"fr": "Musée"},
        contact={"phones": ["+33 3 87 00 00 00"], "websites": ["www.musee.example"]},
        price=flux_price,
        accessibility=["hearing", "wheelchair"],
        source="datatourisme",
        uri="https://data.datatourisme.fr/13/musee",
    )
    page = await editor.get(f"/office/catalogue/{item.id}")
    # The flux's website is not an absolute URL: left as it is, the save still goes through.
    unchanged = await editor.post(f"/office/catalogue/{item.id}", data=form_of(page))
    assert unchanged.headers["location"].endswith("?done=unchanged")
    edited = form_of(page, price_free=["1"], price_min="0", price_max="0", accessibility=[])
    saved = await editor.post(f"/office/catalogue/{item.id}", data=edited)
    assert saved.status_code == 303, saved.text[:2000]
    after = await reload(db, item.id)
    assert after.price == flux_price and after.accessibility == ["hearing", "wheelchair"]
    assert after.overrides == {
        "price": {"min": 0.0, "max": 0.0, "currency": "EUR", "free": True},
        "accessibility": [],
    }
    shown = await editor.get(f"/office/catalogue/{item.id}")
    assert "<span>Le flux dit :</span> <q>11 → 15.5 EUR</q>" in shown.text
    assert "<span>Le flux dit :</span> <q>Audition, Fauteuil roulant</q>" in shown.text
    assert 'name="field" value="price" formnovalidate>Revenir au flux — Tarifs</button>' in (
        shown.text
    )
    assert 'name="price_free" value="1" checked' in shown.text
    reverted = await editor.post(
        f"/office/catalogue/{item.id}/revert", data={"csrf": csrf_of(shown), "field": "price"}
    )
    assert reverted.status_code == 303
    assert (
        "« Tarifs » reprend la valeur du flux"
        in (await editor.get(reverted.headers["location"])).text
    )
    after = await reload(db, item.id)
    assert after.overrides == {"accessibility": []}
    assert effective(after)["price"] == flux_price
