"""EID resolver table, registration flow and eTLM pairing (beyond the published vectors)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eddystone import (
    EddystoneError,
    EidIdentity,
    EidTable,
    IntegrityError,
    KeyExchangeError,
    TlmFrame,
    beacon_identity_key,
    compute_eid,
    decrypt_etlm,
    eids_for_window,
    encrypt_tlm,
    generate_private_key,
    public_key,
    register_beacon,
    resolver_identity_key,
    shared_secret,
    temporary_key,
)

h = bytes.fromhex
IK_A = h("0102030405060708090A111213141516")
IK_B = h("00112233445566778899AABBCCDDEEFF")
NOW = 1_795_600_012


@pytest.mark.parametrize("cache_contexts", [False, True])
def test_table_holds_current_and_adjacent_windows(cache_contexts: bool) -> None:
    """With adjacent=1 each pass has 3 EIDs: previous, current and next window."""
    identities = {"a": EidIdentity(IK_A, 10), "b": EidIdentity(IK_B, 12, clock_offset=-NOW + 5000)}
    table = EidTable(identities, cache_contexts=cache_contexts)
    assert table.refresh(NOW) == 6
    assert len(table) == 6
    for delta in (-1024, 0, 1024):
        assert table.resolve(compute_eid(IK_A, NOW + delta, 10)) == "a"
    assert table.resolve(compute_eid(IK_A, NOW + 2048, 10)) is None
    beacon_now = 5000
    for delta in (-4096, 0, 4096):
        if beacon_now + delta >= 0:
            assert table.resolve(compute_eid(IK_B, beacon_now + delta, 12)) == "b"
    assert table.resolve(bytes(8)) is None


def test_match_gives_the_window_for_etlm() -> None:
    """match() returns the beacon-time window, which decrypts the pass's eTLM."""
    table = EidTable({7: EidIdentity(IK_B, 12)})
    table.refresh(NOW)
    eid = compute_eid(IK_B, NOW + 3000, 12)
    match = table.match(eid)
    assert match is not None
    assert match.key_id == 7
    assert match.window_start == (NOW + 3000) >> 12 << 12
    tlm = TlmFrame(0, 2900, 19.5, 1234, 3600.0)
    etlm = encrypt_tlm(IK_B, tlm, time_counter=NOW + 3000, k=12, salt=b"\xab\xcd")
    assert decrypt_etlm(IK_B, etlm, time_counter=match.window_start, k=12) == tlm
    with pytest.raises(IntegrityError):
        decrypt_etlm(IK_A, etlm, time_counter=match.window_start, k=12)


@pytest.mark.parametrize("cache_contexts", [False, True])
def test_table_across_a_temporary_key_rollover(cache_contexts: bool) -> None:
    """Windows on both sides of a 65536-s TK boundary use their own temporary key."""
    t = 65536 * 3 + 100  # current window just after a TK roll-over
    table = EidTable({"a": EidIdentity(IK_A, 10)}, cache_contexts=cache_contexts)
    assert temporary_key(IK_A, t - 1024) != temporary_key(IK_A, t)
    for now in (t, t + 30, t + 1024, t - 1024):  # later refreshes reuse the cache
        table.refresh(now)
        for delta in (-1024, 0, 1024):
            assert table.resolve(compute_eid(IK_A, now + delta, 10)) == "a"


def test_refresh_moves_with_time_and_prunes_keys() -> None:
    """A later refresh drops old windows; add/remove take effect at the next refresh."""
    table = EidTable({"a": EidIdentity(IK_A, 8)})
    table.refresh(NOW)
    old = compute_eid(IK_A, NOW - 256, 8)
    assert table.resolve(old) == "a"
    table.add("b", EidIdentity(IK_B, 8))
    table.remove("a")
    table.remove("missing")
    table.refresh(NOW + 512)
    assert table.resolve(old) is None
    assert table.resolve(compute_eid(IK_B, NOW + 512, 8)) == "b"
    assert table.now == NOW + 512


def test_windows_stay_inside_the_32_bit_counter() -> None:
    """At counter 0 there is no previous window; near 2^32 no next one."""
    table = EidTable({"a": EidIdentity(IK_A, 10)})
    assert table.refresh(0) == 2
    assert table.refresh(0xFFFFFFFF) == 2
    assert EidTable({"a": EidIdentity(IK_A, 10)}, adjacent=0).refresh(NOW) == 1


def test_eids_for_window_helper() -> None:
    """The stateless helper lists every EID → key id for the window."""
    eids = eids_for_window({"a": EidIdentity(IK_A, 10)}, NOW, adjacent=2)
    assert len(eids) == 5
    assert eids[compute_eid(IK_A, NOW, 10)] == "a"


def test_collisions_are_counted_first_pass_kept() -> None:
    """Two passes with the same key collide on every window: the first one is kept."""
    table = EidTable({"first": EidIdentity(IK_A, 10), "second": EidIdentity(IK_A, 10)})
    table.refresh(NOW)
    assert table.collisions == 3
    assert table.resolve(compute_eid(IK_A, NOW, 10)) == "first"


@pytest.mark.parametrize(
    "identity",
    [EidIdentity(bytes(15), 10), EidIdentity(IK_A, 16), EidIdentity(IK_A, -1)],
)
def test_table_refuses_bad_identities(identity: EidIdentity) -> None:
    """Wrong key length or K outside 0..15 is an EddystoneError, at construction or add."""
    with pytest.raises(EddystoneError):
        EidTable({"x": identity})
    with pytest.raises(EddystoneError):
        EidTable[str]({}).add("x", identity)


@pytest.mark.parametrize(
    ("ik", "t", "k"),
    [(bytes(15), 0, 0), (IK_A, -1, 0), (IK_A, 2**32, 0), (IK_A, 0, 16), (IK_A, 0, -1)],
)
def test_compute_eid_refuses_bad_inputs(ik: bytes, t: int, k: int) -> None:
    """Bad key, time counter or K are EddystoneErrors, never crypto library errors."""
    with pytest.raises(EddystoneError):
        compute_eid(ik, t, k)


def test_registration_flow() -> None:
    """Beacon and resolver derive the same IK; the resolver checks the EID and keeps the offset."""
    resolver_private = generate_private_key()
    beacon_private = generate_private_key()
    resolver_public = public_key(resolver_private)
    beacon_public = public_key(beacon_private)
    beacon_ik = beacon_identity_key(beacon_private, resolver_public)
    assert resolver_identity_key(resolver_private, beacon_public) == beacon_ik
    beacon_time = 65280  # the spec's advice: start near a TK roll-over
    eid = compute_eid(beacon_ik, beacon_time, 10)
    registration = register_beacon(
        resolver_private,
        beacon_public,
        k=10,
        beacon_time=beacon_time,
        initial_eid=eid,
        server_time=NOW,
    )
    assert registration.identity_key == beacon_ik
    assert registration.clock_offset == beacon_time - NOW
    table = EidTable({"pass-1": registration.identity()})
    table.refresh(NOW + 3 * 3600)
    assert table.resolve(compute_eid(beacon_ik, beacon_time + 3 * 3600, 10)) == "pass-1"
    with pytest.raises(IntegrityError):
        register_beacon(
            resolver_private,
            beacon_public,
            k=10,
            beacon_time=beacon_time + 1024,
            initial_eid=eid,
            server_time=NOW,
        )


@pytest.mark.parametrize("bad_public", [bytes(32), b"\x01" + bytes(31), bytes(31)])
def test_low_order_or_malformed_public_keys_are_refused(bad_public: bytes) -> None:
    """An all-zero shared secret (low-order point) or a wrong length is a KeyExchangeError."""
    with pytest.raises(KeyExchangeError):
        shared_secret(generate_private_key(), bad_public)
    with pytest.raises(KeyExchangeError):
        resolver_identity_key(generate_private_key(), bad_public)


@settings(deadline=None, max_examples=100)
@given(
    st.lists(
        st.tuples(
            st.binary(min_size=16, max_size=16), st.integers(0, 15), st.integers(-(2**31), 2**31)
        ),
        min_size=1,
        max_size=5,
    ),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2),
    st.booleans(),
)
def test_table_agrees_with_compute_eid(
    passes: list[tuple[bytes, int, int]], now: int, adjacent: int, cache_contexts: bool
) -> None:
    """Every window the table holds resolves to its pass, exactly as compute_eid computes it."""
    identities = {i: EidIdentity(ik, k, offset) for i, (ik, k, offset) in enumerate(passes)}
    table = EidTable(identities, adjacent=adjacent, cache_contexts=cache_contexts)
    table.refresh(now)
    expected = 0
    for identity in identities.values():
        size = 1 << identity.k
        current = (now + identity.clock_offset) >> identity.k << identity.k
        for step in range(-adjacent, adjacent + 1):
            start = current + step * size
            if 0 <= start <= 0xFFFFFFFF:
                expected += 1
                match = table.match(compute_eid(identity.identity_key, start, identity.k))
                assert match is not None
                assert match.window_start == start
                assert identities[match.key_id].identity_key == identity.identity_key
    assert len(table) + table.collisions == expected
