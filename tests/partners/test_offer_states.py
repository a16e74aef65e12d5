"""The offer's state machine: one table of moves, nothing outside it, 'ended' final."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.core.models import utcnow
from partners.offers import service, states
from partners.offers.models import STATUSES, Offer

MOVES = {(source, target) for source, targets in states.TRANSITIONS.items() for target in targets}


def _offer(status: str) -> Offer:
    now = utcnow()
    return Offer(
        destination_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        title={"fr": "x"},
        valid_from=now,
        valid_until=now + timedelta(days=1),
        status=status,
    )


def test_the_table_names_every_status_and_the_office_s_moves() -> None:
    assert set(states.TRANSITIONS) == set(STATUSES)
    assert states.allowed("draft") == {"submitted": "submit", "approved": "approve", "ended": "end"}
    assert states.allowed("submitted") == {
        "approved": "approve",
        "draft": "return",
        "ended": "end",
    }
    assert states.allowed("approved") == {"paused": "pause", "ended": "end"}
    assert states.allowed("paused") == {"approved": "resume", "ended": "end"}
    assert states.allowed("ended") == {}
    assert all("ended" in states.allowed(s) for s in STATUSES if s != "ended")


@given(start=st.sampled_from(STATUSES), targets=st.lists(st.sampled_from(STATUSES), max_size=12))
def test_no_transition_outside_the_table_and_ended_is_final(start: str, targets: list[str]) -> None:
    offer = _offer(start)
    ended = start == "ended"
    for target in targets:
        before = offer.status
        if (before, target) in MOVES:
            action = service.transition(offer, target, by="staff:test")
            assert offer.status == target
            assert action == states.TRANSITIONS[before][target]
        else:
            with pytest.raises(states.TransitionRefused):
                service.transition(offer, target, by="staff:test")
            assert offer.status == before  # a refused move changes nothing
        if ended:
            assert offer.status == "ended"
        ended = ended or offer.status == "ended"


def test_approving_stamps_who_and_when_and_resuming_keeps_them() -> None:
    offer = _offer("draft")
    first = utcnow()
    assert service.transition(offer, "approved", by="staff:a", at=first) == "approve"
    assert (offer.approved_at, offer.approved_by) == (first, "staff:a")
    service.transition(offer, "paused", by="staff:b", at=first + timedelta(hours=1))
    assert service.transition(offer, "approved", by="staff:b", at=first + timedelta(hours=2)) == (
        "resume"
    )
    assert (offer.approved_at, offer.approved_by) == (first, "staff:a")
    assert offer.updated_at == first + timedelta(hours=2)
