"""Commands of the clients service: the request bodies its use cases take (``handlers/``).

A body is the command (validated by pydantic as FastAPI reads it); the API's schemas
(``api/schemas.py``) re-export these and add the responses. Field types shared by every
service (name, timezone, country, locale) and the ``In``/``Patch`` bases come from
``shared.fields`` and ``shared.inputs``.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, EmailStr, Field, StringConstraints, field_validator

from services.clients.domain.birthdays import BirthdayError, parse_birthday
from services.clients.domain.contacts import Channel, ContactRole
from services.clients.domain.kind import ClientKind
from services.clients.domain.sla import Tier
from services.clients.domain.status import ClientStatus, InitialStatus
from services.clients.domain.tags import InvalidTag, normalize_tag, normalize_tags
from shared.calendar import CalendarError, parse_calendar
from shared.fields import Country, Locale, Name, Timezone
from shared.inputs import In, Patch
from shared.values import StaffRole


def check_tag(value: str) -> str:
    try:
        return normalize_tag(value)
    except InvalidTag as exc:
        raise ValueError(str(exc)) from exc


# Tags are compared case-insensitively: stored stripped, lower-case, once each, in order.
Tag = Annotated[str, AfterValidator(check_tag)]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(normalize_tags)]
Department = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
JobTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
# Why something changed: optional (a status) or required and not blank (an assignment).
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
RequiredReason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
]
# The key of a record in the system it came from (imports upsert by it); unique per entity.
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# ---------------------------------------------------------------- staff


class StaffIn(In):
    external_id: ExternalId | None = None
    name: Name
    email: EmailStr
    role: StaffRole = "manager"
    department: Department | None = None
    head_id: uuid.UUID | None = None
    timezone: Timezone = "UTC"
    locale: Locale | None = None
    title: JobTitle | None = None


class StaffPatch(Patch):
    NOT_NULL = ("name", "email", "role", "timezone", "active")

    external_id: ExternalId | None = None
    name: Name | None = None
    email: EmailStr | None = None
    role: StaffRole | None = None
    department: Department | None = None
    head_id: uuid.UUID | None = None
    timezone: Timezone | None = None
    locale: Locale | None = None
    title: JobTitle | None = None
    active: bool | None = None


class HandoverIn(In):
    to_manager_id: uuid.UUID
    reason: RequiredReason


# ---------------------------------------------------------------- clients


class CalendarIn(In):
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


class SlaIn(In):
    # Strict: a JSON number only (``true`` is not 1, ``"30"`` is not 30).
    first_response_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 30, strict=True)
    contact_cadence_days: int | None = Field(default=None, ge=1, le=365, strict=True)
    meeting_report_hours: int | None = Field(default=None, ge=1, le=24 * 30, strict=True)
    calendar: CalendarIn | None = None


class ClientIn(In):
    external_id: ExternalId | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    kind: ClientKind = "b2b"
    tier: Tier = "standard"
    status: InitialStatus = "prospect"
    account_manager_id: uuid.UUID | None = None
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tags: Tags = Field(default_factory=list)
    country: Country | None = None
    timezone: Timezone = "UTC"
    sla: SlaIn | None = None
    # The language of emails to the client's contacts (a contact's own locale wins).
    locale: Locale | None = None
    # The contacts get greetings (birthdays, the department's holidays) by email.
    greetings: bool = False


class ClientPatch(Patch):
    """Partial update. ``sla`` merges field by field into the client's overrides (``null``
    resets a field to its default, ``"sla": null`` resets all). ``status`` follows the
    lifecycle (churning needs ``status_reason``); ``account_manager_id`` reassigns like
    ``POST /clients/{id}/assign``, ``assignment_reason`` saying why (history and event)."""

    NOT_NULL = (
        "name",
        "kind",
        "tier",
        "tags",
        "timezone",
        "status",
        "account_manager_id",
        "greetings",
    )

    external_id: ExternalId | None = None
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
        | None
    ) = None
    kind: ClientKind | None = None
    tier: Tier | None = None
    segment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    tags: Tags | None = None
    country: Country | None = None
    timezone: Timezone | None = None
    sla: SlaIn | None = None
    locale: Locale | None = None
    greetings: bool | None = None
    status: ClientStatus | None = None
    status_reason: Reason | None = None
    account_manager_id: uuid.UUID | None = None
    assignment_reason: Reason | None = None


class AssignIn(In):
    account_manager_id: uuid.UUID
    reason: RequiredReason


# ---------------------------------------------------------------- contacts

Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)]


def check_birthday(value: str) -> str:
    try:
        return str(parse_birthday(value))
    except BirthdayError as exc:
        raise ValueError(str(exc)) from exc


# A birthday as the API takes it (the domain's ``Birthday`` is the parsed value).
BirthdayText = Annotated[
    str,
    AfterValidator(check_birthday),
    Field(
        description='a full date "YYYY-MM-DD" or a month and day "--MM-DD"',
        examples=["1980-05-17", "--05-17"],
    ),
]
Position = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class ContactIn(In):
    external_id: ExternalId | None = None
    name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    position: Position | None = None
    roles: list[ContactRole] = Field(default_factory=list, max_length=4)
    birthday: BirthdayText | None = None
    preferred_channel: Channel | None = None
    # The language of emails to the contact (else the client's).
    locale: Locale | None = None


class ContactPatch(Patch):
    NOT_NULL = ("name", "roles")

    external_id: ExternalId | None = None
    name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    position: Position | None = None
    roles: list[ContactRole] | None = Field(default=None, max_length=4)
    birthday: BirthdayText | None = None
    preferred_channel: Channel | None = None
    locale: Locale | None = None


# ---------------------------------------------------------------- settings (policies)


class SlaTargetsIn(In):
    """One tier's SLA targets; an omitted target is inherited."""

    first_response_minutes: int | None = Field(default=None, ge=1, le=60 * 24 * 30, strict=True)
    contact_cadence_days: int | None = Field(default=None, ge=1, le=365, strict=True)
    meeting_report_hours: int | None = Field(default=None, ge=1, le=24 * 30, strict=True)


class LowScoreIn(In):
    """A feedback score at or below these is low (flagged, alerted)."""

    nps_max: int | None = Field(default=None, ge=0, le=10, strict=True)
    csat_max: int | None = Field(default=None, ge=1, le=5, strict=True)


ReportPeriod = Literal["day", "week", "month"]


class ReportSchedulesIn(In):
    """The scorecard's scheduled reports: when (``HH:MM`` in each recipient's timezone) and
    which periods."""

    local_time: Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] | None = (
        None
    )
    periods: list[ReportPeriod] | None = Field(default=None, max_length=3)


class BoundIn(In):
    """What a head may set for their department: numbers at or below the named path within
    ``[min, max]``."""

    min: float | None = None
    max: float | None = None


def ascending(values: list[int] | None) -> list[int] | None:
    if values is not None and any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError("must be strictly ascending")
    return values


Ascending = AfterValidator(ascending)
DaysOffset = Annotated[int, Field(ge=-366, le=366, strict=True)]
Percent = Annotated[int, Field(ge=1, le=1000, strict=True)]


class SettingsIn(In):
    """A settings document: the global one (``PUT /api/v1/settings``) or a department's
    (``?department=``). A field left out (or null) is inherited: from the environment's
    defaults for the global document, from the global document for a department's."""

    sla_defaults: dict[Tier, SlaTargetsIn] | None = None
    working_hours: dict[str, list[str]] | None = None
    holidays_country: Country | None = None
    at_risk_fraction: float | None = Field(default=None, gt=0, lt=1)
    birthday_notice_days: int | None = Field(default=None, ge=0, le=60, strict=True)
    dunning_schedule: Annotated[list[DaysOffset], Ascending] | None = Field(
        default=None, min_length=1, max_length=20
    )
    dunning_escalate_from_days: DaysOffset | None = None
    budget_thresholds: Annotated[list[Percent], Ascending] | None = Field(
        default=None, min_length=1, max_length=10
    )
    low_score: LowScoreIn | None = None
    scorecard_deviation_points: float | None = Field(default=None, ge=0, le=100)
    report_schedules: ReportSchedulesIn | None = None
    bounds: dict[str, BoundIn] | None = Field(
        default=None,
        description="global only: per dotted path of numbers (``sla_defaults.key``, "
        "``budget_thresholds``), the min and max a head may set for their department",
    )

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if value is not None:
            try:
                parse_calendar({"working_hours": value})
            except CalendarError as exc:
                raise ValueError(exc.msg) from exc
        return value

    @field_validator("bounds")
    @classmethod
    def _bounds(cls, value: dict[str, BoundIn] | None) -> dict[str, BoundIn] | None:
        for name, bound in (value or {}).items():
            if name.split(".")[0] not in BOUNDABLE:
                raise ValueError(f"{name}: not a field of numbers ({', '.join(BOUNDABLE)})")
            if bound.min is not None and bound.max is not None and bound.min > bound.max:
                raise ValueError(f"{name}: min is above max")
        return value

    def document(self) -> dict[str, Any]:
        """The stored form: the fields set, nulls left out (inherited)."""
        return self.model_dump(mode="json", exclude_none=True)


BOUNDABLE = (
    "sla_defaults",
    "at_risk_fraction",
    "birthday_notice_days",
    "dunning_schedule",
    "dunning_escalate_from_days",
    "budget_thresholds",
    "low_score",
    "scorecard_deviation_points",
)
