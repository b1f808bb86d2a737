"""Response bodies of the interactions API (names follow CONTRACT.md); the request bodies are
the command models of ``services/interactions/commands.py``, re-exported here."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from services.interactions.commands import (
    CreateTask,
    HoldRequest,
    LogInteraction,
    RecordFeedback,
    ResumeRequest,
    SubmitReport,
    UpdateTask,
)

__all__ = [
    "CreateTask", "FeedbackOut", "HoldRequest", "InteractionOut", "LogInteraction",
    "RecordFeedback", "ReportOut", "RequestOut", "ResumeRequest", "SubmitReport",
    "TaskMoveOut", "TaskOut", "UpdateTask",
]


class InteractionOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    type: str
    direction: str
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


class RequestOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    interaction_id: uuid.UUID
    status: str
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


class TaskOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    title: str
    due_at: datetime
    assignee_id: uuid.UUID
    status: str
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


class FeedbackOut(BaseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    kind: str
    score: int
    comment: str | None
    contact_id: uuid.UUID | None
    low: bool
    received_at: datetime
    recorded_by: uuid.UUID
