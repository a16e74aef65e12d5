"""What a roadbook request reads, each in as few statements as it can: the token's visitor with
their destination (one statement), the personalisation consent (the consent rule over that
scope's entries), the visits with their sites (no ORM rows), and an offer's QR code (drawn once
per code). Each read must answer exactly what the longer way answered."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import segno
from sqlalchemy import event, select, text
from sqlalchemy.orm import configure_mappers
from sqlmodel import col

from crm.core import credentials
from crm.core.db import APP_ROLE, SETS_ITS_OWN_ROLE, Database
from crm.core.models import utcnow
from crm.core.tenancy import Destination
from crm.core.vocabulary import PERSONALISATION
from crm.destinations import service as destinations
from crm.destinations.models import Site
from crm.visitors import service as visitors
from crm.visitors.consent import granted_at
from crm.visitors.models import Consent, Visitor
from crm.visitors.service import Enrolment
from crm.visits.models import Visit
from partners.offers.models import Offer
from roadbook.engine.inputs import Kind
from roadbook.engine.output import Item
from roadbook.engine.sections import SectionKey
from roadbook.exposures import service as exposures
from roadbook.exposures.models import Exposure
from roadbook.feeds import offers, service
from roadbook.feeds.qr import QR_KEPT, qr_svg


async def test_the_seat_is_the_live_tokens_visitor_and_destination(db: Database) -> None:
    now = utcnow()
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"seat-{uuid.uuid4().hex[:6]}", "S")
        other = await destinations.create_destination(session, f"o-{uuid.uuid4().hex[:6]}", "O")
        anna = await visitors.enrol(session, dest.id, language="de")
        # A gateway's credential: its subject is no visitor id (and no UUID at all).
        gateway = await credentials.issue(session, "gateway", "gw-lobby", dest.id)
        expired = await credentials.issue(
            session, "roadbook", str(anna.visitor.id), dest.id, expires_at=now
        )
        # A token naming a visitor that is not there.
        ghost = await credentials.issue(session, "roadbook", str(uuid.uuid4()), other.id)
        await session.flush()

        found = await visitors.roadbook_seat(session, anna.roadbook_token)
        assert found is not None
        visitor, destination = found
        assert visitor.id == anna.visitor.id and visitor.language == "de"
        assert destination.id == dest.id and destination.name == "S"
        assert destination.timezone == dest.timezone
        owner = await visitors.roadbook_owner(session, anna.roadbook_token)
        assert owner is not None and owner.id == anna.visitor.id
        for token in (gateway, ghost, "x" * 43, anna.roadbook_token + "x"):
            assert await visitors.roadbook_seat(session, token) is None, token
        # Live until its expiry, not at it.
        assert await visitors.roadbook_seat(session, expired, now - timedelta(seconds=1))
        assert await visitors.roadbook_seat(session, expired, now) is None
        await credentials.revoke(session, "roadbook", token=anna.roadbook_token, now=now)
        assert await visitors.roadbook_seat(session, anna.roadbook_token) is None


# The transaction's role and tenant.
SETTINGS = text("SELECT current_setting('role'), current_setting('app.destination_id', true)")


async def _two_tenants(db: Database) -> tuple[Destination, Enrolment, Enrolment]:
    """A destination with its visitor Anna, and Bert in another destination (committed)."""
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"e-{uuid.uuid4().hex[:6]}", "E")
        other = await destinations.create_destination(session, f"f-{uuid.uuid4().hex[:6]}", "F")
        anna = await visitors.enrol(session, dest.id)
        bert = await visitors.enrol(session, other.id)
        await session.commit()
    return dest, anna, bert


async def test_entering_as_the_visitor_switches_the_session_to_their_tenant(db: Database) -> None:
    """The token's look-up in a system session also makes it the visitor's tenant session
    (role ``balise_app``, RLS on) — only for a live token."""
    dest, anna, bert = await _two_tenants(db)
    async with db.session(system=True) as session:
        assert await visitors.enter_as_visitor(session, "x" * 43) is None
        assert (await session.execute(SETTINGS)).one()[0] == "none"
        assert session.info["system"] is True
    async with db.session(system=True) as session:
        found = await visitors.enter_as_visitor(session, anna.roadbook_token)
        assert found is not None
        assert (found[0].id, found[1].id) == (anna.visitor.id, dest.id)
        assert tuple((await session.execute(SETTINGS)).one()) == (APP_ROLE, str(dest.id))
        assert (session.info["system"], session.info["destination_id"]) == (False, dest.id)
        # RLS now applies: the other destination's visitor is out of sight.
        assert await session.get(Visitor, bert.visitor.id) is None
        assert await session.get(Visitor, anna.visitor.id) is not None


async def test_entering_leaves_role_and_tenant_to_its_statement_once(
    committed_db: Database,
) -> None:
    """Outside a test's outer transaction, the entering session's begin sends no role
    statement (the token's statement sets role and tenant): one round trip less on every
    roadbook request. Its later transactions set them on begin again, and a token that enters
    nothing leaves the session a plain system one."""
    db = committed_db
    dest, anna, bert = await _two_tenants(db)
    begun: list[str] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().startswith("SELECT set_config('role'"):
            begun.append(statement)

    async with db.session(system=True) as session:
        assert await visitors.enter_as_visitor(session, anna.roadbook_token) is not None
        assert begun == []
        assert tuple((await session.execute(SETTINGS)).one()) == (APP_ROLE, str(dest.id))
        assert await session.get(Visitor, bert.visitor.id) is None
        await session.commit()
        # The next transaction's begin sets the tenant's role and destination itself.
        assert tuple((await session.execute(SETTINGS)).one()) == (APP_ROLE, str(dest.id))
        assert len(begun) == 1
        assert await session.get(Visitor, bert.visitor.id) is None
    async with db.session(system=True) as session:
        assert await visitors.enter_as_visitor(session, "x" * 43) is None
        assert SETS_ITS_OWN_ROLE not in session.info
        assert (await session.execute(SETTINGS)).one()[0] == "none"
        await session.commit()
        assert (await session.execute(SETTINGS)).one()[0] == "none"
        assert len(begun) == 2
    async with db.session(system=True) as session:
        await session.execute(text("SELECT 1"))  # begun before entering: nothing is left
        assert await visitors.enter_as_visitor(session, anna.roadbook_token) is not None
        assert SETS_ITS_OWN_ROLE not in session.info
        await session.commit()
        assert tuple((await session.execute(SETTINGS)).one()) == (APP_ROLE, str(dest.id))
        assert len(begun) == 4


async def test_personalisation_is_the_consent_rule_over_the_ledger(db: Database) -> None:
    at = utcnow() - timedelta(days=1)
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"c-{uuid.uuid4().hex[:6]}", "C")
        await session.commit()
    ledgers: dict[str, list[tuple[str, bool, timedelta]]] = {
        "never": [],
        "granted": [(PERSONALISATION, True, timedelta())],
        "withdrawn": [(PERSONALISATION, True, timedelta()), (PERSONALISATION, False, timedelta(1))],
        "granted again": [
            (PERSONALISATION, False, timedelta()),
            (PERSONALISATION, True, timedelta(hours=1)),
        ],
        # The same instant: the withdrawal wins (crm.visitors.consent.ledger_order).
        "tie": [(PERSONALISATION, True, timedelta()), (PERSONALISATION, False, timedelta())],
        "another scope": [("proximity", True, timedelta())],
        "another withdrawn": [
            (PERSONALISATION, True, timedelta()),
            ("proximity", False, timedelta(hours=2)),
        ],
    }
    expected = {
        "never": False,
        "granted": True,
        "withdrawn": False,
        "granted again": True,
        "tie": False,
        "another scope": False,
        "another withdrawn": True,
    }
    async with db.session(dest.id) as session:
        for name, entries in ledgers.items():
            enrolled = await visitors.enrol(session, dest.id)
            for scope, granted, after in entries:
                session.add(
                    Consent(
                        destination_id=dest.id,
                        visitor_id=enrolled.visitor.id,
                        scope=scope,
                        granted=granted,
                        notice_version="t",
                        at=at + after,
                    )
                )
            await session.flush()
            ledger = await visitors.consent_ledger(session, enrolled.visitor.id)
            personal = (await service._read(session, enrolled.visitor.id, utcnow())).personal
            assert personal is granted_at(ledger, PERSONALISATION) is expected[name], name


async def test_visits_are_read_newest_first_with_their_sites(db: Database) -> None:
    now = utcnow()
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"v-{uuid.uuid4().hex[:6]}", "V")
        spa = await destinations.add_site(session, dest.id, "spa", "Les Thermes", kind="spa")
        zoo = await destinations.add_site(session, dest.id, "zoo", "Zoo", kind="zoo")
        await session.commit()
    async with db.session(dest.id) as session:
        anna = (await visitors.enrol(session, dest.id)).visitor
        sites = (spa.id, zoo.id)
        for n in range(service.MAX_VISITS + 3):
            session.add(
                Visit(
                    destination_id=dest.id,
                    visitor_id=anna.id,
                    site_id=sites[n % 2],
                    first_seen_at=now - timedelta(hours=n, minutes=30),
                    last_seen_at=now - timedelta(hours=n),
                    dwell_s=n * 60,
                    closed_at=None if n == 0 else now - timedelta(hours=n),
                )
            )
        await session.flush()
        read = (await service._read(session, anna.id, now)).visits
        orm = (
            await session.execute(
                select(Visit, Site)
                .join(Site, col(Site.id) == Visit.site_id)
                .where(col(Visit.visitor_id) == anna.id)
                .order_by(col(Visit.last_seen_at).desc())
                .limit(service.MAX_VISITS)
            )
        ).all()
    assert len(read) == service.MAX_VISITS
    assert [tuple(v) for v in read] == [
        (v.id, v.site_id, v.first_seen_at, v.last_seen_at, v.dwell_s, v.closed_at, *site)
        for v, s in orm
        for site in [(s.slug, s.name, s.kind)]
    ]
    assert read[0].closed_at is None and read[0].slug == "spa" and read[1].name == "Zoo"
    # In UTC, as the ORM's columns give times (whatever the connection's time zone).
    assert {v.first_seen_at.tzinfo for v in read} | {v.last_seen_at.tzinfo for v in read} == {UTC}
    assert {v.closed_at.tzinfo for v in read[1:] if v.closed_at} == {UTC}


def _offer(kind: str) -> Offer:
    configure_mappers()  # an Offer built alone (this test run on its own): the models' mappers
    now = utcnow()
    return Offer.model_construct(redemption_kind=kind, valid_from=now, valid_until=now)


def test_a_qr_code_is_drawn_once_per_code_and_is_segnos_drawing() -> None:
    qr_svg.cache_clear()
    qr = _offer("qr")
    shown = offers._redemption(qr, "ABCDEFGH")
    assert shown.code == "ABCD-EFGH" and shown.kind == "qr"
    symbol = segno.make("ABCD-EFGH", error="m", micro=False)
    assert shown.qr_svg == symbol.svg_inline(omitsize=True, title="ABCD-EFGH")
    # A full QR code (21 modules a side at least, and its quiet zone of 4), not a Micro QR.
    assert not symbol.is_micro and 'viewBox="0 0 29 29"' in shown.qr_svg
    again = offers._redemption(qr, "ABCDEFGH")
    assert again == shown
    info = qr_svg.cache_info()
    assert (info.hits, info.misses, info.maxsize) == (1, 1, QR_KEPT)
    other = offers._redemption(qr, "ABCDEFGJ")
    assert other.qr_svg != shown.qr_svg and other.code == "ABCD-EFGJ"
    # The "code" and "screen" kinds show no QR code and draw none.
    for kind in ("code", "screen"):
        plain = offers._redemption(_offer(kind), "ABCDEFGH")
        assert plain.qr_svg is None and plain.kind == kind
    assert qr_svg.cache_info().misses == 2


async def test_a_showing_is_recorded_in_one_statement_row_for_row(db: Database) -> None:
    """Every new item of the showing as one exposure row, in the items' order, with its partner
    only for a partner offer; what the showing already recorded is skipped."""
    now = utcnow()
    partner = str(uuid.uuid4())
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, f"r-{uuid.uuid4().hex[:6]}", "R")
        await session.commit()
    shown: list[tuple[str, Kind, SectionKey, bool]] = [
        ("offer:o", "offer", "now_nearby", True),
        ("place:p", "place", "today", False),  # a partner's place, not an offer
        ("event:e", "event", "events", False),
        ("tour:t", "tour", "stay", False),
    ]
    items = [
        Item(
            id=item_id,
            kind=kind,
            section=section,
            title=item_id,
            title_language="en",
            reason="why",
            reason_language="en",
            label=None,
            commercial=commercial,
            partner_id=partner if kind == "offer" or item_id == "place:p" else None,
            score=1.0,
            terms={},
            planned_at=now,
            until=None,
        )
        for item_id, kind, section, commercial in shown
    ]
    async with db.session(dest.id) as session:
        anna = (await visitors.enrol(session, dest.id)).visitor
        seen = exposures.History(frozenset({"tour:t"}), ())
        assert await exposures.record(session, anna, items, seen, now) == 3
        assert await exposures.record(session, anna, [], seen, now) == 0
        rows = (
            await session.execute(
                select(Exposure)
                .where(col(Exposure.visitor_id) == anna.id)
                .order_by(col(Exposure.id))
            )
        ).scalars()
        assert [
            (r.destination_id, r.item_id, r.kind, r.section, r.partner_id, r.commercial, r.shown_at)
            for r in rows
        ] == [
            (dest.id, "offer:o", "offer", "now_nearby", uuid.UUID(partner), True, now),
            (dest.id, "place:p", "place", "today", None, False, now),
            (dest.id, "event:e", "event", "events", None, False, now),
        ]
        # The request's reads, sent together, read the same history as on its own.
        later = now + exposures.SHOWING + timedelta(seconds=1)
        for at in (now, later):
            together = (await service._read(session, anna.id, at)).history
            assert together == await exposures.history(session, anna.id, at)
        assert together.for_caps[0].item_id == "offer:o"
