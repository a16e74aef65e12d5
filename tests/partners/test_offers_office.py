"""The office's offer pages over HTTP: list and filters, create, edit (a bad field shown next to
it and nothing written), the status buttons of the state machine, who may, CSRF, the audit log,
the four languages."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, select

from crm.core.db import Database
from crm.destinations import service as destinations
from partners.offers.models import Offer

sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import make_client
from offers_support import make_offer
from office_support import Office, audits, csrf_of, form_fields, signed_in


@pytest.fixture
async def editor(db: Database, office: Office) -> AsyncIterator[httpx2.AsyncClient]:
    async with await signed_in(db, office, "marketing") as client:
        yield client


def form_of(page: httpx2.Response, **changes: str | list[str]) -> dict[str, Any]:
    return form_fields(page, "offer-form", **changes)


async def reload(db: Database, office: Office, offer_id: Any) -> Offer:
    async with db.session(office.destination_id) as session:
        offer = await session.get(Offer, offer_id)
        assert offer is not None
        return offer


async def count(db: Database, office: Office) -> int:
    async with db.session(office.destination_id) as session:
        return int(await session.scalar(select(func.count()).select_from(Offer)) or 0)


def titles(page: httpx2.Response) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/office/offers/[^"]+"[^>]*>([^<]+)</a>', page.text)


async def test_the_list_filters_by_partner_and_status(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    async with db.session(office.destination_id) as session:
        spa = await destinations.add_partner(session, office.destination_id, "spa", "Thermapolis")
        await session.commit()
    await make_offer(db, office, title={"fr": "Billet famille"}, quota=20)
    await make_offer(db, office, partner_id=spa.id, title={"fr": "Entrée du soir"})
    page = await editor.get("/office/offers")
    assert page.status_code == 200, page.text
    assert sorted(titles(page)) == ["Billet famille", "Entrée -10 %", "Entrée du soir"]
    assert "<caption>3 offre(s)</caption>" in page.text
    assert "0 sur 20" in page.text  # redemptions against the quota
    assert '<a href="/office/offers" aria-current="page">Offres</a>' in page.text
    by_spa = await editor.get("/office/offers", params={"partner": str(spa.id)})
    assert titles(by_spa) == ["Entrée du soir"]
    drafts = await editor.get("/office/offers", params={"status": "draft"})
    assert titles(drafts) == ["Entrée -10 %"]
    both = await editor.get(
        "/office/offers", params={"partner": str(office.partner_id), "status": "approved"}
    )
    assert titles(both) == ["Billet famille"]
    # Unknown filter values are ignored, not errors.
    assert len(titles(await editor.get("/office/offers?status=gone&partner=x"))) == 3
    english = await editor.get("/office/offers", params={"lang": "de"})
    assert '<a href="/office/offers" aria-current="page">Angebote</a>' in english.text
    assert "Entwurf" in english.text


async def test_create_an_offer_then_fix_a_bad_field(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    page = await editor.get("/office/offers/new", params={"partner": str(office.partner_id)})
    assert page.status_code == 200
    assert '<option value="' + str(office.partner_id) + '" selected>' in page.text
    before = await count(db, office)
    bad = form_of(
        page,
        **{
            "title-fr": "Goûter avec les soigneurs",
            "title-nl": "Tussendoortje",
            "valid_until": "2020-01-01T00:00",
            "cap_per_day": "-1",
            "quota": "beaucoup",
            "slot-0-opens": "25:00",
            "boost": "2",
        },
    )
    refused = await editor.post("/office/offers/new", data=bad)
    assert refused.status_code == 422
    assert "Corrigez les champs signalés : rien n&#39;a été enregistré." in refused.text
    assert 'id="valid_until-error">La fin vient avant le début.' in refused.text
    assert 'id="cap_per_day-error">Un nombre entier de 0 à 1000000, ou vide.' in refused.text
    assert 'id="quota-error">Un nombre entier de 0 à 1000000, ou vide.' in refused.text
    assert 'id="slot-0-opens-error">Une heure HH:MM (24:00 pour minuit).' in refused.text
    assert 'id="boost-error">Un nombre de 0 à 1, par exemple 0.25.' in refused.text
    assert 'value="Tussendoortje"' in refused.text  # what was typed is kept
    assert await count(db, office) == before  # nothing written

    good = form_of(
        refused,
        **{
            "valid_until": "2030-01-01T00:00",
            "cap_per_day": "1",
            "quota": "40",
            "slot-0-opens": "15:00",
            "slot-0-closes": "16:00",
            "slot-0-days": ["wed", "sat"],
            "boost": "0,25",
            "wishes": ["family"],
            "with_children": "yes",
            "languages": ["fr", "nl"],
            "trigger": "at_site",
            "site_ids": [str(office.site_id)],
            "redemption_kind": "screen",
        },
    )
    created = await editor.post("/office/offers/new", data=good)
    assert created.status_code == 303
    location = created.headers["location"]
    assert location.endswith("?done=created")
    offer_id = location.split("/")[-1].split("?")[0]
    offer = await reload(db, office, offer_id)
    assert offer.title == {"fr": "Goûter avec les soigneurs", "nl": "Tussendoortje"}
    assert offer.status == "draft"
    assert offer.schedule == {
        "rules": [{"days": ["wed", "sat"], "opens": "15:00", "closes": "16:00"}]
    }
    assert (offer.cap_per_day, offer.quota, offer.boost) == (1, 40, 0.25)
    assert (offer.wishes, offer.with_children, offer.languages) == (["family"], True, ["fr", "nl"])
    assert (offer.trigger, offer.site_ids, offer.redemption_kind) == (
        "at_site",
        [str(office.site_id)],
        "screen",
    )
    assert offer.valid_until.isoformat() == "2029-12-31T23:00:00+00:00"  # Paris midnight
    shown = await editor.get(location)
    assert 'role="status">Offre créée (brouillon).' in shown.text
    assert [a.action for a in await audits(db, office, "offer.")] == ["offer.create"]


async def test_edit_saves_only_what_changed_and_audits_it(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    url = f"/office/offers/{office.offer_id}"
    page = await editor.get(url)
    assert page.status_code == 200
    # The four languages side by side, each with its own lang attribute.
    assert re.findall(r'<fieldset class="language" lang="(\w\w)">', page.text) == [
        "fr",
        "en",
        "de",
        "nl",
    ]
    unchanged = await editor.post(url, data=form_of(page))
    assert unchanged.headers["location"].endswith("?done=unchanged")
    saved = await editor.post(
        url, data=form_of(page, **{"title-de": "Eintritt -10 %", "quota": "5"})
    )
    assert saved.status_code == 303
    after = await editor.get(saved.headers["location"])
    assert 'role="status">Enregistré : Titre, Utilisations en tout.' in after.text
    offer = await reload(db, office, office.offer_id)
    assert offer.title == {"fr": "Entrée -10 %", "de": "Eintritt -10 %"}
    assert offer.quota == 5
    [entry] = await audits(db, office, "offer.")
    assert entry.action == "offer.update"
    assert entry.detail["fields"] == ["title", "quota"]
    assert entry.actor == f"staff:{office.staff_ids['marketing']}"

    # A bad site (another partner's) is refused next to the field; nothing written.
    async with db.session(office.destination_id) as session:
        spa = await destinations.add_partner(session, office.destination_id, "spa", "Spa")
        await session.commit()
    wrong = await editor.post(url, data=form_of(after, partner_id=str(spa.id),
                                                  site_ids=[str(office.site_id)]))  # fmt: skip
    assert wrong.status_code == 422
    assert 'id="site_ids-error">Choisissez des sites de ce partenaire.' in wrong.text
    assert (await reload(db, office, office.offer_id)).partner_id == office.partner_id


async def test_status_buttons_follow_the_state_machine(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    url = f"/office/offers/{office.offer_id}"

    async def buttons() -> list[str]:
        page = await editor.get(url)
        return re.findall(r'name="to" value="(\w+)"', page.text)

    assert await buttons() == ["submitted", "approved", "ended"]
    page = await editor.get(url)
    token = csrf_of(page)
    moved = await editor.post(f"{url}/status", data={"csrf": token, "to": "approved"})
    assert moved.status_code == 303 and moved.headers["location"].endswith("?done=approve")
    offer = await reload(db, office, office.offer_id)
    assert offer.status == "approved"
    assert offer.approved_by == f"staff:{office.staff_ids['marketing']}"
    assert await buttons() == ["paused", "ended"]
    # A move the table does not have (approved -> draft): refused, 409, nothing changed.
    refused = await editor.post(f"{url}/status", data={"csrf": token, "to": "draft"})
    assert refused.status_code == 409
    assert "Ce changement d&#39;état n&#39;est pas possible depuis « Approuvée »." in refused.text
    assert (await reload(db, office, office.offer_id)).status == "approved"
    for target, action in (("paused", "pause"), ("approved", "resume"), ("ended", "end")):
        answer = await editor.post(f"{url}/status", data={"csrf": token, "to": target})
        assert answer.headers["location"].endswith(f"?done={action}")
    assert await buttons() == []  # ended is final
    final = await editor.get(url)
    assert 'status-ended">Terminée' in final.text
    again = await editor.post(url, data=form_of(final, **{"title-fr": "Encore"}))
    assert again.status_code == 409
    assert "Cette offre est terminée : elle ne peut plus être modifiée." in again.text
    assert (await reload(db, office, office.offer_id)).title == {"fr": "Entrée -10 %"}
    assert [
        (a.action, a.detail["status_from"], a.detail["to"])
        for a in await audits(db, office, "offer.")
    ] == [
        ("offer.approve", "draft", "approved"),
        ("offer.pause", "approved", "paused"),
        ("offer.resume", "paused", "approved"),
        ("offer.end", "approved", "ended"),
    ]


async def test_forms_without_the_session_s_csrf_token_change_nothing(
    db: Database, office: Office, editor: httpx2.AsyncClient
) -> None:
    url = f"/office/offers/{office.offer_id}"
    page = await editor.get(url)
    for path, data in (
        (url, form_of(page, csrf="forged", **{"title-fr": "Piraté"})),
        (f"{url}/status", {"csrf": "forged", "to": "approved"}),
        ("/office/offers/new", form_of(page, csrf="", **{"title-fr": "Nouveau"})),
    ):
        answer = await editor.post(path, data=data)
        assert answer.status_code == 403, path
    offer = await reload(db, office, office.offer_id)
    assert (offer.title, offer.status) == ({"fr": "Entrée -10 %"}, "draft")
    assert await count(db, office) == 1
    assert await audits(db, office, "offer.") == []


async def test_who_may_see_the_pages(db: Database, office: Office, other: Office) -> None:
    for role, expected in (("admin", 200), ("marketing", 200), ("desk", 403)):
        async with await signed_in(db, office, role) as client:
            assert (await client.get("/office/offers")).status_code == expected, role
            nav = (await client.get("/office")).text
            assert ('href="/office/offers"' in nav) == (expected == 200), role
    async with await signed_in(db, other, "admin") as stranger:
        assert (await stranger.get(f"/office/offers/{office.offer_id}")).status_code == 404
        listed = await stranger.get("/office/offers")
        assert "Entrée -10 %" in listed.text  # their own seeded draft only
        assert str(office.offer_id) not in listed.text
    async with make_client(db) as anonymous:
        answer = await anonymous.get("/office/offers")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/office/sign-in")


async def test_an_unknown_offer_is_a_404_page(editor: httpx2.AsyncClient) -> None:
    answer = await editor.get("/office/offers/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404
    assert "Cette offre n&#39;existe pas." in answer.text
