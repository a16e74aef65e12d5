"""Enrolment (desk and QR self-enrolment), the notice, and consent changes through the API."""

from __future__ import annotations

import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from crm.core.audit import AuditLog
from crm.core.db import Database
from crm.core.models import utcnow
from crm.destinations import service as destinations
from crm.ingest.models import PresenceCount, ProximityEvent
from crm.passes.models import Device
from crm.visitors import notice
from crm.visitors.models import Consent, Visitor

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import (
    gateway_names,
    make_client,
    roadbook_token,
    seed_tenant,
    send,
    uid_event,
)
from rights_support import bearer, staff_token

PASS = "0123456789abcdef0123:a1b2c3d4e5f6"


@pytest.fixture
async def destination(db: Database) -> tuple[uuid.UUID, str]:
    slug = f"dest-{uuid.uuid4().hex[:8]}"
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, slug, "Amnéville")
        await session.commit()
    return dest.id, slug


@pytest.fixture
async def client(db: Database) -> httpx2.AsyncClient:
    async with make_client(db) as c:
        yield c


async def count(db: Database, model: type, destination_id: uuid.UUID) -> int:
    async with db.session(system=True) as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(model)
                    .where(
                        model.destination_id == destination_id  # type: ignore[attr-defined]
                    )
                )
            ).scalar_one()
        )


async def test_notice_in_every_language_warns_about_static_uids(
    client: httpx2.AsyncClient,
) -> None:
    words = {"fr": "scanner", "en": "scanner", "de": "Scanner", "nl": "scanner"}
    for lang, word in words.items():
        response = await client.get("/api/v1/notice", params={"lang": lang})
        assert response.status_code == 200
        body = response.json()
        assert body["version"] == notice.CURRENT_VERSION
        assert body["language"] == lang
        assert word in body["uid_warning"]
        assert "UID" in body["uid_warning"]
        assert body["uid_warning"] in body["text"]
        assert set(body["scopes"]) == {"proximity", "personalisation", "marketing"}
        assert "30" in body["retention"] and "3" in body["retention"]
    missing = await client.get("/api/v1/notice", params={"version": "1999-01"})
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    bad_lang = await client.get("/api/v1/notice", params={"lang": "xx"})
    assert bad_lang.status_code == 422


async def test_self_enrolment_stores_choices_and_consents_with_notice_version(
    client: httpx2.AsyncClient, db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, slug = destination
    today = utcnow().date()
    response = await client.post(
        "/api/v1/enrol",
        json={
            "destination": slug,
            "language": "nl",
            "wishes": ["wellness", "family"],
            "stay_start": str(today),
            "stay_end": str(today + timedelta(days=3)),
            "adults": 2,
            "children": 1,
            "accessibility": ["wheelchair"],
            "consents": ["proximity", "personalisation"],
            "notice_version": notice.CURRENT_VERSION,
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    token = body["roadbook_token"]
    assert body["notice_version"] == notice.CURRENT_VERSION
    assert body["roadbook_url"].endswith(f"/r/{token}")
    visitor_id = uuid.UUID(body["visitor_id"])
    async with db.session(dest_id) as session:
        visitor = await session.get(Visitor, visitor_id)
        assert visitor is not None
        assert visitor.language == "nl"
        assert visitor.wishes == ["wellness", "family"]
        assert (visitor.adults, visitor.children) == (2, 1)
        assert visitor.accessibility == ["wheelchair"]
        assert visitor.stay_end == today + timedelta(days=3)
        consents = (
            (await session.execute(select(Consent).where(col(Consent.visitor_id) == visitor_id)))
            .scalars()
            .all()
        )
    assert {(c.scope, c.granted, c.notice_version, c.by) for c in consents} == {
        ("proximity", True, notice.CURRENT_VERSION, "visitor"),
        ("personalisation", True, notice.CURRENT_VERSION, "visitor"),
    }
    mine = await client.get(f"/r/{token}/consents")
    assert mine.status_code == 200
    assert mine.json()["state"] == {
        "proximity": True,
        "personalisation": True,
        "marketing": False,
    }


async def refused_enrolment(
    client: httpx2.AsyncClient, db: Database, destination_id: uuid.UUID, body: dict[str, object]
) -> dict[str, Any]:
    """POST /api/v1/enrol, refused (422 problem+json) with nothing written: the problem."""
    response = await client.post("/api/v1/enrol", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await count(db, Visitor, destination_id) == 0
    problem: dict[str, Any] = response.json()
    return problem


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"wishes": ["casino"]}, "wishes"),
        ({"language": "it"}, "language"),
        ({"consents": ["tracking"]}, "consents"),
        ({"accessibility": ["anything"]}, "accessibility"),
        ({"adults": -1}, "adults"),
        ({"pass_uid": PASS}, "pass_uid"),  # no pass on the public form: a desk operation
        ({"stay_start": "2026-13-01"}, "stay_start"),
    ],
)
async def test_self_enrolment_rejects_bad_input_precisely_and_writes_nothing(
    client: httpx2.AsyncClient,
    db: Database,
    destination: tuple[uuid.UUID, str],
    change: dict[str, object],
    where: str,
) -> None:
    dest_id, slug = destination
    problem = await refused_enrolment(
        client, db, dest_id, {"destination": slug, "consents": ["proximity"], **change}
    )
    assert where in {e["loc"][-1] if e["loc"] else "" for e in problem["errors"]} | {
        str(loc) for e in problem["errors"] for loc in e["loc"]
    }


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"stay_start": "2026-12-10", "stay_end": "2026-12-01"}, "ends before it starts"),
        ({"stay_start": "2026-01-01", "stay_end": "2027-06-01"}, "at most"),
        ({"stay_end": "2099-01-01"}, "more than 366 days from now"),
        ({"adults": 0, "children": 0}, "at least one person"),
        ({"notice_version": "1999-01"}, "unknown notice version"),
    ],
)
async def test_self_enrolment_business_rules(
    client: httpx2.AsyncClient,
    db: Database,
    destination: tuple[uuid.UUID, str],
    change: dict[str, object],
    detail: str,
) -> None:
    dest_id, slug = destination
    problem = await refused_enrolment(client, db, dest_id, {"destination": slug, **change})
    assert detail in problem["detail"]


async def test_self_enrolment_unknown_destination(client: httpx2.AsyncClient) -> None:
    response = await client.post("/api/v1/enrol", json={"destination": "nowhere-at-all"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_desk_enrolment_needs_desk_role_hands_a_pass_and_is_audited(
    client: httpx2.AsyncClient, db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, _ = destination
    body = {"language": "de", "wishes": ["sport"], "consents": ["proximity"], "pass_uid": PASS}
    anonymous = await client.post("/api/v1/visitors", json=body)
    assert anonymous.status_code == 401
    _, marketing = await staff_token(db, dest_id, "marketing")
    refused = await client.post("/api/v1/visitors", json=body, headers=bearer(marketing))
    assert refused.status_code == 403
    assert await count(db, Visitor, dest_id) == 0

    desk_id, desk = await staff_token(db, dest_id, "desk")
    bad = await client.post(
        "/api/v1/visitors", json={**body, "pass_uid": "nothex:zz"}, headers=bearer(desk)
    )
    assert bad.status_code == 422
    response = await client.post("/api/v1/visitors", json=body, headers=bearer(desk))
    assert response.status_code == 201, response.text
    visitor_id = uuid.UUID(response.json()["visitor_id"])
    async with db.session(dest_id) as session:
        device = (
            await session.execute(select(Device).where(col(Device.visitor_id) == visitor_id))
        ).scalar_one()
        assert device.identity == "uid:0123456789abcdef0123:a1b2c3d4e5f6"
        consent = (
            await session.execute(select(Consent).where(col(Consent.visitor_id) == visitor_id))
        ).scalar_one()
        assert consent.by == f"staff:{desk_id}"
        audit = (
            await session.execute(select(AuditLog).where(col(AuditLog.visitor_id) == visitor_id))
        ).scalar_one()
        assert (audit.actor, audit.action) == (f"staff:{desk_id}", "visitor.enrol")
    profile = await client.get(f"/api/v1/office/visitors/{visitor_id}", headers=bearer(desk))
    assert profile.status_code == 200
    shown = profile.json()
    assert (shown["id"], shown["language"], shown["wishes"]) == (str(visitor_id), "de", ["sport"])
    assert (shown["adults"], shown["children"], shown["accessibility"]) == (1, 0, [])
    assert shown["consents"]["proximity"] is True
    assert shown["consents"]["marketing"] is False


async def test_visitor_changes_consent_through_token_appending_to_the_ledger(
    client: httpx2.AsyncClient, db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, slug = destination
    enrolled = await client.post(
        "/api/v1/enrol", json={"destination": slug, "consents": ["proximity", "marketing"]}
    )
    token = enrolled.json()["roadbook_token"]
    visitor_id = uuid.UUID(enrolled.json()["visitor_id"])
    async with db.session(dest_id) as session:
        before = (await session.get(Visitor, visitor_id)).last_action_at  # type: ignore[union-attr]

    withdrawn = await client.post(
        f"/r/{token}/consents", json={"scope": "proximity", "granted": False}
    )
    assert withdrawn.status_code == 201, withdrawn.text
    assert withdrawn.json()["state"] == {
        "proximity": False,
        "personalisation": False,
        "marketing": True,
    }
    ledger = withdrawn.json()["ledger"]
    assert [(e["scope"], e["granted"]) for e in ledger if e["scope"] == "proximity"] == [
        ("proximity", True),
        ("proximity", False),
    ]
    given = await client.post(
        f"/r/{token}/consents", json={"scope": "personalisation", "granted": True}
    )
    assert given.json()["state"]["personalisation"] is True
    async with db.session(dest_id) as session:
        rows = (
            (await session.execute(select(Consent).where(col(Consent.visitor_id) == visitor_id)))
            .scalars()
            .all()
        )
        after = (await session.get(Visitor, visitor_id)).last_action_at  # type: ignore[union-attr]
    assert len(rows) == 4  # 2 at enrolment + 2 appended, none updated
    assert after > before

    for bad in ({"scope": "tracking", "granted": False}, {"scope": "proximity"}, {}):
        response = await client.post(f"/r/{token}/consents", json=bad)
        assert response.status_code == 422
    unknown = await client.post(
        "/r/" + "x" * 43 + "/consents", json={"scope": "proximity", "granted": False}
    )
    assert unknown.status_code == 404


async def test_office_consents_recorded_by_staff_and_tenant_isolated(
    client: httpx2.AsyncClient, db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, slug = destination
    enrolled = await client.post(
        "/api/v1/enrol", json={"destination": slug, "consents": ["proximity"]}
    )
    visitor_id = enrolled.json()["visitor_id"]
    desk_id, desk = await staff_token(db, dest_id, "desk")
    url = f"/api/v1/office/visitors/{visitor_id}/consents"
    changed = await client.post(
        url, json={"scope": "marketing", "granted": True}, headers=bearer(desk)
    )
    assert changed.status_code == 201, changed.text
    assert changed.json()["ledger"][-1]["by"] == f"staff:{desk_id}"
    read = await client.get(url, headers=bearer(desk))
    assert read.status_code == 200
    profile = await client.get(f"/api/v1/office/visitors/{visitor_id}", headers=bearer(desk))
    assert profile.status_code == 200
    assert profile.json()["consents"]["marketing"] is True
    async with db.session(dest_id) as session:
        actions = (
            (
                await session.execute(
                    select(col(AuditLog.action)).where(
                        col(AuditLog.visitor_id) == uuid.UUID(visitor_id)
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(actions) == ["consents.change", "consents.read", "visitor.read"]

    async with db.session(system=True) as session:
        other = await destinations.create_destination(session, f"o-{uuid.uuid4().hex[:6]}", "O")
        await session.commit()
    _, foreign = await staff_token(db, other.id, "admin")
    for response in (
        await client.get(url, headers=bearer(foreign)),
        await client.post(
            url, json={"scope": "marketing", "granted": False}, headers=bearer(foreign)
        ),
        await client.get(f"/api/v1/office/visitors/{visitor_id}", headers=bearer(foreign)),
    ):
        assert response.status_code == 404
    _, marketing = await staff_token(db, dest_id, "marketing")
    assert (await client.get(url, headers=bearer(marketing))).status_code == 403
    assert (await client.get(url)).status_code == 401


async def test_withdrawal_applies_to_the_next_batch(
    client: httpx2.AsyncClient, db: Database
) -> None:
    tenant = await seed_tenant(
        db, "withdraw", sites={"spa": ["spa-gw"]}, visitors_={"lea": ["proximity"]}, fresh=True
    )
    gateway = gateway_names(tenant, "spa-gw")[0]
    token = await roadbook_token(db, tenant, "lea")

    first = utcnow() - timedelta(minutes=5)
    sent = await send(client, tenant, gateway, [uid_event(tenant.passes["lea"], first)])
    assert sent.json()["accepted"] == 1
    withdrawn = await client.post(
        f"/r/{token}/consents", json={"scope": "proximity", "granted": False}
    )
    assert withdrawn.status_code == 201
    # The backlog too: an event observed before the withdrawal but ingested after it.
    sent = await send(
        client, tenant, gateway, [uid_event(tenant.passes["lea"], first + timedelta(seconds=30))]
    )
    assert sent.json()["accepted"] == 1
    async with db.session(tenant.destination_id) as session:
        stored = (
            await session.execute(
                select(func.count())
                .select_from(ProximityEvent)
                .where(col(ProximityEvent.visitor_id) == tenant.visitors["lea"])
            )
        ).scalar_one()
        anonymous = (
            await session.execute(
                select(func.coalesce(func.sum(PresenceCount.count), 0)).where(
                    col(PresenceCount.destination_id) == tenant.destination_id
                )
            )
        ).scalar_one()
    assert stored == 1
    assert anonymous == 1


async def test_roadbook_token_can_be_reissued_by_the_visitor_and_at_the_desk(
    client: httpx2.AsyncClient, db: Database, destination: tuple[uuid.UUID, str]
) -> None:
    dest_id, slug = destination
    enrolled = await client.post("/api/v1/enrol", json={"destination": slug})
    old = enrolled.json()["roadbook_token"]
    visitor_id = enrolled.json()["visitor_id"]
    response = await client.post(f"/r/{old}/token")
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    new = response.json()["roadbook_token"]
    assert new != old and response.json()["roadbook_url"].endswith(f"/r/{new}")
    assert (await client.get(f"/r/{old}/consents")).status_code == 404
    assert (await client.get(f"/r/{new}/consents")).status_code == 200

    desk_id, desk = await staff_token(db, dest_id, "desk")
    url = f"/api/v1/office/visitors/{visitor_id}/token"
    assert (await client.post(url)).status_code == 401
    at_desk = await client.post(url, headers=bearer(desk))
    assert at_desk.status_code == 201
    newest = at_desk.json()["roadbook_token"]
    assert (await client.get(f"/r/{new}/consents")).status_code == 404
    assert (await client.get(f"/r/{newest}/consents")).status_code == 200
    export = (await client.get(f"/r/{newest}/export.json")).json()
    assert [t["revoked_at"] is None for t in export["roadbook_tokens"]] == [False, False, True]
    assert ("token.reissue", f"staff:{desk_id}") in {
        (a["action"], a["actor"]) for a in export["audit_log"]
    }
