"""Request and response models of enrolment, the consent ledger and the notice."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm.core.vocabulary import (
    ACCESSIBILITY,
    CONSENT_SCOPES,
    WISHES,
    Language,
    Need,
    PassUid,
    Scope,
    Wish,
)

NoticeVersion = Annotated[str, StringConstraints(min_length=1, max_length=32)]
PassUidField = Annotated[
    PassUid,
    Field(description="NAMESPACE:INSTANCE of a static Eddystone-UID pass, in hex (any vendor)"),
]
DestinationSlug = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class EnrolmentBase(BaseModel):
    """What a visitor chooses at enrolment (shared by the desk and the self-enrolment forms)."""

    model_config = ConfigDict(extra="forbid")

    language: Language = "fr"
    wishes: Annotated[list[Wish], Field(max_length=len(WISHES))] = []
    stay_start: date | None = None
    stay_end: date | None = None
    adults: Annotated[int, Field(ge=0, le=50)] = 1
    children: Annotated[int, Field(ge=0, le=50)] = 0
    accessibility: Annotated[list[Need], Field(max_length=len(ACCESSIBILITY))] = []
    consents: Annotated[
        list[Scope],
        Field(max_length=len(CONSENT_SCOPES), description="Scopes the visitor consents to"),
    ] = []
    notice_version: NoticeVersion | None = Field(
        default=None,
        description="The notice version the visitor was shown (GET /api/v1/notice); "
        "default: the current one",
    )


class DeskEnrolmentIn(EnrolmentBase):
    """Enrolment at the desk by staff, who may hand over a static UID pass."""

    pass_uid: PassUidField | None = None


class SelfEnrolmentIn(EnrolmentBase):
    """Self-enrolment from the QR code. No pass here: a static UID can be read by anyone's
    scanner, so binding one to a profile is a desk operation (else anyone could enrol a
    stranger's card and follow it)."""

    destination: DestinationSlug = Field(description="The destination's slug (from the QR code)")


class EnrolmentOut(BaseModel):
    """The new visitor and their roadbook token, shown this once (only its hash is kept)."""

    visitor_id: uuid.UUID
    roadbook_token: str
    roadbook_url: str
    notice_version: str


class ConsentChange(BaseModel):
    """Give or withdraw one scope."""

    model_config = ConfigDict(extra="forbid")

    scope: Scope
    granted: bool
    notice_version: NoticeVersion | None = None


class ConsentEntry(BaseModel):
    """One ledger entry."""

    scope: str
    granted: bool
    notice_version: str
    at: datetime
    by: str


class ConsentsOut(BaseModel):
    """Each scope's current state, and the whole ledger (oldest first)."""

    state: dict[str, bool]
    ledger: list[ConsentEntry]


class VisitorOut(BaseModel):
    """A visitor's profile as staff see it (every read is audited)."""

    id: uuid.UUID
    language: str
    wishes: list[str]
    stay_start: date | None
    stay_end: date | None
    adults: int
    children: int
    accessibility: list[str]
    created_at: datetime
    last_action_at: datetime
    consents: dict[str, bool]


class NoticeOut(BaseModel):
    """The enrolment notice in one language."""

    version: str
    language: str
    title: str
    summary: str
    scopes: dict[str, str]
    uid_warning: str
    retention: str
    rights: str
    text: str


class TokenOut(BaseModel):
    """A new roadbook token (shown once); every earlier one is revoked."""

    roadbook_token: str
    roadbook_url: str
