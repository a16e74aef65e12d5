"""The one Alembic history: upgrade, check against the models, downgrade, upgrade again."""

from __future__ import annotations

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from crm.core.schema import tenant_tables
from crm.core.settings import PROJECT_ROOT
from crm.main import install
from tests.conftest import Databases


def _config(url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_upgrade_check_downgrade_upgrade(databases: Databases) -> None:
    name = f"balise_mig_{id(databases)}"
    databases.execute(f'CREATE DATABASE "{name}"')
    databases.created.append(name)
    url = make_url(databases.url).set(database=name).render_as_string(hide_password=False)
    config = _config(url)
    command.upgrade(config, "head")
    command.check(config)  # raises when the models and the migrated schema differ
    command.downgrade(config, "base")
    with psycopg.connect(_dsn(url)) as conn:
        left = conn.execute(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).fetchall()
    assert left == []
    command.upgrade(config, "head")
    command.check(config)


def test_every_tenant_table_is_under_row_level_security(committed_db_url: str) -> None:
    with psycopg.connect(_dsn(committed_db_url)) as conn:
        with_destination = {
            row[0]
            for row in conn.execute(
                """SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND a.attname = 'destination_id'
                     AND c.relkind IN ('r', 'p') AND NOT c.relispartition"""
            )
        }
        protected = {
            row[0]
            for row in conn.execute(
                """SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid
                   WHERE c.relrowsecurity AND p.polname = 'tenant_isolation'"""
            )
        }
    install()
    # credential is read before the tenant is known and holds only hashes: no RLS by design.
    assert with_destination - {"credential"} == set(tenant_tables())
    assert set(tenant_tables()) <= protected
    assert "destination" in protected


def test_tenant_policies_read_the_destination_once_per_statement(committed_db_url: str) -> None:
    # a bare balise_current_destination() is evaluated for every row a statement checks
    with psycopg.connect(_dsn(committed_db_url)) as conn:
        policies = conn.execute(
            """SELECT c.relname, pg_get_expr(p.polqual, p.polrelid),
                      pg_get_expr(p.polwithcheck, p.polrelid)
               FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
               WHERE p.polname = 'tenant_isolation'"""
        ).fetchall()
    install()
    assert len(policies) == len(tenant_tables()) + 1
    for table, using, check in policies:
        for expression in (using, check):
            assert "( SELECT balise_current_destination()" in expression, (table, expression)


def test_event_partitions_exist_around_now(committed_db_url: str) -> None:
    with psycopg.connect(_dsn(committed_db_url)) as conn:
        names = [
            row[0]
            for row in conn.execute(
                """SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                   WHERE i.inhparent = 'proximity_event'::regclass ORDER BY 1"""
            )
        ]
        this_month = conn.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')").fetchone()
        created = conn.execute("SELECT balise_ensure_event_partition('2031-07-15')").fetchone()
        again = conn.execute("SELECT balise_ensure_event_partition('2031-07-01')").fetchone()
    assert this_month is not None and f"proximity_event_p{this_month[0]}" in names
    assert len(names) == 4
    assert created == again == ("proximity_event_p203107",)
