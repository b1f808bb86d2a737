"""Request and response bodies of the clients API (names follow CONTRACT.md).

The request bodies are the service's commands (``services.clients.commands``), re-exported
here; the responses (``...Out``) are built from the entities by ``api/presenters.py``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from services.clients.commands import (
    AssignIn,
    CalendarIn,
    ClientIn,
    ClientPatch,
    ContactIn,
    ContactPatch,
    HandoverIn,
    ReportPeriod,
    SettingsIn,
    SlaIn,
    StaffIn,
    StaffPatch,
)
from services.clients.domain.contacts import Channel, ContactRole
from services.clients.domain.imports import ImportKind, ImportStatus
from services.clients.domain.kind import ClientKind
from services.clients.domain.sla import Tier
from services.clients.domain.status import ClientStatus
from shared.audit import AuditOut
from shared.owners import OwnerType
from shared.values import StaffRole

__all__ = [
    "AssignIn",
    "AssignmentOut",
    "AuditOut",
    "CalendarIn",
    "CalendarOut",
    "ClientIn",
    "ClientOut",
    "ClientPatch",
    "ClientRef",
    "ContactIn",
    "ContactOut",
    "ContactPatch",
    "HandoverIn",
    "HandoverOut",
    "ManagerPortfolio",
    "PortfolioOut",
    "SettingsIn",
    "SettingsOut",
    "SettingsVersionOut",
    "SlaIn",
    "SlaOut",
    "StaffIn",
    "StaffOut",
    "StaffPatch",
    "UpcomingBirthday",
]

# ---------------------------------------------------------------- staff


class HandoverOut(BaseModel):
    from_manager_id: uuid.UUID
    to_manager_id: uuid.UUID
    reason: str
    moved: int
    client_ids: list[uuid.UUID]


class StaffOut(BaseModel):
    id: uuid.UUID
    external_id: str | None
    name: str
    email: str
    role: StaffRole
    department: str | None
    head_id: uuid.UUID | None
    timezone: str
    locale: str | None
    title: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- clients


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
    external_id: str | None
    name: str
    kind: ClientKind
    tier: Tier
    status: ClientStatus
    account_manager_id: uuid.UUID | None
    segment: str | None
    tags: list[str]
    country: str | None
    timezone: str
    locale: str | None
    greetings: bool
    sla: SlaOut
    # The client's own SLA settings (the rest of ``sla`` comes from the tier defaults).
    sla_overrides: dict[str, Any]
    status_reason: str | None
    created_at: datetime
    updated_at: datetime


class AssignmentOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    from_manager_id: uuid.UUID | None
    to_manager_id: uuid.UUID | None
    reason: str | None
    assigned_by: uuid.UUID | None
    assigned_at: datetime


# ---------------------------------------------------------------- contacts


class ContactOut(BaseModel):
    id: uuid.UUID
    external_id: str | None
    client_id: uuid.UUID
    name: str
    email: str | None
    phone: str | None
    position: str | None
    roles: list[ContactRole]
    birthday: str | None
    preferred_channel: Channel | None
    locale: str | None
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- reports


class ClientRef(BaseModel):
    id: uuid.UUID
    name: str
    tier: Tier
    status: ClientStatus
    account_manager_id: uuid.UUID | None


class ManagerPortfolio(BaseModel):
    account_manager_id: uuid.UUID | None
    name: str | None
    total: int
    by_status: dict[ClientStatus, int]
    by_tier: dict[Tier, int]
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
    by_status: dict[ClientStatus, int]
    by_tier: dict[Tier, int]
    managers: list[ManagerPortfolio]
    key_clients: list[ClientRef]
    upcoming_birthdays: list[UpcomingBirthday]
    birthday_window_days: int
    without_decision_maker: list[ClientRef]


# ---------------------------------------------------------------- settings and audit


class Filled(BaseModel):
    """A response whose every field is present: null when the document does not set it."""

    @model_validator(mode="before")
    @classmethod
    def _absent_is_null(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {**dict.fromkeys(cls.model_fields), **data}
        return data


class SlaTargetsOut(Filled):
    first_response_minutes: int | None
    contact_cadence_days: int | None
    meeting_report_hours: int | None


class LowScoreOut(Filled):
    nps_max: int | None
    csat_max: int | None


class ReportSchedulesOut(Filled):
    local_time: str | None
    periods: list[ReportPeriod] | None


class BoundOut(Filled):
    min: float | None
    max: float | None


class SettingsValuesOut(Filled):
    """A settings document's fields (``PUT /api/v1/settings`` takes them); null: not set
    here (in the values in force: each owning service's own default)."""

    sla_defaults: dict[Tier, SlaTargetsOut] | None
    working_hours: dict[str, list[str]] | None
    holidays_country: str | None
    at_risk_fraction: float | None
    birthday_notice_days: int | None
    dunning_schedule: list[int] | None
    dunning_escalate_from_days: int | None
    budget_thresholds: list[int] | None
    low_score: LowScoreOut | None
    scorecard_deviation_points: float | None
    report_schedules: ReportSchedulesOut | None
    bounds: dict[str, BoundOut] | None


class SettingsOut(BaseModel):
    """A scope's settings: the values in force (its document over the global one over the
    environment's defaults; null: each owning service's own default), the fields its own
    document sets, its version (0: nothing stored, the environment's values) and who wrote it
    when."""

    department: str | None
    version: int
    values: SettingsValuesOut
    overridden: list[str]
    updated_by: uuid.UUID | None
    updated_at: datetime | None


class SettingsVersionOut(BaseModel):
    """One stored version of a scope's document, with the fields whose value in force it
    changed."""

    department: str | None
    version: int
    document: SettingsValuesOut
    changed_fields: list[str]
    author_id: uuid.UUID | None
    created_at: datetime


# ---------------------------------------------------------------- files


class FileOut(BaseModel):
    """A document's metadata (its bytes: ``download_url`` of ``GET /api/v1/files/{id}``)."""

    id: uuid.UUID
    owner_type: OwnerType
    owner_id: uuid.UUID
    # The client the owner belongs to (the document's scope).
    client_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID | None
    created_at: datetime


class FileLinkOut(FileOut):
    """A document's metadata and a short-lived link to its bytes (no credentials needed):
    a presigned URL of the object store, or this service's signed ``/content`` link (a path
    on the API's origin)."""

    download_url: str
    download_expires_at: datetime


# ---------------------------------------------------------------- imports


class ImportQueuedOut(BaseModel):
    id: uuid.UUID


class ImportErrorOut(BaseModel):
    row: int = Field(
        description="the data row, counted from 1 (the header is row 0; 0: the whole import)"
    )
    column: str | None
    reason: str


class ImportOutcomeOut(BaseModel):
    """What the run did (a dry run: would do) to the records of its kind."""

    created: int
    updated: int
    unchanged: int


class ImportOut(BaseModel):
    id: uuid.UUID
    kind: ImportKind
    dry_run: bool
    status: ImportStatus
    progress: float = Field(description="the share of the rows done, 0 to 1")
    total_rows: int
    processed_rows: int
    errors: list[ImportErrorOut]
    outcome: ImportOutcomeOut
    file_name: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
