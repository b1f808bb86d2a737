"""Request and response bodies of the clients API (names follow CONTRACT.md)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from services.clients.domain.birthdays import BirthdayError, parse_birthday
from services.clients.domain.contacts import Channel, ContactRole
from services.clients.domain.tags import InvalidTag, normalize_tag, normalize_tags
from shared.calendar import CalendarError, alpha_2, parse_calendar
from shared.calendar import check_timezone as calendar_timezone
from shared.inputs import InputModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
StaffRoleIn = Literal["manager", "head", "admin", "service"]
Kind = Literal["b2b", "b2c"]
Tier = Literal["key", "standard", "small"]
Status = Literal["prospect", "active", "paused", "churned"]


def check_timezone(value: str) -> str:
    """An IANA timezone name (``shared.calendar.check_timezone``, as calendars check it)."""
    try:
        return calendar_timezone(value)
    except CalendarError as exc:
        raise ValueError(exc.msg) from exc


def check_country(value: str) -> str:
    """Two ASCII letters naming a country, upper-cased (not "ß", which upper-cases to "SS", nor a
    dotless i, U+0131, which upper-cases to "I")."""
    code = alpha_2(value.strip())
    if code is None or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"not an ISO 3166-1 alpha-2 country code: {value!r}")
    return code


# A BCP 47 language tag: a language, then subtags ("de", "de-DE", "zh-Hant-TW", "es-419"),
# extensions ("de-DE-u-co-phonebk") and private use ("de-x-orbit"). "" is stored as none.
_LOCALE = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*"
    r"(?:-[A-WYZa-wyz0-9](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?"
)


def check_locale(value: str) -> str:
    if value and not _LOCALE.fullmatch(value):
        raise ValueError('not a BCP 47 language tag (e.g. "de", "de-DE", "zh-Hant-TW")')
    return value


Timezone = Annotated[str, AfterValidator(check_timezone)]
Locale = Annotated[str, StringConstraints(max_length=35), AfterValidator(check_locale)]
Country = Annotated[str, AfterValidator(check_country)]


def check_tag(value: str) -> str:
    try:
        return normalize_tag(value)
    except InvalidTag as exc:
        raise ValueError(str(exc)) from exc


# Tags are compared case-insensitively: stored stripped, lower-case, once each, in order.
Tag = Annotated[str, AfterValidator(check_tag)]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(normalize_tags)]
Department = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
# Why something changed: optional (a status) or required and not blank (an assignment).
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
RequiredReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]


class _In(InputModel):
    """A request body of the clients API (unknown fields and control characters refused)."""


class _Patch(_In):
    """A partial update: an omitted field is kept; ``null`` clears a field that may be empty
    and is refused (422 naming the field) for one that may not."""

    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.NOT_NULL:
            raise ValueError("may not be null")
        return value


# ---------------------------------------------------------------- staff


class StaffIn(_In):
    name: Name
    email: EmailStr
    role: StaffRoleIn = "manager"
    department: Department | None = None
    head_id: uuid.UUID | None = None
    timezone: Timezone = "UTC"
    locale: Locale | None = None


class StaffPatch(_Patch):
    NOT_NULL = ("name", "email", "role", "timezone", "active")

    name: Name | None = None
    email: EmailStr | None = None
    role: StaffRoleIn | None = None
    department: Department | None = None
    head_id: uuid.UUID | None = None
    timezone: Timezone | None = None
    locale: Locale | None = None
    active: bool | None = None


class HandoverIn(_In):
    to_manager_id: uuid.UUID
    reason: RequiredReason


class HandoverOut(BaseModel):
    from_manager_id: uuid.UUID
    to_manager_id: uuid.UUID
    reason: str
    moved: int
    client_ids: list[uuid.UUID]


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
    # Strict: a JSON number only (``true`` is not 1, ``"30"`` is not 30).
    first_response_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 30, strict=True)
    contact_cadence_days: int | None = Field(default=None, ge=1, le=365, strict=True)
    meeting_report_hours: int | None = Field(default=None, ge=1, le=24 * 30, strict=True)
    calendar: CalendarIn | None = None


class ClientIn(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    kind: Kind = "b2b"
    tier: Tier = "standard"
    status: Literal["prospect", "active"] = "prospect"
    account_manager_id: uuid.UUID | None = None
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tags: Tags = Field(default_factory=list)
    country: Country | None = None
    timezone: Timezone = "UTC"
    sla: SlaIn | None = None




class ClientPatch(_Patch):
    """Partial update. ``sla`` merges field by field into the client's overrides (``null``
    resets a field to its default, ``"sla": null`` resets all). ``status`` follows the
    lifecycle (churning needs ``status_reason``); ``account_manager_id`` reassigns like
    ``POST /clients/{id}/assign``, ``assignment_reason`` saying why (history and event)."""

    NOT_NULL = ("name", "kind", "tier", "tags", "timezone", "status", "account_manager_id")

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ] | None = None
    kind: Kind | None = None
    tier: Tier | None = None
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tags: Tags | None = None
    country: Country | None = None
    timezone: Timezone | None = None
    sla: SlaIn | None = None
    status: Status | None = None
    status_reason: Reason | None = None
    account_manager_id: uuid.UUID | None = None
    assignment_reason: Reason | None = None


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
    # The client's own SLA settings (the rest of ``sla`` comes from the tier defaults).
    sla_overrides: dict[str, Any]
    status_reason: str | None
    created_at: datetime
    updated_at: datetime


class AssignIn(_In):
    account_manager_id: uuid.UUID
    reason: RequiredReason


class AssignmentOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    from_manager_id: uuid.UUID | None
    to_manager_id: uuid.UUID | None
    reason: str | None
    assigned_by: uuid.UUID | None
    assigned_at: datetime


# ---------------------------------------------------------------- contacts

ContactRoleIn = ContactRole
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]


def check_birthday(value: str) -> str:
    try:
        return str(parse_birthday(value))
    except BirthdayError as exc:
        raise ValueError(str(exc)) from exc


Birthday = Annotated[
    str,
    AfterValidator(check_birthday),
    Field(description='a full date "YYYY-MM-DD" or a month and day "--MM-DD"',
          examples=["1980-05-17", "--05-17"]),
]
Position = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ContactIn(_In):
    name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    position: Position | None = None
    roles: list[ContactRoleIn] = Field(default_factory=list, max_length=4)
    birthday: Birthday | None = None
    preferred_channel: Channel | None = None


class ContactPatch(_Patch):
    NOT_NULL = ("name", "roles")

    name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    position: Position | None = None
    roles: list[ContactRoleIn] | None = Field(default=None, max_length=4)
    birthday: Birthday | None = None
    preferred_channel: Channel | None = None


class ContactOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    position: str | None
    roles: list[str]
    birthday: str | None
    preferred_channel: str | None
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- reports


class ClientRef(BaseModel):
    id: uuid.UUID
    name: str
    tier: str
    status: str
    account_manager_id: uuid.UUID | None


class ManagerPortfolio(BaseModel):
    account_manager_id: uuid.UUID | None
    name: str | None
    total: int
    by_status: dict[str, int]
    by_tier: dict[str, int]
    key_clients: int


class UpcomingBirthday(BaseModel):
    contact_id: uuid.UUID
    contact_name: str
    client_id: uuid.UUID
    client_name: str
    account_manager_id: uuid.UUID | None
    email: str | None
    birthday: date
    days_ahead: int
    age: int | None


class PortfolioOut(BaseModel):
    as_of: datetime
    account_manager_id: uuid.UUID | None
    total: int
    by_status: dict[str, int]
    by_tier: dict[str, int]
    managers: list[ManagerPortfolio]
    key_clients: list[ClientRef]
    upcoming_birthdays: list[UpcomingBirthday]
    birthday_window_days: int
    without_decision_maker: list[ClientRef]
