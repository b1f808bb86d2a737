"""Request and response bodies of the clients API (names follow CONTRACT.md)."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from shared.calendar import CalendarError, parse_calendar

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
StaffRoleIn = Literal["manager", "head", "admin", "service"]
Kind = Literal["b2b", "b2c"]
Tier = Literal["key", "standard", "small"]
Status = Literal["prospect", "active", "paused", "churned"]


def check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {value!r}") from exc
    return value


def check_country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {value!r}")
    return code


Timezone = Annotated[str, AfterValidator(check_timezone)]
Country = Annotated[str, AfterValidator(check_country)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Department = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- staff


class StaffIn(_In):
    name: Name
    email: EmailStr
    role: StaffRoleIn = "manager"
    department: Department | None = None
    head_id: uuid.UUID | None = None
    timezone: Timezone = "UTC"
    locale: Annotated[str, StringConstraints(max_length=35)] | None = None


class StaffPatch(_In):
    name: Name | None = None
    email: EmailStr | None = None
    role: StaffRoleIn | None = None
    department: Department | None = None
    head_id: uuid.UUID | None = None
    timezone: Timezone | None = None
    locale: Annotated[str, StringConstraints(max_length=35)] | None = None
    active: bool | None = None


class StaffOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    role: str
    department: str | None
    head_id: uuid.UUID | None
    timezone: str
    locale: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- clients


class CalendarIn(_In):
    timezone: Timezone | None = None
    working_hours: Literal["24x7"] | dict[str, list[str]] | None = None
    holidays_country: str | None = None

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if isinstance(value, dict):
            try:
                parse_calendar({"working_hours": value})
            except CalendarError as exc:
                raise ValueError(exc.msg) from exc
        return value

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return parse_calendar({"holidays_country": value}).holidays_country
        except CalendarError as exc:
            raise ValueError(exc.msg) from exc


class SlaIn(_In):
    first_response_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 30)
    contact_cadence_days: int | None = Field(default=None, ge=1, le=365)
    meeting_report_hours: int | None = Field(default=None, ge=1, le=24 * 30)
    calendar: CalendarIn | None = None


class ClientIn(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    kind: Kind = "b2b"
    tier: Tier = "standard"
    status: Literal["prospect", "active"] = "prospect"
    account_manager_id: uuid.UUID | None = None
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    country: Country | None = None
    timezone: Timezone = "UTC"
    sla: SlaIn | None = None


class ClientPatch(_In):
    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ] | None = None
    kind: Kind | None = None
    tier: Tier | None = None
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    country: Country | None = None
    timezone: Timezone | None = None
    sla: SlaIn | None = None


class CalendarOut(BaseModel):
    timezone: str
    working_hours: Literal["24x7"] | dict[str, list[str]]
    holidays_country: str | None


class SlaOut(BaseModel):
    first_response_minutes: int
    contact_cadence_days: int
    meeting_report_hours: int
    calendar: CalendarOut


class ClientOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    tier: str
    status: str
    account_manager_id: uuid.UUID | None
    segment: str | None
    tags: list[str]
    country: str | None
    timezone: str
    sla: SlaOut
    created_at: datetime
    updated_at: datetime
