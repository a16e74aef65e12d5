"""Redemption codes: one per (offer, visitor), issued once even when asked twice at once;
single use; refused with a clear reason when the offer is not approved, not valid then, or out
of quota; unknown outside its destination."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from crm.core.db import Database, read_together
from crm.core.models import utcnow
from crm.office.forms import EDIT_LOCK
from partners.offers import redemption, service
from partners.offers.models import Offer, Redemption
from partners.offers.redemption import RedemptionRefused

sys.path.insert(0, str(Path(__file__).parents[1] / "crm"))
sys.path.insert(0, str(Path(__file__).parent))
from offers_support import december_friday_evenings, make_offer
from office_support import Office, seed_office

CODE = re.compile(r"^[2-9A-HJKMNP-Z]{8}$")


def test_codes_use_an_alphabet_without_look_alikes() -> None:
    assert not set("01OIL") & set(redemption.ALPHABET)
    codes = {redemption.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(CODE.match(code) for code in codes)
    assert redemption.display("ABCD2345") == "ABCD-2345"
    assert redemption.normalise(" abcd-2345 ") == "ABCD2345"
    assert redemption.normalise("ab cd 23 45") == "ABCD2345"
    for bad in ("ABCD-234", "ABCD-23450", "ABCD-O123", "", "ABCD_2345"):
        assert redemption.normalise(bad) is None


async def test_a_visitor_gets_one_code_per_offer(db: Database, office: Office) -> None:
    first = await make_offer(db, office)
    second = await make_offer(db, office, title={"fr": "Autre"})
    async with db.session(office.destination_id) as session:
        a = await redemption.code_for(session, first, office.visitor_ids["a"])
        again = await redemption.code_for(session, first, office.visitor_ids["a"])
        b = await redemption.code_for(session, first, office.visitor_ids["b"])
        other = await redemption.code_for(session, second, office.visitor_ids["a"])
        count = await session.scalar(select(func.count()).select_from(Redemption))
    assert again.id == a.id and again.code == a.code
    assert len({a.code, b.code, other.code}) == 3
    assert CODE.match(a.code) and a.redeemed_at is None and a.issued_at is not None
    assert count == 3


async def test_codes_for_several_offers_issue_the_missing_and_keep_the_held(
    db: Database, office: Office
) -> None:
    first = await make_offer(db, office)
    second = await make_offer(db, office, title={"fr": "Autre"})
    third = await make_offer(db, office, title={"fr": "Encore"})
    visitor = office.visitor_ids["a"]
    async with db.session(office.destination_id) as session:
        held = await redemption.code_for(session, first, visitor)
        codes = await redemption.codes_for(session, [first, second], visitor)
        again = await redemption.codes_for(session, [second, first], visitor)
        count = await session.scalar(select(func.count()).select_from(Redemption))
        assert await redemption.codes_for(session, [], visitor) == {}
        with pytest.raises(ValueError, match="no visitor"):
            await redemption.codes_for(session, [first], uuid.uuid4())
        # With the codes the visitor holds read beforehand (held_read): the same codes, and a
        # missing one issued.
        (rows,) = await read_together(session, [redemption.held_read(visitor)])
        assert dict(rows) == codes
        assert await redemption.codes_for(session, [second, first], visitor, dict(rows)) == codes
        with_third = await redemption.codes_for(session, [first, third], visitor, dict(rows))
    assert set(codes) == {first.id, second.id}
    assert codes[first.id] == held.code and codes[second.id] != held.code
    assert CODE.match(codes[second.id])
    assert again == codes
    assert count == 2
    assert with_third[first.id] == held.code and CODE.match(with_third[third.id])


async def test_codes_issued_together_that_collide_are_issued_again_apart(
    db: Database, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch issue returns only the codes it wrote: a new code equal to one already taken
    in the destination is not returned, and that offer gets a fresh code on its own."""
    first = await make_offer(db, office)
    second = await make_offer(db, office, title={"fr": "Autre"})
    taken = await make_offer(db, office, title={"fr": "Prise"})
    visitor = office.visitor_ids["a"]
    async with db.session(office.destination_id) as session:
        existing = (await redemption.code_for(session, taken, office.visitor_ids["b"])).code
        # together: first's code collides; apart: first's collides with second's, then not
        draws = iter([existing, "23456789", "23456789", "3456789A"])
        monkeypatch.setattr(redemption, "new_code", lambda: next(draws))
        codes = await redemption.codes_for(session, [first, second], visitor)
        count = await session.scalar(select(func.count()).select_from(Redemption))
    assert codes[second.id] == "23456789"
    assert codes[first.id] == "3456789A"
    assert count == 3


async def test_two_requests_at_once_get_the_same_code(committed_db: Database) -> None:
    office = await seed_office(committed_db)
    offer = await make_offer(committed_db, office)
    visitor = office.visitor_ids["a"]

    async def ask() -> tuple[int | None, str]:
        async with committed_db.session(office.destination_id) as session:
            held = await redemption.code_for(session, offer, visitor)
            await asyncio.sleep(0.05)  # both transactions are open at the same time
            await session.commit()
            return held.id, held.code

    answers = await asyncio.gather(*(ask() for _ in range(6)))
    assert len(set(answers)) == 1
    async with committed_db.session(office.destination_id) as session:
        rows = await session.scalar(select(func.count()).select_from(Redemption))
    assert rows == 1


async def test_a_code_is_issued_while_the_office_edits_its_offer(committed_db: Database) -> None:
    """The office's form holds the offer's row for its change (crm.office.forms.EDIT_LOCK); a
    roadbook issuing a code of that offer meanwhile does not wait for it (its
    foreign key check only shares the row's key)."""
    office = await seed_office(committed_db)
    offer = await make_offer(committed_db, office)
    async with committed_db.session(office.destination_id) as editing:
        held = await editing.get(Offer, offer.id, with_for_update=EDIT_LOCK)
        assert held is not None
        async with committed_db.session(office.destination_id) as roadbook:
            await roadbook.execute(text("SET LOCAL lock_timeout = '2s'"))
            codes = await redemption.codes_for(roadbook, [offer], office.visitor_ids["a"])
            await roadbook.commit()
        await editing.commit()
    assert CODE.match(codes[offer.id])


async def test_a_code_is_taken_once(db: Database, office: Office) -> None:
    offer = await make_offer(db, office)
    at = utcnow()
    async with db.session(office.destination_id) as session:
        issued = await redemption.code_for(session, offer, office.visitor_ids["a"])
        typed = redemption.display(issued.code).lower()
        taken = await redemption.redeem(session, office.destination_id, typed, "zoo-till-1", at)
        assert (taken.id, taken.redeemed_at, taken.redeemed_by) == (issued.id, at, "zoo-till-1")
        with pytest.raises(RedemptionRefused) as twice:
            await redemption.redeem(session, office.destination_id, issued.code, "zoo-till-2")
    assert twice.value.reason == "already_redeemed"
    assert twice.value.redeemed_at == at
    assert str(twice.value).startswith("This code was already used on ")
    assert twice.value.message("fr").startswith("Ce code a déjà été utilisé le ")


async def test_unknown_codes_and_other_destinations_codes_are_refused(
    db: Database, office: Office, other: Office
) -> None:
    offer = await make_offer(db, office)
    async with db.session(office.destination_id) as session:
        issued = await redemption.code_for(session, offer, office.visitor_ids["a"])
        await session.commit()
    for typed in ("nonsense", "ABCD-2345"):
        async with db.session(office.destination_id) as session:
            with pytest.raises(RedemptionRefused) as unknown:
                await redemption.redeem(session, office.destination_id, typed, "till")
        assert unknown.value.reason == "unknown"
        assert str(unknown.value) == "There is no such code."
    async with db.session(other.destination_id) as session:
        with pytest.raises(RedemptionRefused) as elsewhere:
            await redemption.redeem(session, other.destination_id, issued.code, "till")
    assert elsewhere.value.reason == "unknown"


async def _refusal(db: Database, office: Office, offer: Offer, at: datetime | None = None) -> str:
    async with db.session(office.destination_id) as session:
        row = await session.get(Offer, offer.id)
        assert row is not None
        issued = await redemption.code_for(session, row, office.visitor_ids["a"])
        with pytest.raises(RedemptionRefused) as refused:
            await redemption.redeem(session, office.destination_id, issued.code, "till", at)
        await session.refresh(issued)
        assert issued.redeemed_at is None  # nothing written
    return refused.value.reason


async def test_an_offer_that_is_not_running_refuses_its_codes(db: Database, office: Office) -> None:
    draft = await make_offer(db, office, status="draft")
    assert await _refusal(db, office, draft) == "not_approved"
    paused = await make_offer(db, office, title={"fr": "En pause"})
    async with db.session(office.destination_id) as session:
        row = await session.get(Offer, paused.id)
        assert row is not None
        service.transition(row, "paused", by="test")
        await session.commit()
    assert await _refusal(db, office, paused) == "not_approved"


async def test_an_offer_outside_its_dates_or_hours_refuses_its_codes(
    db: Database, office: Office
) -> None:
    december = await make_offer(db, office, **december_friday_evenings())
    friday = datetime(2026, 12, 4, 18, 30, tzinfo=UTC)  # 19:30 in Paris
    assert await _refusal(db, office, december, friday - timedelta(hours=1)) == "not_valid_now"
    assert await _refusal(db, office, december, datetime(2027, 1, 1, tzinfo=UTC)) == (
        "not_valid_now"
    )
    async with db.session(office.destination_id) as session:
        issued = await redemption.code_for(session, december, office.visitor_ids["a"])
        taken = await redemption.redeem(session, office.destination_id, issued.code, "till", friday)
    assert taken.redeemed_at == friday


async def test_the_quota_is_never_exceeded(db: Database, office: Office) -> None:
    offer = await make_offer(db, office, quota=1)
    async with db.session(office.destination_id) as session:
        a = await redemption.code_for(session, offer, office.visitor_ids["a"])
        b = await redemption.code_for(session, offer, office.visitor_ids["b"])
        await redemption.redeem(session, office.destination_id, a.code, "till")
        with pytest.raises(RedemptionRefused) as full:
            await redemption.redeem(session, office.destination_id, b.code, "till")
    assert full.value.reason == "quota_exhausted"
    assert full.value.message("de") == (
        "Dieses Angebot hat seine Höchstzahl an Einlösungen erreicht."
    )


async def test_two_codes_redeemed_at_once_do_not_both_pass_the_last_place(
    committed_db: Database,
) -> None:
    office = await seed_office(committed_db)
    offer = await make_offer(committed_db, office, quota=1)
    async with committed_db.session(office.destination_id) as session:
        codes = [
            (await redemption.code_for(session, offer, visitor)).code
            for visitor in office.visitor_ids.values()
        ]
        await session.commit()

    async def take(code: str) -> str:
        async with committed_db.session(office.destination_id) as session:
            try:
                await redemption.redeem(session, office.destination_id, code, "till")
            except RedemptionRefused as refused:
                return refused.reason
            await asyncio.sleep(0.05)  # hold the lock while the other one waits
            await session.commit()
            return "ok"

    assert sorted(await asyncio.gather(*(take(code) for code in codes))) == [
        "ok",
        "quota_exhausted",
    ]


def test_crm_offers_redeem_takes_a_code_once(committed_db_url: str) -> None:
    async def seed() -> str:
        db = Database(committed_db_url)
        try:
            office = await seed_office(db, "amneville")
            offer = await make_offer(db, office, title={"fr": "Billet famille"})
            async with db.session(office.destination_id) as session:
                issued = await redemption.code_for(session, offer, office.visitor_ids["a"])
                await session.commit()
            return redemption.display(issued.code)
        finally:
            await db.dispose()

    code = asyncio.run(seed())

    def crm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "crm", "offers", "redeem", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": committed_db_url},
            timeout=120,
        )

    first = crm(code.lower(), "--by", "zoo-till-1", "--json")
    assert first.returncode == 0, first.stderr
    answer = json.loads(first.stdout.splitlines()[-1])
    assert answer["code"] == code and answer["redeemed_by"] == "zoo-till-1"
    assert answer["title"] == {"fr": "Billet famille"}
    again = crm(code)
    assert again.returncode == 1
    assert "error: This code was already used on " in again.stderr
    unknown = crm("ZZZZ-ZZZZ", "--destination", "amneville")
    assert unknown.returncode == 1 and "There is no such code." in unknown.stderr
    nowhere = crm(code, "--destination", "elsewhere")
    assert nowhere.returncode == 1 and "no destination 'elsewhere'" in nowhere.stderr
