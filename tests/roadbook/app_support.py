"""The real app for the roadbook's HTTP tests: one client instead of a copy in each test file."""

from __future__ import annotations

import httpx2

from crm.core.db import Database
from crm.core.settings import Settings
from crm.main import create_app

PUBLIC = "https://roadbook.example"


def app_client(db: Database, public: str = PUBLIC) -> httpx2.AsyncClient:
    """The app, public at ``public``, that also answers the test client's host ``t`` (no
    scheduler, no ``.env``)."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=db.url,
        scheduler_enabled=False,
        public_url=f"{public}/",
        allowed_hosts=["t"],
    )
    app = create_app(settings, db=db)
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t")
