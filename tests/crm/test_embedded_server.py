"""The zero-setup path: with DATABASE_URL unset, the embedded PostgreSQL server is used.

CI sets DATABASE_URL, so this test starts the embedded server itself to keep that path covered.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from crm.core import embedded
from crm.core.db import database_url
from crm.core.settings import Settings


def test_embedded_server_starts_answers_and_stops() -> None:
    # Not pytest's tmp_path: as root the server runs as its own system user, which must be
    # able to traverse the folder (pytest's temporary root is private to root).
    folder = Path(tempfile.mkdtemp(prefix="balise-embedded-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        settings = Settings(_env_file=None, database_url=None, data_dir=folder)  # type: ignore[call-arg]
        url = database_url(settings)
        assert url.startswith("postgresql+psycopg://")
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                "SELECT current_setting('server_version_num')::int, 40 + 2"
            ).fetchone()
        assert row is not None and row[0] >= 150000 and row[1] == 42
        assert database_url(settings) == url  # a second start finds the running server
    finally:
        embedded.stop(folder)
        assert not (folder / "pg" / "postmaster.pid").exists()
        shutil.rmtree(folder, ignore_errors=True)
