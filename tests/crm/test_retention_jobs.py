"""Retention jobs with controlled times: raw events rolled up and purged, idle profiles erased."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from crm.core.db import Database
from crm.core.settings import Settings
from crm.ingest.models import PresenceCount, ProximityEvent
from crm.passes.models import Device
from crm.rights import jobs
from crm.rights.models import ErasureLedger
from crm.visitors import service as visitors
from crm.visitors.models import Visitor

sys.path.insert(0, str(Path(__file__).parent))
from ingest_support import Tenant, seed_tenant
from rights_support import insert_event, rows_mentioning

SETTINGS = Settings(_env_file=None, scheduler_enabled=False)  # type: ignore[call-arg]
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def tenant(db: Database) -> Tenant:
    return await seed_tenant(
        db,
        "retention",
        sites={"spa": ["spa-gw"]},
        visitors_={"stayer": ["proximity"], "unknown": ["proximity"], "stale": ["proximity"]},
        fresh=True,
    )


async def add_event(db: Database, tenant: Tenant, name: str, at: datetime) -> uuid.UUID:
    async with db.session(system=True) as session:
        visitor_id = tenant.visitors[name]
        device_id = (
            await session.execute(
                select(col(Device.id)).where(col(Device.visitor_id) == visitor_id)
            )
        ).scalar_one()
        event_id = await insert_event(
            session,
            destination_id=tenant.destination_id,
            site_id=tenant.sites["spa"],
            device_id=device_id,
            visitor_id=visitor_id,
            observed_at=at,
        )
        await session.commit()
    return event_id


async def set_stay(db: Database, tenant: Tenant, name: str, start: date, end: date) -> None:
    async with db.session(system=True) as session:
        visitor = await session.get(Visitor, tenant.visitors[name])
        assert visitor is not None
        visitor.stay_start, visitor.stay_end = start, end
        await session.commit()


async def remaining(db: Database, tenant: Tenant) -> set[uuid.UUID]:
    async with db.session(system=True) as session:
        ids = (
            await session.execute(
                select(col(ProximityEvent.id)).where(
                    col(ProximityEvent.destination_id) == tenant.destination_id
                )
            )
        ).scalars()
        return set(ids)


async def counted(db: Database, tenant: Tenant) -> int:
    async with db.session(system=True) as session:
        return int(
            (
                await session.execute(
                    select(func.coalesce(func.sum(PresenceCount.count), 0)).where(
                        col(PresenceCount.destination_id) == tenant.destination_id
                    )
                )
            ).scalar_one()
        )


async def test_events_are_kept_until_30_days_after_the_stay_then_rolled_up(
    db: Database, tenant: Tenant
) -> None:
    stay_end = (NOW - timedelta(days=40)).date()
    await set_stay(db, tenant, "stayer", stay_end - timedelta(days=3), stay_end)
    last_day = datetime.combine(stay_end, datetime.min.time(), UTC)
    during = await add_event(db, tenant, "stayer", last_day + timedelta(hours=10))
    # No stay known: the event's own time counts.
    old = await add_event(db, tenant, "unknown", NOW - timedelta(days=31))
    recent = await add_event(db, tenant, "unknown", NOW - timedelta(days=29))
    # An event after the stay (stale stay dates) lives 30 days from itself, not from the stay.
    await set_stay(db, tenant, "stale", stay_end - timedelta(days=1), stay_end)
    after_stay = await add_event(db, tenant, "stale", NOW - timedelta(days=20))

    # 29 days after the stay's last day ended: the stayer's event is still there.
    stay_over = datetime.combine(stay_end + timedelta(days=1), datetime.min.time(), UTC)
    assert await jobs.purge_expired_events(db, SETTINGS, now=stay_over + timedelta(days=29)) == 0
    assert during in await remaining(db, tenant)
    # Just past 30 days after it: only the stayer's event goes.
    just_past = stay_over + timedelta(days=30, seconds=1)
    assert await jobs.purge_expired_events(db, SETTINGS, now=just_past) == 1
    assert during not in await remaining(db, tenant)

    assert await jobs.purge_expired_events(db, SETTINGS, now=NOW) == 1
    assert await remaining(db, tenant) == {recent, after_stay}
    assert old not in await remaining(db, tenant)
    assert await counted(db, tenant) == 2
    # Idempotent: nothing more to do, and the counts do not move.
    assert await jobs.purge_expired_events(db, SETTINGS, now=NOW) == 0
    assert await counted(db, tenant) == 2
    # Later, the rest goes too.
    assert await jobs.purge_expired_events(db, SETTINGS, now=NOW + timedelta(days=11)) == 2
    assert await remaining(db, tenant) == set()
    assert await counted(db, tenant) == 4
    # Profiles, consents and visits are untouched by the event purge.
    async with db.session(system=True) as session:
        assert await session.get(Visitor, tenant.visitors["stayer"]) is not None


async def test_event_purge_works_in_batches(db: Database, tenant: Tenant) -> None:
    for i in range(5):
        await add_event(db, tenant, "unknown", NOW - timedelta(days=40, minutes=i))
    assert await jobs.purge_expired_events(db, SETTINGS, now=NOW, batch_size=2) == 5
    assert await remaining(db, tenant) == set()
    assert await counted(db, tenant) == 5


async def test_setting_changes_the_retention(db: Database, tenant: Tenant) -> None:
    event = await add_event(db, tenant, "unknown", NOW - timedelta(days=8))
    seven = Settings(_env_file=None, retention_days_after_stay=7)  # type: ignore[call-arg]
    assert await jobs.purge_expired_events(db, SETTINGS, now=NOW) == 0
    assert await jobs.purge_expired_events(db, seven, now=NOW) == 1
    assert event not in await remaining(db, tenant)


async def test_idle_profiles_are_erased_through_the_ledger(db: Database, tenant: Tenant) -> None:
    idle_since = NOW - timedelta(days=SETTINGS.profile_inactivity_days + 1)
    active_since = NOW - timedelta(days=SETTINGS.profile_inactivity_days - 1)
    async with db.session(system=True) as session:
        for name, at in (("stayer", idle_since), ("unknown", active_since)):
            visitor = await session.get(Visitor, tenant.visitors[name])
            assert visitor is not None
            visitor.last_action_at = at
        # "stale" acts today: a consent change of their own resets the clock.
        stale = await session.get(Visitor, tenant.visitors["stale"])
        assert stale is not None
        stale.last_action_at = idle_since
        await session.flush()
        await visitors.record_consent(session, stale, "marketing", True, at=NOW)
        await session.commit()
    await add_event(db, tenant, "stayer", NOW - timedelta(days=1))

    assert await jobs.erase_inactive_profiles(db, SETTINGS, now=NOW) == 1
    idle = tenant.visitors["stayer"]
    async with db.session(system=True) as session:
        assert await rows_mentioning(session, str(idle)) == {}
        ledger = await session.get(ErasureLedger, idle)
        assert ledger is not None and ledger.by == "retention"
        for name in ("unknown", "stale"):
            assert await session.get(Visitor, tenant.visitors[name]) is not None
    assert await jobs.erase_inactive_profiles(db, SETTINGS, now=NOW) == 0
    # A year later "unknown" has gone idle; "stale" acted today, so 3 years on, and in batches.
    assert await jobs.erase_inactive_profiles(db, SETTINGS, now=NOW + timedelta(days=366)) == 1
    later = NOW + timedelta(days=SETTINGS.profile_inactivity_days + 1)
    async with db.session(system=True) as session:
        for name in ("a", "b"):
            enrolment = await visitors.enrol(session, tenant.destination_id, at=NOW)
            tenant.visitors[name] = enrolment.visitor.id
        await session.commit()
    assert await jobs.erase_inactive_profiles(db, SETTINGS, now=later, batch_size=1) == 3


def test_jobs_are_exposed_for_the_scheduler() -> None:
    names = {name for name, _, _ in jobs.JOBS}
    assert names == {"retention_events", "retention_profiles", "erasure_sweep"}
    for _, job, interval in jobs.JOBS:
        assert callable(job)
        assert interval > 0


async def test_sweep_removes_events_stored_just_after_an_erasure(
    db: Database, tenant: Tenant
) -> None:
    """An ingest that resolved the pass before the erasure committed may store one event after."""
    from crm.rights import service as rights

    name = "unknown"
    visitor_id = tenant.visitors[name]
    async with db.session(system=True) as session:
        device_id = (
            await session.execute(
                select(col(Device.id)).where(col(Device.visitor_id) == visitor_id)
            )
        ).scalar_one()
        visitor = await session.get(Visitor, visitor_id)
        assert visitor is not None
        await rights.erase_visitor(session, visitor, by="visitor", at=NOW)
        await insert_event(
            session,
            destination_id=tenant.destination_id,
            site_id=tenant.sites["spa"],
            device_id=device_id,
            visitor_id=visitor_id,
            observed_at=NOW - timedelta(minutes=1),
        )
        await session.commit()
    assert await jobs.sweep_erased_events(db, SETTINGS, now=NOW + timedelta(minutes=10)) == 1
    async with db.session(system=True) as session:
        assert await rows_mentioning(session, str(visitor_id)) == {}
    assert await counted(db, tenant) == 1
    assert await jobs.sweep_erased_events(db, SETTINGS, now=NOW + timedelta(minutes=20)) == 0
