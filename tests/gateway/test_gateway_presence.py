"""The presence machine: rules of docs/architecture.md "Event times", unit and property tests."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from beacon_gateway.config import PresenceConfig
from beacon_gateway.events import ProximityEvent, uid_identity
from beacon_gateway.presence import PresenceMachine

A = uid_identity(bytes(10), bytes.fromhex("000000000001"))
B = uid_identity(bytes(10), bytes.fromhex("000000000002"))
CFG = PresenceConfig(smoothing_window_s=0.5)  # window < sighting gap: smoothed == raw


def machine(cfg: PresenceConfig = CFG) -> PresenceMachine:
    counter = itertools.count(1)
    return PresenceMachine(cfg, make_id=lambda at: f"id-{next(counter)}")


def kinds(events: list[ProximityEvent]) -> list[tuple[str, float, float]]:
    return [(e.kind, e.observed_at, e.dwell_s) for e in events]


def test_enter_needs_min_sightings_consecutive() -> None:
    m = machine()
    assert m.observe(A, 0.0, -70, -59) == []
    assert m.observe(A, 1.0, -80, -59) == []  # breaks the streak
    assert m.observe(A, 2.0, -70, -59) == []
    events = m.observe(A, 3.0, -70, -59)
    assert kinds(events) == [("enter", 3.0, 0.0)]
    e = events[0]
    assert e.device == {"type": "eddystone-uid", "namespace": "00" * 10, "instance": "000000000001"}
    assert e.rssi == -70.0
    assert e.zone == "near"  # 2.55 m with n = 2.7
    assert e.distance_m is not None
    assert round(e.distance_m, 2) == round(10 ** (11 / 27), 2)


def test_hysteresis_between_enter_and_exit() -> None:
    m = machine()
    m.observe(A, 0.0, -70, -59)
    m.observe(A, 1.0, -70, -59)
    assert m.observe(A, 2.0, -84, -59) == []  # below enter but not below exit: stays
    assert kinds(m.observe(A, 3.0, -86, -59)) == [("exit", 3.0, 2.0)]
    assert not m.is_present(A)


def test_timeout_exit_at_last_sighting_plus_timeout_with_dwells() -> None:
    m = machine()
    m.observe(A, 0.0, -60, -59)
    m.observe(A, 10.0, -60, -59)  # enter at 10
    assert m.observe(A, 50.0, -60, -59) == []
    events = m.advance(1000.0)
    assert kinds(events) == [("dwell", 70.0, 60.0), ("exit", 110.0, 100.0)]
    assert len(m) == 0


def test_dwell_fires_between_sightings_on_time() -> None:
    m = machine()
    m.observe(A, 0.0, -60, -59)
    m.observe(A, 1.0, -60, -59)
    events = m.observe(A, 50.0, -60, -59) + m.observe(A, 100.0, -60, -59)
    assert kinds(events) == [("dwell", 61.0, 60.0)]


def test_dwell_due_at_exit_moment_is_not_emitted() -> None:
    m = machine(PresenceConfig(smoothing_window_s=0.5, dwell_interval_s=60, exit_timeout_s=60))
    m.observe(A, 0.0, -60, None)
    m.observe(A, 1.0, -60, None)
    assert kinds(m.advance(500.0)) == [("exit", 61.0, 60.0)]


def test_one_open_presence_per_identity_and_reentry() -> None:
    m = machine()
    for t in range(5):
        m.observe(A, float(t), -60, -59)
    m.observe(A, 5.0, -90, -59)  # exit
    events = [e for t in range(6, 9) for e in m.observe(A, float(t), -60, -59)]
    assert kinds(events) == [("enter", 7.0, 0.0)]
    # the old visit's dwell timer (due 61) must not fire for the new visit
    assert kinds(m.advance(66.0)) == []
    assert kinds(m.advance(67.0)) == [("dwell", 67.0, 60.0)]


def test_eviction_closes_the_oldest_presence() -> None:
    m = machine(PresenceConfig(smoothing_window_s=0.5, max_tracked=1))
    m.observe(A, 0.0, -60, -59)
    m.observe(A, 1.0, -60, -59)
    events = m.observe(B, 5.0, -60, -59)
    assert kinds(events) == [("exit", 5.0, 4.0)]
    assert events[0].device["instance"] == "000000000001"
    assert len(m) == 1
    assert m.evicted == 1


def test_close_all_follows_the_rules() -> None:
    m = machine()
    m.observe(A, 0.0, -60, -59)
    m.observe(A, 1.0, -60, -59)
    m.observe(B, 0.0, -60, -59)  # never entered
    # exit at last sighting + 60 s; the dwell due at that same moment is not emitted
    assert kinds(m.close_all(2.0)) == [("exit", 61.0, 60.0)]
    assert len(m) == 0


def test_unknown_reference_gives_null_distance_but_a_zone() -> None:
    m = machine()
    m.observe(A, 0.0, -60, None)
    (e,) = m.observe(A, 1.0, -60, None)
    assert e.distance_m is None
    assert e.zone == "near"  # 1.09 m from a typical card's -59 dBm at 1 m


def test_smoothing_holds_presence_through_a_dip() -> None:
    m = machine(PresenceConfig(smoothing_window_s=5.0))
    got: list[ProximityEvent] = []
    for t, rssi in enumerate([-65, -66, -64, -99, -65, -66, -98, -64]):
        got += m.observe(A, float(t), rssi, -59)
    assert [e.kind for e in got] == ["enter"]


# --- properties -------------------------------------------------------------------------------

sightings = st.lists(
    st.tuples(
        st.sampled_from([A, B]),
        st.floats(min_value=0.0, max_value=30.0),  # gap since the previous sighting
        st.integers(min_value=-100, max_value=-40),
    ),
    max_size=80,
)
configs = st.builds(
    PresenceConfig,
    enter_rssi_dbm=st.just(-75.0),
    exit_rssi_dbm=st.sampled_from([-75.0, -85.0]),
    exit_timeout_s=st.sampled_from([5.0, 20.0, 60.0]),
    dwell_interval_s=st.sampled_from([3.0, 10.0, 60.0]),
    min_sightings=st.integers(1, 3),
    smoothing_window_s=st.sampled_from([0.5, 5.0]),
)


def run(cfg: PresenceConfig, seq: list[tuple[bytes, float, int]]) -> tuple[list, dict]:
    m = machine(cfg)
    t = 0.0
    out: list[ProximityEvent] = []
    last_seen: dict[bytes, float] = {}
    for ident, gap, rssi in seq:
        t += gap
        out += m.observe(ident, t, float(rssi), -59.0)
        last_seen[ident] = t
    out += m.close_all(t)
    return out, last_seen


@settings(max_examples=300, deadline=None)
@given(configs, sightings)
def test_properties(cfg: PresenceConfig, seq: list[tuple[bytes, float, int]]) -> None:
    events, _ = run(cfg, seq)
    times = [e.observed_at for e in events]
    assert times == sorted(times), "events come out in time order"
    for ident in (A, B):
        mine = [e for e in events if e.identity == ident]
        open_since: float | None = None
        last_dwell = -1.0
        for e in mine:
            if e.kind == "enter":
                assert open_since is None, "at most one open presence"
                open_since = e.observed_at
                last_dwell = 0.0
            else:
                assert open_since is not None, f"{e.kind} without enter"
                assert e.dwell_s == e.observed_at - open_since
                assert e.dwell_s >= last_dwell, "dwell is monotonic within a stay"
                last_dwell = e.dwell_s
                if e.kind == "exit":
                    open_since = None
        assert open_since is None, "close_all leaves nothing open"


@settings(max_examples=200, deadline=None)
@given(configs, sightings)
def test_exit_no_later_than_timeout_after_last_sighting(
    cfg: PresenceConfig, seq: list[tuple[bytes, float, int]]
) -> None:
    events, _ = run(cfg, seq)
    # replay the sightings to know, for each exit, the identity's last sighting before it
    t = 0.0
    times: dict[bytes, list[float]] = {A: [], B: []}
    for ident, gap, _ in seq:
        t += gap
        times[ident].append(t)
    for e in events:
        if e.kind == "exit":
            before = [s for s in times[e.identity] if s <= e.observed_at]
            assert before, "an exit follows at least one sighting"
            assert e.observed_at <= before[-1] + cfg.exit_timeout_s


@settings(max_examples=100, deadline=None)
@given(configs, sightings)
def test_replay_is_deterministic(cfg: PresenceConfig, seq: list[tuple[bytes, float, int]]) -> None:
    first, _ = run(cfg, seq)
    second, _ = run(cfg, seq)
    assert first == second
