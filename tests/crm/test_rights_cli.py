"""``crm rights reapply-erasures`` / ``export-erasures`` in real subprocesses, after a "restore"."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from cli_support import dsn, run_crm

from crm.core.db import Database
from crm.destinations import service as destinations
from crm.rights import service as rights
from crm.visitors import service as visitors
from crm.visitors.models import Visitor


async def test_reapply_after_restores_with_and_without_the_ledger(
    committed_db: Database, committed_db_url: str, tmp_path: Path
) -> None:
    async with committed_db.session(system=True) as session:
        dest = await destinations.create_destination(session, "amneville", "Amnéville")
        kept = await visitors.enrol(session, dest.id, consents=["proximity"])
        gone = await visitors.enrol(
            session, dest.id, consents=["proximity", "marketing"], wishes=["sport"]
        )
        await session.commit()
    gone_id, kept_id = gone.visitor.id, kept.visitor.id
    with psycopg.connect(dsn(committed_db_url)) as conn:  # the "backup"
        conn.execute(
            "CREATE TABLE backup_visitor AS SELECT * FROM visitor WHERE id = %s", (gone_id,)
        )
        conn.execute(
            "CREATE TABLE backup_consent AS SELECT * FROM consent WHERE visitor_id = %s", (gone_id,)
        )
    async with committed_db.session(system=True) as session:
        visitor = await session.get(Visitor, gone_id)
        assert visitor is not None
        await rights.erase_visitor(session, visitor, by="visitor")
        await session.commit()

    exported = run_crm(committed_db_url, "rights", "export-erasures")
    assert exported.returncode == 0, exported.stderr
    entries = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [(e["visitor_id"], e["by"]) for e in entries] == [(str(gone_id), "visitor")]
    ledger = tmp_path / "erasures.jsonl"
    ledger.write_text(exported.stdout, encoding="utf-8")

    def restore(*, with_ledger_entry: bool) -> None:
        with psycopg.connect(dsn(committed_db_url)) as conn:
            conn.execute("INSERT INTO visitor SELECT * FROM backup_visitor")
            conn.execute("INSERT INTO consent SELECT * FROM backup_consent")
            if not with_ledger_entry:  # a backup older than the erasure
                conn.execute("DELETE FROM erasure_ledger")

    def count(sql: str) -> int:
        with psycopg.connect(dsn(committed_db_url)) as conn:
            row = conn.execute(sql, (gone_id,)).fetchone()
            assert row is not None
            return int(row[0])

    # 1. The restored database still has the ledger entry.
    restore(with_ledger_entry=True)
    assert count("SELECT count(*) FROM visitor WHERE id = %s") == 1
    result = run_crm(committed_db_url, "rights", "reapply-erasures")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["visitors"] == 1 and report["consents"] == 2 and report["ledger_added"] == 0
    assert count("SELECT count(*) FROM visitor WHERE id = %s") == 0
    assert count("SELECT count(*) FROM consent WHERE visitor_id = %s") == 0

    # 2. The backup predates the erasure: the exported ledger brings it back.
    restore(with_ledger_entry=False)
    result = run_crm(committed_db_url, "rights", "reapply-erasures", "--ledger", str(ledger))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ledger_added"] == 1 and report["visitors"] == 1
    assert count("SELECT count(*) FROM visitor WHERE id = %s") == 0
    assert count("SELECT count(*) FROM erasure_ledger WHERE visitor_id = %s") == 1
    # The other visitor is untouched.
    with psycopg.connect(dsn(committed_db_url)) as conn:
        row = conn.execute("SELECT count(*) FROM visitor WHERE id = %s", (kept_id,)).fetchone()
        assert row == (1,)

    # 3. A malformed ledger changes nothing and says which line.
    bad = tmp_path / "bad.jsonl"
    bad.write_text(exported.stdout + '{"visitor_id": "nope"}\n', encoding="utf-8")
    restore(with_ledger_entry=False)
    result = run_crm(committed_db_url, "rights", "reapply-erasures", "--ledger", str(bad))
    assert result.returncode == 1
    assert "line 2" in result.stderr
    assert count("SELECT count(*) FROM visitor WHERE id = %s") == 1
    assert count("SELECT count(*) FROM erasure_ledger WHERE visitor_id = %s") == 0
