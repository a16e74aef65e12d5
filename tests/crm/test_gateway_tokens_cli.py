"""``crm gateway rotate`` and ``crm gateway revoke``: what ``crm gateway --help`` promises."""

from __future__ import annotations

import asyncio
import subprocess

from cli_support import run_crm

from crm.core.credentials import token_hash
from crm.core.db import Database
from crm.destinations import service as destinations
from crm.gateways import service as gateways
from crm.gateways.models import Gateway


async def _live_tokens(db: Database, name: str) -> set[bytes]:
    from sqlalchemy import text

    async with db.session(system=True) as session:
        rows = await session.execute(
            text(
                "SELECT token_hash FROM credential "
                "WHERE subject = :name AND kind = 'gateway' AND revoked_at IS NULL"
            ),
            {"name": name},
        )
        return {bytes(r[0]) for r in rows}


async def test_rotate_prints_a_new_token_last_and_revoke_stops_them_all(
    committed_db: Database, committed_db_url: str
) -> None:
    async with committed_db.session(system=True) as session:
        destination = await destinations.create_destination(session, "tok", "Tok")
        site = await destinations.add_site(session, destination.id, "spa", "Spa")
        _, first = await gateways.add_gateway(session, "spa-gate", site)
        await session.commit()

    def crm(*args: str) -> subprocess.CompletedProcess[str]:
        return run_crm(committed_db_url, *args)

    helped = await asyncio.to_thread(crm, "gateway", "--help")
    assert "rotate" in helped.stdout and "revoke" in helped.stdout

    rotated = await asyncio.to_thread(crm, "gateway", "rotate", "spa-gate")
    assert rotated.returncode == 0, rotated.stderr
    second = rotated.stdout.splitlines()[-1]
    assert second != first
    assert await _live_tokens(committed_db, "spa-gate") == {token_hash(second)}

    revoked = await asyncio.to_thread(crm, "gateway", "revoke", "spa-gate")
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith("Revoked 1 token(s) of spa-gate;")
    assert await _live_tokens(committed_db, "spa-gate") == set()
    async with committed_db.session(system=True) as session:
        assert await session.get(Gateway, "spa-gate") is not None, "the gateway stays"

    for command in ("rotate", "revoke"):
        missing = await asyncio.to_thread(crm, "gateway", command, "nowhere-1")
        assert missing.returncode == 1
        assert "no gateway 'nowhere-1'" in missing.stderr
