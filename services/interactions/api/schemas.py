"""Response bodies of the interactions API (names follow CONTRACT.md); the request bodies are
the command models of ``services/interactions/commands.py``, re-exported here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.interactions.commands import (
    CallAssignIn,
    CallIn,
    EmailAssignIn,
    FeedbackIn,
    FeedbackWithdrawIn,
    HoldIn,
    InteractionIn,
    InteractionRetractIn,
    MeetingCancelIn,
    MeetingHeldIn,
    MeetingIn,
    MeetingReportAmendIn,
    MeetingReportIn,
    MeetingRescheduleIn,
    PostmarkAttachment,
    PostmarkInboundIn,
    RequestCloseIn,
    ResumeIn,
    TaskIn,
    TaskPatch,
)
from services.interactions.domain.calls import CallDirection, CallOutcome
from services.interactions.domain.feedback import FeedbackKind
from services.interactions.domain.interactions import Direction, InteractionType
from services.interactions.domain.mail import AttachmentStatus, MailOutcome
from services.interactions.domain.planned import MeetingKind, MeetingStatus
from services.interactions.domain.sla import CloseCode, RequestStatus
from services.interactions.domain.tasks import TaskStatus
from shared.values import ClientStatus

__all__ = [
    "CallAssignIn",
    "CallIn",
    "CallOut",
    "EmailAssignIn",
    "FeedbackIn",
    "FeedbackOut",
    "FeedbackWithdrawIn",
    "HoldIn",
    "InboundEmailOut",
    "InteractionIn",
    "InteractionOut",
    "InteractionRetractIn",
    "MeetingCancelIn",
    "MeetingHeldIn",
    "MeetingIn",
    "MeetingOut",
    "MeetingReportAmendIn",
    "MeetingReportIn",
    "MeetingRescheduleIn",
    "PostmarkAttachment",
    "PostmarkInboundIn",
    "ReportOut",
    "RequestCloseIn",
    "RequestOut",
    "ResumeIn",
    "TaskIn",
    "TaskMoveOut",
    "TaskOut",
    "TaskPatch",
]


class InteractionOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    type: InteractionType
    direction: Direction
    occurred_at: datetime
    subject: str | None
    summary: str | None
    contact_ids: list[uuid.UUID]
    requires_response: bool
    missed: bool
    responds_to: uuid.UUID | None
    promise_by: datetime | None
    author_id: uuid.UUID
    created_at: datetime
    # the request this interaction opened, if any
    request_id: uuid.UUID | None
    # meetings: when the report is due and when it came in
    report_due_at: datetime | None
    report_submitted_at: datetime | None
    # logged by marking this planned meeting held
    meeting_id: uuid.UUID | None
    # retracted (logged by mistake): counts for nothing
    retracted_at: datetime | None
    retracted_by: uuid.UUID | None
    retract_reason: str | None


class CallOut(BaseModel):
    """A call record of a telephony integration and what it became."""

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    id: uuid.UUID
    integration: str
    direction: CallDirection
    from_: str = Field(alias="from")
    to: str
    # the client's side (the caller of an inbound call, the callee of an outbound one) in
    # E.164; null when it is no phone number
    number: str | None
    started_at: datetime
    duration_seconds: int
    answered: bool
    recording_url: str | None
    # missed (its callback request opened), logged, attempt (an outbound call not picked
    # up), unmatched (no contact has the number: assign it)
    outcome: CallOutcome
    matched: bool
    client_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    interaction_id: uuid.UUID | None
    # the request the call opened (missed) or answered (a callback)
    request_id: uuid.UUID | None
    received_at: datetime
    assigned_at: datetime | None
    assigned_by: uuid.UUID | None


class RequestOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    interaction_id: uuid.UUID
    status: RequestStatus
    opened_at: datetime
    due_at: datetime
    at_risk_at: datetime
    first_response_minutes: int
    breached: bool
    answered_at: datetime | None
    response_interaction_id: uuid.UUID | None
    # business minutes from opening to the first response, time on hold excluded
    response_minutes: int | None
    acknowledged_at: datetime | None
    promised_by: datetime | None
    promise_broken: bool
    resolved_at: datetime | None
    on_hold_since: datetime | None
    hold_reason: str | None
    # business minutes on hold so far (a hold still running included)
    on_hold_minutes: int
    updated_at: datetime
    # closed as not a real request: when, by whom, what it was and why
    closed_at: datetime | None
    closed_by: uuid.UUID | None
    close_code: CloseCode | None
    close_reason: str | None


class ReportOut(BaseModel):
    interaction_id: uuid.UUID
    client_id: uuid.UUID
    summary: str
    decisions: list[str]
    next_steps: list[str]
    author_id: uuid.UUID
    submitted_at: datetime
    due_at: datetime
    on_time: bool
    # the planned meeting the reported meeting was, if it was planned
    meeting_id: uuid.UUID | None
    # amendments: how many (0: as submitted), the last one's time, author and reason
    revision: int
    amended_at: datetime | None
    amended_by: uuid.UUID | None
    amendment_reason: str | None


class TaskOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    title: str
    due_at: datetime
    assignee_id: uuid.UUID
    status: TaskStatus
    interaction_id: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None
    overdue: bool


class TaskMoveOut(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    old_due_at: datetime
    new_due_at: datetime
    reason: str | None
    moved_by: uuid.UUID
    moved_at: datetime


class MeetingOut(BaseModel):
    """A planned meeting or call. ``sequence``: its iCalendar SEQUENCE (0 when scheduled, +1
    on each reschedule and on the cancellation); ``reason``: of the last reschedule or of
    the cancellation; ``interaction_id``: the interaction logged when it was marked held."""

    id: uuid.UUID
    client_id: uuid.UUID
    kind: MeetingKind
    status: MeetingStatus
    subject: str
    agenda: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime
    contact_ids: list[uuid.UUID]
    staff_ids: list[uuid.UUID]
    organizer_id: uuid.UUID
    sequence: int
    reason: str | None
    interaction_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class FeedbackOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    kind: FeedbackKind
    score: int
    comment: str | None
    contact_id: uuid.UUID | None
    low: bool
    received_at: datetime
    recorded_by: uuid.UUID
    # withdrawn (entered by mistake): shown, counted in no report
    withdrawn_at: datetime | None
    withdrawn_by: uuid.UUID | None
    withdrawn_reason: str | None


class MailAttachmentOut(BaseModel):
    """An attachment of a message and what became of it: ``kept`` as the document
    ``file_id`` of the interaction, ``pending`` (waiting for the files), ``held`` (its message
    unmatched: kept once it is assigned), refused by the files' limits (``too_large``,
    ``type``, ``empty``: ``detail`` says which), ``expired`` (the files did not take it within
    the attempts or the time allowed: ``detail``) or ``not_kept``."""

    filename: str
    content_type: str
    size: int
    status: AttachmentStatus
    file_id: uuid.UUID | None
    detail: str | None

    @model_validator(mode="before")
    @classmethod
    def _taken_in_before(cls, value: Any) -> Any:
        """A message taken in before attachments were kept lists them without a status."""
        if isinstance(value, dict):
            return {"status": "not_kept", "file_id": None, "detail": None, **value}
        return value


class InboundEmailOut(BaseModel):
    """A message read from the mailbox (email in) and what became of it."""

    id: uuid.UUID
    message_id: str
    received_at: datetime
    sender: str
    subject: str | None
    in_reply_to: str | None
    references: list[str] = Field(validation_alias="reference_ids")
    outcome: MailOutcome
    client_id: uuid.UUID | None
    interaction_id: uuid.UUID | None
    attachments: list[MailAttachmentOut]
    # an unmatched message assigned to a client by hand: when and by whom
    assigned_at: datetime | None
    assigned_by: uuid.UUID | None


# ---------------------------------------------------------------- reports


class ResponseTimes(BaseModel):
    """Minutes, median and p90: first responses in business minutes (time on hold excluded),
    callbacks in minutes of the clock."""

    median: float | None
    p90: float | None


class SlaFigures(BaseModel):
    requests: int
    answered: int
    answered_on_time: int
    breached: int
    open: int
    # answered on time, in percent of the requests decided (answered, or breached unanswered)
    compliance_pct: float | None
    first_response_minutes: ResponseTimes
    # missed inbound calls (the requests they opened) and how long their callers waited for
    # the call back, in minutes of the clock (of those called back)
    missed_calls: int
    callback_minutes: ResponseTimes


class ManagerSla(SlaFigures):
    account_manager_id: uuid.UUID | None
    name: str | None


class SlaReportOut(SlaFigures):
    from_: datetime | None = Field(alias="from")
    to: datetime | None
    account_manager_id: uuid.UUID | None
    closed: dict[str, int] = Field(
        description="the requests of the period closed as not real ones (left out of the "
        "figures), per close code: spam, duplicate, misdirected, retracted, other"
    )
    managers: list[ManagerSla]

    model_config = ConfigDict(populate_by_name=True)


class CadenceRow(BaseModel):
    client_id: uuid.UUID
    client_name: str
    status: ClientStatus
    account_manager_id: uuid.UUID | None
    account_manager_name: str | None
    last_contact_at: datetime | None
    contact_cadence_days: int
    next_contact_due_at: datetime
    overdue: bool
    days_overdue: int


class CadenceReportOut(BaseModel):
    as_of: datetime
    items: list[CadenceRow]


class FeedbackFigures(BaseModel):
    responses: int
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    csat_responses: int
    csat_avg: float | None
    low: int


class ManagerFeedback(FeedbackFigures):
    account_manager_id: uuid.UUID | None
    name: str | None


class FeedbackReportOut(FeedbackFigures):
    from_: datetime | None = Field(alias="from")
    to: datetime | None
    account_manager_id: uuid.UUID | None
    managers: list[ManagerFeedback]

    model_config = ConfigDict(populate_by_name=True)


class ActivityRow(BaseModel):
    staff_id: uuid.UUID
    name: str | None
    interactions: int
    by_type: dict[InteractionType, int]
    meetings: int
    reports_on_time: int
    reports_late: int
    # meetings past their report deadline without a report, and those still within it
    reports_missing: int
    reports_pending: int
    reports_on_time_pct: float | None


class ActivityReportOut(BaseModel):
    from_: datetime | None = Field(alias="from")
    to: datetime | None
    items: list[ActivityRow]

    model_config = ConfigDict(populate_by_name=True)
