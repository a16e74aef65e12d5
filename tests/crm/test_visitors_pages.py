"""The self-enrolment page: four languages, the notice with the UID warning, form re-rendering."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select
from sqlmodel import col

from crm.core.db import Database
from crm.visitors import notice
from crm.visitors.models import Consent, Visitor

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import make_client
from visitors_support import new_destination, visitors_of


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx2.AsyncClient]:
    async with make_client(db) as c:
        yield c


@pytest.fixture
async def destination(db: Database) -> tuple[uuid.UUID, str]:
    return await new_destination(db, "page")


@pytest.mark.parametrize(
    ("lang", "heading", "wish"),
    [
        ("fr", "Créer mon carnet de route", "Bien-être"),
        ("en", "Create my roadbook", "Wellness"),
        ("de", "Mein Reisebuch anlegen", "Einkaufen"),
        ("nl", "Mijn reisboek aanmaken", "Winkelen"),
    ],
)
async def test_form_in_each_language_shows_the_notice(
    client: httpx2.AsyncClient,
    destination: tuple[uuid.UUID, str],
    lang: str,
    heading: str,
    wish: str,
) -> None:
    _, slug = destination
    response = await client.get(f"/enrol/{slug}", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f'<html lang="{lang}">' in page
    assert heading in page and wish in page
    shown = notice.render(lang)
    assert shown.uid_warning.replace("'", "&#39;") in page
    assert f'name="notice_version" value="{notice.CURRENT_VERSION}"' in page
    # Every consent box starts unticked.
    assert "checked" not in page


async def test_unknown_destination_is_a_problem(client: httpx2.AsyncClient) -> None:
    response = await client.get("/enrol/nowhere-at-all")
    assert response.status_code == 404


async def test_bad_input_re_renders_with_messages_and_keeps_the_entries(
    client: httpx2.AsyncClient, db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, slug = destination
    response = await client.post(
        f"/enrol/{slug}",
        data={
            "language": "de",
            "wishes": ["wellness", "sport"],
            "consents": ["personalisation"],
            "stay_start": "2026-12-10",
            "stay_end": "2026-12-01",
            "adults": "many",
            "children": "1",
        },
    )
    assert response.status_code == 422
    page = response.text
    assert "Bitte korrigieren Sie die markierten Felder." in page
    assert "Die Abreise liegt vor der Anreise." in page
    assert "Eine Zahl von 0 bis 50." in page
    assert 'value="wellness" checked' in page and 'value="sport" checked' in page
    assert 'value="personalisation" checked' in page
    assert 'value="proximity" checked' not in page
    assert 'value="2026-12-10"' in page
    assert await visitors_of(db, dest_id) == 0

    tampered = await client.post(
        f"/enrol/{slug}", data={"language": "fr", "wishes": ["casino"], "stay_start": "demain"}
    )
    assert tampered.status_code == 422
    assert "Choix inconnu." in tampered.text and "Date invalide" in tampered.text
    nobody = await client.post(f"/enrol/{slug}", data={"adults": "0", "children": "0"})
    assert nobody.status_code == 422 and "Au moins une personne." in nobody.text
    assert await visitors_of(db, dest_id) == 0


async def test_enrolment_from_the_form_shows_the_roadbook_link_once(
    client: httpx2.AsyncClient, db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, slug = destination
    response = await client.post(
        f"/enrol/{slug}",
        data={
            "language": "nl",
            "notice_version": notice.CURRENT_VERSION,
            "wishes": ["family"],
            "consents": ["proximity", "personalisation"],
            "accessibility": ["hearing"],
            "adults": "2",
            "children": "2",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "Uw reisboek is klaar" in response.text
    token = response.text.split("/r/")[1].split('"')[0]
    consents = await client.get(f"/r/{token}/consents")
    assert consents.status_code == 200
    assert consents.json()["state"]["proximity"] is True
    async with db.session(dest_id) as session:
        visitor = (
            await session.execute(select(Visitor).where(col(Visitor.destination_id) == dest_id))
        ).scalar_one()
        assert (visitor.language, visitor.adults, visitor.children) == ("nl", 2, 2)
        assert visitor.accessibility == ["hearing"]
        versions = (
            await session.execute(
                select(col(Consent.notice_version)).where(col(Consent.visitor_id) == visitor.id)
            )
        ).scalars()
        assert set(versions) == {notice.CURRENT_VERSION}
    outdated = await client.post(
        f"/enrol/{slug}", data={"language": "en", "notice_version": "1999-01"}
    )
    assert outdated.status_code == 422
    assert "unknown notice version" in outdated.text
