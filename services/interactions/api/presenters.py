"""Entities as the API shows them (``*Out``)."""

from __future__ import annotations

from datetime import datetime

from services.interactions.api.schemas import (
    CallOut,
    FeedbackOut,
    InboundEmailOut,
    InteractionOut,
    MeetingOut,
    ReportOut,
    RequestOut,
    TaskMoveOut,
    TaskOut,
)
from services.interactions.domain import sla
from services.interactions.domain import tasks as task_rules
from services.interactions.handlers.requests import current_hold_minutes
from services.interactions.store.models import (
    Call,
    Feedback,
    InboundEmail,
    Interaction,
    MeetingReport,
    PlannedMeeting,
    Request,
    Task,
    TaskDeadlineMove,
)


def call_out(call: Call) -> CallOut:
    return CallOut(
        id=call.id,
        integration=call.integration,
        direction=call.direction,
        from_=call.from_number,
        to=call.to_number,
        number=call.number,
        started_at=call.started_at,
        duration_seconds=call.duration_seconds,
        answered=call.answered,
        recording_url=call.recording_url,
        outcome=call.outcome,
        matched=call.client_id is not None,
        client_id=call.client_id,
        contact_id=call.contact_id,
        interaction_id=call.interaction_id,
        request_id=call.request_id,
        received_at=call.received_at,
        assigned_at=call.assigned_at,
        assigned_by=call.assigned_by,
    )


def interaction_out(interaction: Interaction) -> InteractionOut:
    return InteractionOut.model_validate(interaction, from_attributes=True)


def request_out(request: Request, now: datetime) -> RequestOut:
    return RequestOut(
        id=request.id,
        client_id=request.client_id,
        interaction_id=request.interaction_id,
        status=sla.view_status(request.status, request.due_at, now),
        opened_at=request.opened_at,
        due_at=request.due_at,
        at_risk_at=request.at_risk_at,
        first_response_minutes=request.first_response_minutes,
        breached=sla.is_breached(
            request.breached, request.status, request.due_at, request.answered_at, now
        ),
        answered_at=request.answered_at,
        response_interaction_id=request.response_interaction_id,
        response_minutes=request.response_minutes,
        acknowledged_at=request.acknowledged_at,
        promised_by=request.promised_by,
        promise_broken=request.promise_broken,
        resolved_at=request.resolved_at,
        on_hold_since=request.on_hold_since,
        hold_reason=request.hold_reason,
        on_hold_minutes=current_hold_minutes(request, now),
        updated_at=request.updated_at,
        closed_at=request.closed_at,
        closed_by=request.closed_by,
        close_code=request.close_code,
        close_reason=request.close_reason,
    )


def report_out(report: MeetingReport) -> ReportOut:
    return ReportOut.model_validate(report, from_attributes=True)


def task_out(task: Task, now: datetime) -> TaskOut:
    return TaskOut(
        id=task.id,
        client_id=task.client_id,
        title=task.title,
        due_at=task.due_at,
        assignee_id=task.assignee_id,
        status=task.status,
        interaction_id=task.interaction_id,
        created_by=task.created_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        done_at=task.done_at,
        overdue=task_rules.is_overdue(task.status, task.due_at, now),
    )


def task_move_out(move: TaskDeadlineMove) -> TaskMoveOut:
    return TaskMoveOut.model_validate(move, from_attributes=True)


def feedback_out(item: Feedback) -> FeedbackOut:
    return FeedbackOut.model_validate(item, from_attributes=True)


def inbound_email_out(item: InboundEmail) -> InboundEmailOut:
    return InboundEmailOut.model_validate(item, from_attributes=True)


def meeting_out(meeting: PlannedMeeting) -> MeetingOut:
    return MeetingOut.model_validate(meeting, from_attributes=True)
