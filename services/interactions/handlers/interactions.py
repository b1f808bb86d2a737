"""The interaction log and meeting reports."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from services.interactions.commands import (
    InteractionIn,
    InteractionRetractIn,
    MeetingReportAmendIn,
    MeetingReportIn,
    RequestCloseIn,
)
from services.interactions.domain import cadence, meetings
from services.interactions.domain import interactions as rules
from services.interactions.events import (
    InteractionLoggedV1,
    InteractionRetractedV1,
    MeetingReportAmendedV1,
    MeetingReportSubmittedV1,
)
from services.interactions.handlers import requests
from services.interactions.handlers.cadence import cadence_days, forget_contact, record_contact
from services.interactions.settings import InteractionsSettings
from services.interactions.snapshots import (
    contact_refs,
    interaction_fields,
    meeting_fields,
)
from services.interactions.store import interactions as repo
from services.interactions.store.models import Interaction, MeetingReport
from services.interactions.store.requests import request_of_interaction
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Conflict, Invalid, NotFound
from shared.replicas import ClientView, lock_client
from shared.uow import UnitOfWork

WRITERS = (Role.MANAGER, Role.HEAD, Role.ADMIN, Role.INTEGRATION)
# A meeting report's fields in the interaction's audit trail (``report.<field>``) when amended.
REPORT_FIELDS = ("summary", "decisions", "next_steps", "revision")
# An interaction's fields in its audit trail as logged (``GET /api/v1/interactions/{id}/audit``).
LOGGED_FIELDS = (
    "client_id",
    "type",
    "direction",
    "occurred_at",
    "subject",
    "contact_ids",
    "requires_response",
    "missed",
    "responds_to",
    "promise_by",
    "request_id",
)


def invalid(found: dict[str, str]) -> Invalid:
    """The 422 naming every field of ``found``."""
    detail = "; ".join(f"{name}: {msg}" for name, msg in found.items())
    return Invalid(
        detail, [{"loc": ["body", *name.split(".")], "msg": msg} for name, msg in found.items()]
    )


def contact_problems(client: ClientView, contact_ids: list[uuid.UUID]) -> dict[str, str]:
    """The ``contact_ids`` that are not the client's (field by field), or named twice."""
    known = client.contact_ids()
    found = {
        f"contact_ids.{index}": "not a contact of this client"
        for index, contact_id in enumerate(contact_ids)
        if str(contact_id) not in known
    }
    if len(set(contact_ids)) != len(contact_ids):
        found.setdefault("contact_ids", "a contact is named twice")
    return found


async def log_interaction(
    uow: UnitOfWork, caller: Caller, command: InteractionIn, settings: InteractionsSettings
) -> Interaction:
    """Log an interaction with a client the caller may see (404 otherwise). An inbound one
    requiring a response, or a missed inbound call, opens a request; an outbound reply with
    ``responds_to`` answers one; an outbound contact or a meeting resets the contact cadence;
    a meeting's report falls due ``meeting_report_hours`` after it."""
    client = await lock_client(uow.session, caller, command.client_id, command.contact_ids)
    caller.require(*WRITERS)
    now = uow.clock.now()
    found = rules.problems(
        kind=command.type,
        direction=command.direction,
        occurred_at=command.occurred_at,
        now=now,
        requires_response=command.requires_response,
        missed=command.missed,
        responds_to=command.responds_to,
        promise_by=command.promise_by,
        tolerance=timedelta(minutes=settings.interactions_occurred_at_tolerance_minutes),
    )
    found.update(contact_problems(client, command.contact_ids))
    if found:
        raise invalid(found)
    interaction = Interaction(
        id=uuid.uuid4(),
        client_id=client.id,
        account_manager_id=client.account_manager_id,
        type=command.type,
        direction=command.direction,
        occurred_at=command.occurred_at,
        subject=command.subject or None,
        summary=command.summary or None,
        contact_ids=[str(c) for c in command.contact_ids],
        requires_response=command.requires_response,
        missed=command.missed,
        responds_to=command.responds_to,
        promise_by=command.promise_by,
        author_id=caller.id,
        created_at=now,
        request_id=None,
        report_overdue_notified=False,
    )
    if command.type == "meeting":
        interaction.report_due_at = meetings.report_due_at(
            command.occurred_at, meetings.meeting_report_hours(client.sla)
        )
    is_contact = cadence.is_contact(command.type, command.direction, command.missed)
    opens = rules.opens_request(
        command.type, command.direction, command.requires_response, command.missed
    )
    # logged first, then what it caused (the request it opened or answered); the interaction
    # knows its request's id before either is written: two INSERTs in one flush, no UPDATE
    uow.session.add(interaction)
    request = None
    if opens:
        fraction = await requests.at_risk_fraction(uow, client, settings)
        request = requests.new_request(interaction, client, fraction, now)
        interaction.request_id = request.id
        uow.session.add(request)
    await uow.session.flush()
    await audit.created(uow, caller, "interaction", interaction, LOGGED_FIELDS)
    if request is not None:
        await audit.created(uow, caller, "request", request, requests.OPENED_FIELDS)
    await uow.emit(
        InteractionLoggedV1(**interaction_fields(interaction, client, is_contact=is_contact))
    )
    if request is not None:
        await requests.announce_opened(uow, request, client)
    elif command.responds_to is not None:
        await requests.answer_request(uow, caller, interaction, client)
    if is_contact:
        await record_contact(uow, client.id, cadence_days(client.sla), command.occurred_at)
    return interaction


async def _locked_interaction(
    uow: UnitOfWork, caller: Caller, interaction_id: uuid.UUID
) -> tuple[Interaction, ClientView]:
    """The interaction and its client for a change of its report: the client locked first
    (as by every use case emitting its events), the interaction read under that lock."""
    client_id = (await repo.get_interaction(uow.session, caller, interaction_id)).client_id
    client = await lock_client(uow.session, caller, client_id)
    caller.require(*WRITERS)
    interaction = await repo.get_interaction(uow.session, caller, interaction_id, for_update=True)
    return interaction, client


def _minutes(interaction: Interaction, client: ClientView, report: MeetingReport) -> dict[str, Any]:
    """What a report's events carry: the meeting, its client participants, the minutes."""
    return {
        **meeting_fields(interaction, client),
        "contacts": contact_refs(interaction.contact_ids, client),
        "summary": report.summary,
        "decisions": report.decisions,
        "next_steps": report.next_steps,
    }


async def submit_report(
    uow: UnitOfWork, caller: Caller, interaction_id: uuid.UUID, command: MeetingReportIn
) -> MeetingReport:
    """The report of a meeting (409 for another type of interaction, or when it exists: a
    report is submitted once)."""
    interaction, client = await _locked_interaction(uow, caller, interaction_id)
    if interaction.type != "meeting" or interaction.report_due_at is None:
        raise Conflict(
            f"interaction {interaction_id} is a {interaction.type}: only meetings have reports"
        )
    if interaction.report_submitted_at is not None:
        raise Conflict(f"the report of meeting {interaction_id} was submitted already")
    now = uow.clock.now()
    report = MeetingReport(
        interaction_id=interaction.id,
        client_id=interaction.client_id,
        summary=command.summary,
        decisions=list(command.decisions),
        next_steps=list(command.next_steps),
        author_id=caller.id,
        submitted_at=now,
        due_at=interaction.report_due_at,
        on_time=meetings.on_time(now, interaction.report_due_at),
        meeting_id=interaction.meeting_id,
        revision=0,
    )
    uow.session.add(report)
    interaction.report_submitted_at = now
    await uow.session.flush()
    await uow.emit(
        MeetingReportSubmittedV1(
            **_minutes(interaction, client, report),
            submitted_by=caller.id,
            submitted_at=now,
            on_time=report.on_time,
        )
    )
    return report


async def amend_report(
    uow: UnitOfWork, caller: Caller, interaction_id: uuid.UUID, command: MeetingReportAmendIn
) -> MeetingReport:
    """Correct a submitted report (404 when the meeting has none yet): it reads as given,
    ``revision`` counts the amendments; whether it came in on time stays as it was. Its
    event carries the participants, so the corrected minutes reach them again."""
    interaction, client = await _locked_interaction(uow, caller, interaction_id)
    report = await repo.get_report(uow.session, interaction.id, for_update=True)
    if report is None:
        raise NotFound(f"interaction {interaction_id} has no report")
    now = uow.clock.now()
    before = {name: getattr(report, name) for name in (*REPORT_FIELDS, "amendment_reason")}
    report.summary = command.summary
    report.decisions = list(command.decisions)
    report.next_steps = list(command.next_steps)
    report.revision += 1
    report.amended_at = now
    report.amended_by = caller.id
    report.amendment_reason = command.reason
    await uow.session.flush()
    after = {name: getattr(report, name) for name in REPORT_FIELDS}
    changes = audit.diff(before, after, REPORT_FIELDS)
    # The reason always: a second amendment may give the same one.
    changes["amendment_reason"] = (before["amendment_reason"], command.reason)
    await audit.record(
        uow,
        caller.id,
        "interaction",
        interaction.id,
        {f"report.{name}": change for name, change in changes.items()},
    )
    await uow.emit(
        MeetingReportAmendedV1(
            **_minutes(interaction, client, report),
            amended_by=caller.id,
            amended_at=now,
            reason=command.reason,
            revision=report.revision,
        )
    )
    return report


async def retract_interaction(
    uow: UnitOfWork, caller: Caller, interaction_id: uuid.UUID, command: InteractionRetractIn
) -> Interaction:
    """Retract an interaction logged by mistake (409 when ``rules.check_retract`` refuses):
    kept and shown as retracted, it counts no more — as a contact (the cadence counts from
    the last contact that still does), its request (closed, code ``retracted``: out of the
    SLA figures), a meeting's report (due no more), the activity report."""
    interaction, client = await _locked_interaction(uow, caller, interaction_id)
    try:
        rules.check_retract(
            retracted=interaction.retracted_at is not None,
            responds_to=interaction.responds_to,
            meeting_id=interaction.meeting_id,
        )
    except rules.RetractError as exc:
        raise Conflict(str(exc)) from exc
    now = uow.clock.now()
    interaction.retracted_at = now
    interaction.retracted_by = caller.id
    interaction.retract_reason = command.reason
    await uow.session.flush()
    await audit.record(
        uow,
        caller.id,
        "interaction",
        interaction.id,
        {"retracted_at": (None, now), "retract_reason": (None, command.reason)},
    )
    was_contact = cadence.is_contact(interaction.type, interaction.direction, interaction.missed)
    await uow.emit(
        InteractionRetractedV1(
            **client.team(),
            interaction_id=interaction.id,
            type=interaction.type,
            direction=interaction.direction,
            occurred_at=interaction.occurred_at,
            author_id=interaction.author_id,
            request_id=interaction.request_id,
            was_contact=was_contact,
            retracted_at=now,
            retracted_by=caller.id,
            reason=command.reason,
        )
    )
    request = await request_of_interaction(uow.session, interaction.id, for_update=True)
    if request is not None and request.status != "closed":
        closing = RequestCloseIn(
            reason=f"interaction retracted: {command.reason}", code="retracted"
        )
        await requests.close(uow, caller, request, client, closing)
    if was_contact:
        await forget_contact(uow, client.id, cadence_days(client.sla))
    return interaction
