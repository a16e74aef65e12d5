"""Watchdog escalation on an injected clock: quiet is no stall, steps back off, recovery resets."""

from __future__ import annotations

from beacon_gateway.stall_ladder import Action, Watchdog


def test_a_quiet_site_that_is_discovering_is_never_a_stall() -> None:
    dog = Watchdog(30.0)
    assert all(dog.observe(t, True, None) is Action.NONE for t in range(0, 86_400, 5))
    assert dog.counters.stalls == 0


def test_not_discovering_escalates_with_backoff_then_exits() -> None:
    dog = Watchdog(30.0, backoff_s=30.0, backoff_max_s=600.0)
    actions = [
        (t, a) for t in range(0, 240, 5) if (a := dog.observe(t, False, None)) != Action.NONE
    ]
    assert [a for _, a in actions] == [Action.RESTART_SCAN, Action.RESET_ADAPTER, Action.EXIT]
    times = [t for t, _ in actions]
    assert times[0] == 35  # silence_s exceeded
    assert times[1] - times[0] >= 30 and times[2] - times[1] >= 60  # doubling back-off
    assert dog.counters.as_dict() == {
        "stalls": 1,
        "scan_restarts": 1,
        "adapter_resets": 1,
        "exits": 1,
    }


def test_recovery_after_a_restart_resets_the_ladder_after_a_healthy_spell() -> None:
    dog = Watchdog(30.0, backoff_s=30.0, backoff_max_s=120.0)
    assert dog.observe(0, False, None) is Action.NONE
    assert dog.observe(31, False, None) is Action.RESTART_SCAN
    for t in range(35, 300, 5):  # the restart worked
        assert dog.observe(t, True, None) is Action.NONE
    assert dog.observe(300, False, None) is Action.NONE
    assert dog.observe(331, False, None) is Action.RESTART_SCAN, "from the bottom again"
    assert dog.counters.stalls == 2 and dog.counters.adapter_resets == 0


def test_silent_reference_beacon_is_a_stall_even_while_discovering() -> None:
    dog = Watchdog(60.0, reference_configured=True, backoff_s=10.0)
    assert dog.observe(30, True, 25.0) is Action.NONE
    assert dog.observe(80, True, 25.0) is Action.NONE  # 55 s of silence: still fine
    assert dog.observe(90, True, 25.0) is Action.RESTART_SCAN
    assert dog.observe(95, True, 94.0) is Action.NONE  # heard again
    assert dog.counters.scan_restarts == 1
