"""Access / portability (export.json) and erasure, by the visitor and by office staff."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from crm.core import hooks
from crm.core.audit import AuditLog, audit
from crm.core.db import Database
from crm.core.models import utcnow
from crm.ingest.models import PresenceCount
from crm.passes.models import Device
from crm.rights import service as rights
from crm.rights.models import ErasureLedger
from crm.visitors import service as visitors
from crm.visitors.models import Visitor

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import (
    Tenant,
    follow_visits,
    make_client,
    roadbook_token,
    seed_tenant,
    send,
    uid_event,
)
from rights_support import bearer, rows_mentioning, staff_token


@pytest.fixture
async def tenant(db: Database) -> Tenant:
    """Two sites with a gateway each; Léa lets the roadbook personalise, Tom does not."""
    return await seed_tenant(
        db,
        "rights",
        sites={"spa": ["spa-gw"], "zoo": ["zoo-gw"]},
        visitors_={"lea": ["proximity", "personalisation"], "tom": ["proximity"]},
        fresh=True,
    )


async def walk(client: httpx2.AsyncClient, db: Database, tenant: Tenant, *names: str) -> None:
    """Each visitor's pass is seen at both sites (enter, dwell, exit): events and visits."""
    for name in names:
        start = utcnow() - timedelta(hours=2)
        for site in ("spa", "zoo"):
            gateway = next(g for g in tenant.tokens if g.startswith(f"{site}-gw"))
            events = [
                uid_event(tenant.passes[name], start + timedelta(minutes=i), kind, seq=i + 1)
                for i, kind in enumerate(("enter", "dwell", "exit"))
            ]
            response = await send(client, tenant, gateway, events)
            assert response.json()["accepted"] == 3, response.text
            start += timedelta(minutes=30)
        await follow_visits(db)


@pytest.fixture
def package_hooks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Hooks a package (roadbook / partners) would register, recording their calls."""
    calls: list[tuple[str, Any]] = []

    async def export(session: AsyncSession, visitor: Visitor) -> dict[str, Any]:
        calls.append(("export", visitor.id))
        return {"exposures": [{"offer": "spa-10", "visitor_id": str(visitor.id)}]}

    async def erase(
        session: AsyncSession, destination_id: uuid.UUID, visitor_ids: Sequence[uuid.UUID]
    ) -> None:
        calls.append(("erase", list(visitor_ids)))

    monkeypatch.setitem(hooks._hooks, hooks.VISITOR_EXPORT, [export])
    monkeypatch.setitem(hooks._hooks, hooks.VISITOR_ERASE, [erase])
    return calls


async def test_visitor_export_holds_everything_but_key_material(
    client: httpx2.AsyncClient,
    db: Database,
    tenant: Tenant,
    package_hooks: list[tuple[str, Any]],
) -> None:
    await walk(client, db, tenant, "lea", "tom")
    token = await roadbook_token(db, tenant, "lea")
    lea = tenant.visitors["lea"]
    async with db.session(tenant.destination_id) as session:
        device = (
            await session.execute(select(Device).where(col(Device.visitor_id) == lea))
        ).scalar_one()
        device.identity_key_enc = b"\x01secret-key-material"
        await session.commit()

    response = await client.get(f"/r/{token}/export.json")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert "attachment" in response.headers["content-disposition"]
    doc = response.json()
    assert doc["format"] == "balise-visitor-export/1"
    assert doc["visitor"]["id"] == str(lea)
    assert doc["consent_state"]["proximity"] is True
    assert {c["scope"] for c in doc["consents"]} == {"proximity", "personalisation"}
    assert len(doc["devices"]) == 1
    assert doc["devices"][0]["identity"].startswith("uid:")
    assert "identity_key_enc" not in doc["devices"][0]
    assert "secret-key-material" not in response.text
    assert len(doc["roadbook_tokens"]) == 2 and "token_hash" not in doc["roadbook_tokens"][0]
    assert len(doc["proximity_events"]) == 6
    assert {e["visitor_id"] for e in doc["proximity_events"]} == {str(lea)}
    assert len(doc["visits"]) == 2
    assert [a["action"] for a in doc["audit_log"]] == ["visitor.export"]
    assert doc["audit_log"][0]["actor"] == "visitor"
    assert doc["exposures"] == [{"offer": "spa-10", "visitor_id": str(lea)}]
    assert "proximity" in doc["processing"]["purposes"]
    assert package_hooks == [("export", lea)]
    # Nothing of Tom.
    assert str(tenant.visitors["tom"]) not in response.text


async def test_staff_export_is_audited_and_role_checked(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    lea = tenant.visitors["lea"]
    url = f"/api/v1/office/visitors/{lea}/export.json"
    desk_id, desk = await staff_token(db, tenant.destination_id, "desk")
    admin_id, admin = await staff_token(db, tenant.destination_id, "admin")
    _, marketing = await staff_token(db, tenant.destination_id, "marketing")
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=bearer(marketing))).status_code == 403
    assert (await client.get(url, headers=bearer(admin))).status_code == 200
    response = await client.get(url, headers=bearer(desk))
    assert response.status_code == 200
    assert response.json()["visitor"]["id"] == str(lea)
    missing = await client.get(
        f"/api/v1/office/visitors/{uuid.uuid4()}/export.json", headers=bearer(desk)
    )
    assert missing.status_code == 404
    not_uuid = await client.get("/api/v1/office/visitors/nope/export.json", headers=bearer(desk))
    assert not_uuid.status_code == 422
    async with db.session(tenant.destination_id) as session:
        entries = (
            (await session.execute(select(AuditLog).where(col(AuditLog.visitor_id) == lea)))
            .scalars()
            .all()
        )
    # The admin's and the desk's reads; the refused calls read nothing.
    assert sorted((e.actor, e.action) for e in entries) == sorted(
        [(f"staff:{desk_id}", "visitor.export"), (f"staff:{admin_id}", "visitor.export")]
    )


async def test_visitor_erasure_leaves_no_row_referring_to_them(
    client: httpx2.AsyncClient,
    db: Database,
    tenant: Tenant,
    package_hooks: list[tuple[str, Any]],
) -> None:
    await walk(client, db, tenant, "lea", "tom")
    # one more sighting each, still queued for the visits follower when Léa is erased
    gateway = next(g for g in tenant.tokens if g.startswith("zoo-gw"))
    queued = [
        uid_event(tenant.passes[name], utcnow() - timedelta(minutes=2), seq=10)
        for name in ("lea", "tom")
    ]
    response = await send(client, tenant, gateway, queued)
    assert response.json()["accepted"] == 2
    token = await roadbook_token(db, tenant, "lea")
    lea, tom = tenant.visitors["lea"], tenant.visitors["tom"]
    assert (await client.get(f"/r/{token}/export.json")).status_code == 200
    desk_id, desk = await staff_token(db, tenant.destination_id, "desk")
    assert (
        await client.get(f"/api/v1/office/visitors/{lea}", headers=bearer(desk))
    ).status_code == 200
    async with db.session(system=True) as session:
        before = await rows_mentioning(session, str(lea))
        counts_before = (
            await session.execute(
                select(func.coalesce(func.sum(PresenceCount.count), 0)).where(
                    col(PresenceCount.destination_id) == tenant.destination_id
                )
            )
        ).scalar_one()
    assert {
        "visitor.id",
        "consent.visitor_id",
        "visit.visitor_id",
        "device.visitor_id",
        "credential.subject",
        "audit_log.visitor_id",
        "visit_queue.visitor_ids",
    } <= before.keys()
    assert any(k.startswith("proximity_event") for k in before)

    response = await client.delete(f"/r/{token}")
    assert response.status_code == 204
    async with db.session(system=True) as session:
        assert await rows_mentioning(session, str(lea)) == {}
        ledger = await session.get(ErasureLedger, lea)
        assert ledger is not None and ledger.by == "visitor"
        assert ledger.destination_id == tenant.destination_id
        # The events live on as anonymous counts only.
        counts_after = (
            await session.execute(
                select(func.coalesce(func.sum(PresenceCount.count), 0)).where(
                    col(PresenceCount.destination_id) == tenant.destination_id
                )
            )
        ).scalar_one()
        assert counts_after == counts_before + 7
        # Tom is untouched (his queued sighting too); the pass went back to stock.
        assert "visit_queue.visitor_ids" in await rows_mentioning(session, str(tom))
        device = (
            await session.execute(
                select(Device).where(col(Device.identity).like(f"%{tenant.passes['lea']}"))
            )
        ).scalar_one()
        assert device.visitor_id is None
        # Audit entries stay, without the id.
        anonymised = (
            await session.execute(
                select(func.count())
                .select_from(AuditLog)
                .where(
                    col(AuditLog.destination_id) == tenant.destination_id,
                    col(AuditLog.visitor_id).is_(None),
                )
            )
        ).scalar_one()
        assert anonymised == 2
    assert package_hooks[-1] == ("erase", [lea])
    assert await follow_visits(db) == 1  # Tom's queued sighting, not Léa's
    assert (await client.get(f"/r/{token}/export.json")).status_code == 404
    assert (await client.delete(f"/r/{token}")).status_code == 404
    # A retried batch of Léa's pass cannot bring her back: the pass is unassigned.
    gateway = next(g for g in tenant.tokens if g.startswith("spa-gw"))
    retry = await send(
        client, tenant, gateway, [uid_event(tenant.passes["lea"], utcnow() - timedelta(minutes=1))]
    )
    assert retry.status_code == 200
    async with db.session(system=True) as session:
        assert await rows_mentioning(session, str(lea)) == {}
    del desk_id


async def test_office_erasure_by_desk_staff_only_in_their_destination(
    client: httpx2.AsyncClient, db: Database, tenant: Tenant
) -> None:
    await walk(client, db, tenant, "tom")
    tom = tenant.visitors["tom"]
    other = await seed_tenant(
        db,
        "other",
        sites={"spa": ["o-gw"]},
        visitors_={"ana": ["proximity"]},
        instance_base=100,
        fresh=True,
    )
    _, foreign = await staff_token(db, other.destination_id, "admin")
    _, marketing = await staff_token(db, tenant.destination_id, "marketing")
    desk_id, desk = await staff_token(db, tenant.destination_id, "desk")
    url = f"/api/v1/office/visitors/{tom}"
    assert (await client.delete(url)).status_code == 401
    assert (await client.delete(url, headers=bearer(marketing))).status_code == 403
    assert (await client.delete(url, headers=bearer(foreign))).status_code == 404
    async with db.session(system=True) as session:
        assert (await session.get(Visitor, tom)) is not None
    assert (await client.delete(url, headers=bearer(desk))).status_code == 204
    async with db.session(system=True) as session:
        assert await rows_mentioning(session, str(tom)) == {}
        ledger = await session.get(ErasureLedger, tom)
        assert ledger is not None and ledger.by == f"staff:{desk_id}"
        erase_audit = (
            await session.execute(
                select(AuditLog).where(
                    col(AuditLog.action) == "visitor.erase",
                    col(AuditLog.destination_id) == tenant.destination_id,
                )
            )
        ).scalar_one()
        assert erase_audit.visitor_id is None
        assert erase_audit.actor == f"staff:{desk_id}"
    assert (await client.delete(url, headers=bearer(desk))).status_code == 404


async def test_reapply_erasures_after_a_restore(db: Database, tenant: Tenant) -> None:
    """Erase, put the rows back as a restore from an older backup would, reapply: gone."""
    async with make_client(db) as client:
        await walk(client, db, tenant, "lea")
    lea = tenant.visitors["lea"]
    tables = ("visitor", "consent", "visit", "proximity_event", "credential", "audit_log")
    where = {
        "visitor": "id = :v",
        "credential": "subject = CAST(:v AS text)",
    }
    async with db.session(system=True) as session:
        await audit(session, tenant.destination_id, "visitor", "visitor.export", lea)
        for table in tables:
            await session.execute(
                text(
                    f"CREATE TEMP TABLE backup_{table} AS SELECT * FROM {table} "
                    f"WHERE {where.get(table, 'visitor_id = :v')}"
                ),
                {"v": lea},
            )
        visitor = await session.get(Visitor, lea)
        assert visitor is not None
        await rights.erase_visitor(session, visitor, by="visitor")
        assert await rows_mentioning(session, str(lea)) == {}
        # The restore: every row comes back (and the pass is reassigned), the ledger stays.
        for table in tables[:-1]:
            await session.execute(text(f"INSERT INTO {table} SELECT * FROM backup_{table}"))
        await session.execute(
            text(
                "UPDATE audit_log a SET visitor_id = b.visitor_id, detail = b.detail "
                "FROM backup_audit_log b WHERE a.id = b.id"
            )
        )
        await session.execute(
            text("UPDATE device SET visitor_id = :v WHERE identity LIKE :i"),
            {"v": lea, "i": f"%{tenant.passes['lea']}"},
        )
        restored = await rows_mentioning(session, str(lea))
        assert "visitor.id" in restored and "proximity_event.visitor_id" in restored

        report = await rights.reapply_erasures(session, batch_size=1)
        assert report.visitors == 1
        assert report.events == 6
        assert await rows_mentioning(session, str(lea)) == {}
        assert await session.get(ErasureLedger, lea) is not None
        again = await rights.reapply_erasures(session)
        assert again.visitors == 0 and again.events == 0
        # Tom was never erased.
        assert await visitors.roadbook_owner(session, "x" * 43) is None
        assert (await session.get(Visitor, tenant.visitors["tom"])) is not None
