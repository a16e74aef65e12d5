"""Request and response models of staff login and staff account management."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "marketing", "desk"]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


class LoginRequest(BaseModel):
    """Credentials of a staff member of one destination."""

    model_config = ConfigDict(extra="forbid")

    destination: str = Field(
        min_length=1, max_length=64, pattern=NO_NUL, description="The destination's slug"
    )
    email: str = Field(min_length=3, max_length=254, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1024)


class StaffOut(BaseModel):
    """A staff account as the API shows it (never the password hash)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    destination_id: uuid.UUID
    email: str
    name: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None = None


class LoginResponse(BaseModel):
    """The staff token (shown once) and when it expires; also set as the session cookie."""

    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name)
    expires_at: datetime
    staff: StaffOut


class StaffCreate(BaseModel):
    """A new staff account."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=NO_NUL)
    name: str = Field(default="", max_length=200, pattern=NO_NUL)
    role: Role
    password: str = Field(min_length=10, max_length=1024)


class StaffUpdate(BaseModel):
    """Changes to a staff account (absent fields are left alone)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=1024)
