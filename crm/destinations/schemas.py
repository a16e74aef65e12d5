"""Request and response models of the office API for partners and sites."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from crm.core.vocabulary import DAYS, WISHES, Wish

Slug = Annotated[str, Field(pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$", max_length=64)]
SLUG_RULE = "1 to 64 of a-z, 0-9 and '-', starting and ending with a letter or digit"
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
SiteKind = Literal["venue", "office", "accommodation", "restaurant", "outdoor", "other"]

_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")

OPENING_HOURS_DOC = (
    'Per weekday (mon..sun), a list of ["HH:MM", "HH:MM"] opening intervals in the destination\'s '
    'time zone, e.g. {"mon": [["09:00", "12:00"], ["14:00", "18:00"]]}. A closing time earlier '
    'than the opening time runs past midnight (["20:00", "03:00"]); "24:00" closes at midnight. '
    "Intervals of a day are in order and do not overlap; a day left out is closed."
)

OpeningHours = dict[str, list[tuple[str, str]]]


def _minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def check_opening_hours(value: OpeningHours) -> OpeningHours:
    """Validate opening hours; raise ``ValueError`` naming the faulty day."""
    if len(value) > len(DAYS):
        raise ValueError("at most one entry per weekday")
    for day, intervals in value.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        if len(intervals) > 6:
            raise ValueError(f"{day}: at most 6 intervals")
        previous_end = -1
        for i, (start, end) in enumerate(intervals):
            for t in (start, end):
                if not _TIME.match(t):
                    raise ValueError(f"{day}: {t!r} is not a time HH:MM (00:00 to 24:00)")
            if start == "24:00":
                raise ValueError(f"{day}: an interval cannot open at 24:00")
            begin, finish = _minutes(start), _minutes(end)
            if begin == finish:
                raise ValueError(f"{day}: {start}-{end} is empty")
            if begin <= previous_end:
                raise ValueError(f"{day}: intervals must be in order and not overlap")
            overnight = finish < begin
            if overnight and i != len(intervals) - 1:
                raise ValueError(f"{day}: only the last interval may run past midnight")
            previous_end = finish
    return {day: [(s, e) for s, e in value[day]] for day in DAYS if day in value}


def check_timezone(value: str) -> str:
    """An IANA time zone name this system knows (zoneinfo); ``ValueError`` otherwise."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError: not a normalised relative key ("../x", "") or not a TZif file ("zone.tab").
        raise ValueError(
            f"unknown time zone {value!r}: give an IANA name such as Europe/Paris"
        ) from None
    return value


# A web origin allowed to embed the roadbook widget: scheme://host[:port], the port a number or
# "*" (any port); roadbook/widget/cors.py matches requests against it.
_EMBED_ORIGIN = re.compile(
    r"https?://(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)(?::(?:\*|[0-9]{1,5}))?"
)


def check_embed_origin(value: str) -> str:
    if not _EMBED_ORIGIN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a web origin: scheme://host[:port] in lower case, no path, "
            "the port a number or * (e.g. https://www.example.org, http://localhost:*)"
        )
    return value


class DestinationCreate(BaseModel):
    """A new destination (a tourist office's territory; the tenant of every other row)."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name
    timezone: Annotated[str, Field(max_length=64), AfterValidator(check_timezone)] = "Europe/Paris"
    embed_origins: list[Annotated[str, AfterValidator(check_embed_origin)]] = []


class EmbedOriginsChange(BaseModel):
    """Origins to allow to embed the destination's widget, and origins to allow no more."""

    model_config = ConfigDict(extra="forbid")

    add: list[Annotated[str, AfterValidator(check_embed_origin)]] = []
    remove: list[str] = []


class _SiteFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("opening_hours", check_fields=False)
    @classmethod
    def _hours(cls, value: OpeningHours | None) -> OpeningHours | None:
        return None if value is None else check_opening_hours(value)

    @field_validator("wishes", check_fields=False)
    @classmethod
    def _wishes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))


class SiteCreate(_SiteFields):
    """A new site of the destination."""

    slug: Slug
    name: Name
    kind: SiteKind = "venue"
    partner_id: uuid.UUID | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    opening_hours: OpeningHours = Field(default_factory=dict, description=OPENING_HOURS_DOC)
    wishes: list[Wish] = Field(default_factory=list, max_length=len(WISHES))

    @model_validator(mode="after")
    def _position(self) -> SiteCreate:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class SiteUpdate(_SiteFields):
    """Changes to a site; absent fields are left alone, ``null`` clears partner or position."""

    slug: Slug | None = None
    name: Name | None = None
    kind: SiteKind | None = None
    partner_id: uuid.UUID | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    opening_hours: OpeningHours | None = Field(default=None, description=OPENING_HOURS_DOC)
    wishes: list[Wish] | None = Field(default=None, max_length=len(WISHES))

    @model_validator(mode="after")
    def _position(self) -> SiteUpdate:
        given = self.model_fields_set & {"latitude", "longitude"}
        if len(given) == 1 or (given and (self.latitude is None) != (self.longitude is None)):
            raise ValueError("change latitude and longitude together")
        for required in ("slug", "name", "kind", "opening_hours", "wishes"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client sent."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class SiteOut(BaseModel):
    """A site as the office sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    kind: str
    partner_id: uuid.UUID | None
    latitude: float | None
    longitude: float | None
    opening_hours: dict[str, Any]
    wishes: list[str]
    created_at: datetime


class PartnerCreate(BaseModel):
    """A new partner business."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name


class PartnerUpdate(BaseModel):
    """Changes to a partner."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = None
    name: Name | None = None


class PartnerOut(BaseModel):
    """A partner as the office sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slug: str
    name: str
    created_at: datetime
