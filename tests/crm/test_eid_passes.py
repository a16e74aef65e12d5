"""EID passes: keys generated or registered by X25519, sealed at rest, resolvable by ingest."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime

import psycopg
import pytest
from cli_support import run_crm
from sqlalchemy.engine import make_url

from crm.core import serverkey
from crm.core.db import Database
from crm.core.errors import Problem
from crm.destinations import service as destinations
from crm.passes import service as passes
from crm.passes.eid import refresh_eid_windows
from crm.passes.jobs import identity_of
from eddystone import compute_eid, registration, window_start

SERVER_KEY = bytes(range(32))


async def test_generated_key_is_sealed_and_resolves(db: Database) -> None:
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, "eidtown", "EID Town")
        made = await passes.register_eid_pass(session, dest.id, SERVER_KEY, rotation_exponent=9)
        assert made.identity_key is not None
        assert made.resolver_public_key is None
        device = made.device
        assert device.identity_key_enc is not None
        assert made.identity_key not in device.identity_key_enc
        assert made.identity_key.hex() not in device.identity
        assert serverkey.unseal([SERVER_KEY], device.identity_key_enc) == made.identity_key
        now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
        size = await refresh_eid_windows(
            session, dest.id, now, lambda d: identity_of([SERVER_KEY], d)
        )
        counter = window_start(int(now.timestamp()), 9)
        heard = compute_eid(made.identity_key, counter, 9)
        rows = await session.connection()
        found = (
            await rows.exec_driver_sql(
                "SELECT device_id FROM eid_window WHERE eid = %(eid)s", {"eid": heard}
            )
        ).all()
    assert size == 3  # current window and one on each side
    assert [r[0] for r in found] == [device.id]


async def test_x25519_registration_gives_the_card_the_same_key(db: Database) -> None:
    beacon_private = registration.generate_private_key()
    beacon_public = registration.public_key(beacon_private)
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, "x25519", "X")
        made = await passes.register_eid_pass(
            session, dest.id, SERVER_KEY, beacon_public_key=beacon_public
        )
    assert made.identity_key is None  # never shown: the card derives it
    assert made.resolver_public_key is not None
    on_card = registration.beacon_identity_key(beacon_private, made.resolver_public_key)
    assert made.device.identity_key_enc is not None
    assert serverkey.unseal([SERVER_KEY], made.device.identity_key_enc) == on_card


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rotation_exponent": 7}, "K must be 8 to 12"),
        ({"rotation_exponent": 13}, "K must be 8 to 12"),
        ({"beacon_public_key": b"\x01" * 5}, "unusable public key"),
        ({"identity_key": b"\x01" * 8}, "16 bytes"),
    ],
)
async def test_bad_registrations_are_refused(
    db: Database, kwargs: dict[str, object], message: str
) -> None:
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, "refused", "R")
        with pytest.raises(Problem, match=message):
            await passes.register_eid_pass(session, dest.id, SERVER_KEY, **kwargs)  # type: ignore[arg-type]


async def test_same_key_twice_is_a_conflict(db: Database) -> None:
    async with db.session(system=True) as session:
        dest = await destinations.create_destination(session, "twice", "T")
        key = b"\x07" * 16
        await passes.register_eid_pass(session, dest.id, SERVER_KEY, identity_key=key)
        with pytest.raises(Problem, match="already registered"):
            await passes.register_eid_pass(session, dest.id, SERVER_KEY, identity_key=key)


def test_cli_visitor_add_with_an_eid_pass(committed_db_url: str) -> None:
    def crm(*args: str) -> subprocess.CompletedProcess[str]:
        return run_crm(committed_db_url, *args)

    assert crm("demo", "--scenario", "/dev/null").returncode == 0
    result = crm(
        "visitor", "add", "--consent", "proximity", "--pass-eid", "--eid-k", "11", "--json"
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["pass"]["type"] == "eddystone-eid"
    assert answer["pass"]["k"] == 11
    key = answer["pass"]["identity_key"]
    assert len(bytes.fromhex(key)) == 16
    dsn = (
        make_url(committed_db_url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT kind, rotation_exponent, identity_key_enc FROM device WHERE visitor_id = %s",
            (answer["visitor_id"],),
        ).fetchone()
    assert row is not None
    assert row[:2] == ("eddystone-eid", 11)
    assert bytes.fromhex(key) not in bytes(row[2])
    bad = crm("visitor", "add", "--pass-eid", "--eid-k", "20", "--json")
    assert bad.returncode == 1
    assert "K must be 8 to 12" in bad.stderr
