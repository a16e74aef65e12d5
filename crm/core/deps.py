"""Dependency aliases shared by every router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from crm.core.db import Database
from crm.core.settings import Settings


def get_db(request: Request) -> Database:
    """The app's database."""
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_system_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session across tenants, for look-ups that happen before the tenant is known."""
    async with get_db(request).session(system=True) as session:
        yield session


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SystemSessionDep = Annotated[AsyncSession, Depends(get_system_session)]
