"""Fleet bookkeeping: failed claim-code exchanges per client address."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class ClaimAttempt(SQLModel, table=True):
    """Failed claim-code exchanges per client address (lockout); no tenant, no identities."""

    __tablename__ = "claim_attempt"

    client: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    first_failure_at: datetime
    locked_until: datetime | None = None
