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


class TenantLeafRow(SQLModel):
    """A row owned by one destination, under row-level security like a :class:`TenantRow`, that
    goes with a parent row of the same destination (an exposure with its visitor, a redemption
    code with its offer) rather than with the destination itself: its ``destination_id`` is no
    foreign key, and is not indexed alone.

    Such rows are written on every roadbook request that shows something new, and a foreign key
    check locks the row it references (``FOR KEY SHARE``): the destination's one row, for every
    such request of the destination, the most expensive part of writing them (bench/README.md
    § roadbook). Their parent's foreign key (``ON DELETE CASCADE``) still takes them away with
    the destination; every read narrows by visitor, offer or code."""

    destination_id: uuid.UUID
