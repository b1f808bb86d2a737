"""What the events carry of each entity (event-carried state transfer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.interactions.domain.sla import view_status
from services.interactions.store.models import Feedback, Interaction, PlannedMeeting, Request, Task
from shared.replicas import ClientView


def request_status(request: Request, now: datetime) -> str:
    return view_status(request.status, request.due_at, now)


def request_fields(request: Request, client: ClientView, now: datetime) -> dict[str, Any]:
    """A request's snapshot; ``request`` is the entity or a row of the same names (the
    scans' ``UPDATE … RETURNING``)."""
    return {
        **client.team(),
        "request_id": request.id,
        "interaction_id": request.interaction_id,
        "interaction_type": request.interaction_type,
        "subject": request.subject,
        "contact_ids": list(request.contact_ids or []),
        "status": request_status(request, now),
        "opened_at": request.opened_at,
        "due_at": request.due_at,
        "first_response_minutes": request.first_response_minutes,
        "breached": request.breached,
        "answered_at": request.answered_at,
        "acknowledged_at": request.acknowledged_at,
        "promised_by": request.promised_by,
        "resolved_at": request.resolved_at,
        "on_hold_minutes": request.on_hold_minutes,
    }


def interaction_fields(
    interaction: Interaction, client: ClientView, *, is_contact: bool
) -> dict[str, Any]:
    return {
        **client.team(),
        "interaction_id": interaction.id,
        "type": interaction.type,
        "direction": interaction.direction,
        "occurred_at": interaction.occurred_at,
        "subject": interaction.subject,
        "summary": interaction.summary,
        "contact_ids": list(interaction.contact_ids or []),
        "requires_response": interaction.requires_response,
        "missed": interaction.missed,
        "responds_to": interaction.responds_to,
        "promise_by": interaction.promise_by,
        "author_id": interaction.author_id,
        "request_id": interaction.request_id,
        "is_contact": is_contact,
    }


def meeting_fields(interaction: Interaction, client: ClientView) -> dict[str, Any]:
    assert interaction.report_due_at is not None
    return {
        **client.team(),
        "interaction_id": interaction.id,
        "subject": interaction.subject,
        "occurred_at": interaction.occurred_at,
        "author_id": interaction.author_id,
        "contact_ids": list(interaction.contact_ids or []),
        "report_due_at": interaction.report_due_at,
    }


def contact_refs(contact_ids: list[Any] | None, client: ClientView) -> list[dict[str, Any]]:
    """A meeting's participants on the client's side, with what the replica knows of them
    (a contact deleted since keeps its id, without name or email)."""
    known = {str(c.get("id")): c for c in client.contacts}
    refs = []
    for contact_id in contact_ids or []:
        contact = known.get(str(contact_id), {})
        refs.append(
            {"contact_id": contact_id, "name": contact.get("name"), "email": contact.get("email")}
        )
    return refs


def task_fields(task: Task, client: ClientView) -> dict[str, Any]:
    return {
        **client.team(),
        "task_id": task.id,
        "title": task.title,
        "due_at": task.due_at,
        "assignee_id": task.assignee_id,
        "status": task.status,
        "interaction_id": task.interaction_id,
        "created_by": task.created_by,
    }


def planned_meeting_fields(meeting: PlannedMeeting, client: ClientView) -> dict[str, Any]:
    """A planned meeting's snapshot; ``meeting`` is the entity or a row of the same names
    (the scans' ``UPDATE … RETURNING``)."""
    return {
        **client.team(),
        "meeting_id": meeting.id,
        "kind": meeting.kind,
        "subject": meeting.subject,
        "agenda": meeting.agenda,
        "location": meeting.location,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "status": meeting.status,
        "contacts": contact_refs(meeting.contact_ids, client),
        "staff_ids": list(meeting.staff_ids or []),
        "organizer_id": meeting.organizer_id,
        "sequence": meeting.sequence,
        "interaction_id": meeting.interaction_id,
    }


def feedback_fields(item: Feedback, client: ClientView) -> dict[str, Any]:
    return {
        **client.team(),
        "feedback_id": item.id,
        "kind": item.kind,
        "score": item.score,
        "low": item.low,
        "received_at": item.received_at,
    }
