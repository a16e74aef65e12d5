"""Response models of the data-subject rights."""

from __future__ import annotations

from pydantic import BaseModel


class ErasureOut(BaseModel):
    """What ``crm rights reapply-erasures`` (or an erasure) removed, in rows."""

    visitors: int
    events: int
    visits: int
    consents: int
    devices_unassigned: int
    credentials: int
    audit_entries_anonymised: int
