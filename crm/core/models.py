"""Building blocks shared by every table model: ids, tenancy, UTC timestamps."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlmodel import Field, SQLModel

from crm.core import clock

# The current time, UTC-aware (naive datetimes are refused everywhere), from the CRM's one clock
# (crm/core/clock.py: the wall clock, or the time a test fixed). The function itself, not a
# wrapper: row defaults call it once per row.
utcnow = clock.now


def sql_list(words: Iterable[str]) -> str:
    """Fixed words as a SQL list for a CHECK constraint: ``'a', 'b'`` (never user input)."""
    return ", ".join(f"'{word}'" for word in words)


class TenantRow(SQLModel):
    """A row owned by one destination; row-level security filters on ``destination_id``."""

    destination_id: uuid.UUID = Field(foreign_key="destination.id", index=True, ondelete="CASCADE")
