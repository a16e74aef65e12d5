"""Building blocks shared by every table model: ids, tenancy, UTC timestamps."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, UTC-aware (naive datetimes are refused everywhere)."""
    return datetime.now(UTC)


def sql_list(words: Iterable[str]) -> str:
    """Fixed words as a SQL list for a CHECK constraint: ``'a', 'b'`` (never user input)."""
    return ", ".join(f"'{word}'" for word in words)


class TenantRow(SQLModel):
    """A row owned by one destination; row-level security filters on ``destination_id``."""

    destination_id: uuid.UUID = Field(foreign_key="destination.id", index=True, ondelete="CASCADE")
