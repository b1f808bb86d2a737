"""/api/v1/interactions: the interaction log and meeting reports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.interactions.api.deps import DEPS, CallerDep, RuntimeDep, SettingsDep
from services.interactions.api.params import FromParam, ToParam, lower_bound, upper_bound
from services.interactions.api.presenters import interaction_out, report_out
from services.interactions.api.schemas import (
    InteractionIn,
    InteractionOut,
    InteractionRetractIn,
    MeetingReportAmendIn,
    MeetingReportIn,
    ReportOut,
)
from services.interactions.domain.interactions import Direction, InteractionType
from services.interactions.handlers import interactions as handlers
from services.interactions.store import interactions as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.errors import NotFound
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.lists import ListDep, each, sorted_list
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/interactions", tags=["interactions"])


@router.post("", status_code=201, response_model=InteractionOut, operation_id="logInteraction")
async def log_interaction(
    body: InteractionIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """Log a call, email, meeting, message or note. An inbound one with
    ``requires_response`` (or a missed inbound call) opens a request; an outbound one with
    ``responds_to`` answers the request that interaction opened (``promise_by``: the first
    response promises the full answer by then)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.log_interaction(uow, caller, body, settings),
        interaction_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get(
    "",
    response_model=Page[InteractionOut],
    responses=EXPORT_RESPONSES,
    operation_id="listInteractions",
)
async def list_interactions(
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    type: InteractionType | None = None,
    direction: Direction | None = None,
    author_id: uuid.UUID | None = None,
    since: FromParam = None,
    until: ToParam = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[InteractionOut] | Response:
    """The interactions with the caller's clients, newest first unless ``sort`` says
    otherwise; ``from``/``to`` bound when they occurred."""
    stmt = repo.filtered_interactions(
        caller,
        client_id=client_id,
        type=type,
        direction=direction,
        author_id=author_id,
        since=lower_bound(since),
        until=upper_bound(until),
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(interaction_out),
        query,
        filename="interactions",
        header=list(InteractionOut.model_fields),
    )


@router.get("/{interaction_id}", response_model=InteractionOut, operation_id="getInteraction")
async def get_interaction(
    interaction_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> InteractionOut:
    async with runtime.reads() as session:
        return interaction_out(await repo.get_interaction(session, caller, interaction_id))


@router.post(
    "/{interaction_id}/report",
    status_code=201,
    response_model=ReportOut,
    operation_id="submitMeetingReport",
    tags=["meeting reports"],
)
async def submit_report(
    interaction_id: uuid.UUID,
    body: MeetingReportIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """The report of a meeting, submitted once (409 for an interaction that is no meeting,
    or a second report). Its event carries the meeting's client participants, subject,
    summary, decisions and next steps, so the minutes can be sent to them."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.submit_report(uow, caller, interaction_id, body),
        report_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get(
    "/{interaction_id}/report",
    response_model=ReportOut,
    operation_id="getMeetingReport",
    tags=["meeting reports"],
)
async def get_report(
    interaction_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> ReportOut:
    """404 when the meeting has no report (yet)."""
    async with runtime.reads() as session:
        interaction = await repo.get_interaction(session, caller, interaction_id)
        report = await repo.get_report(session, interaction.id)
    if report is None:
        raise NotFound(f"interaction {interaction_id} has no report")
    return report_out(report)


@router.put(
    "/{interaction_id}/report",
    response_model=ReportOut,
    operation_id="amendMeetingReport",
    tags=["meeting reports"],
)
async def amend_report(
    interaction_id: uuid.UUID,
    body: MeetingReportAmendIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """Correct the submitted report of a meeting, saying why (404 when it has none yet):
    ``revision`` +1; ``meeting.report_amended`` carries the participants, so the corrected
    minutes are sent to them again. Whether it came in on time does not change."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.amend_report(uow, caller, interaction_id, body),
        report_out,
        caller_id=caller.id,
        idempotency=idem,
    )


@router.post(
    "/{interaction_id}/retract", response_model=InteractionOut, operation_id="retractInteraction"
)
async def retract_interaction(
    interaction_id: uuid.UUID,
    body: InteractionRetractIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """An interaction logged by mistake, with a reason: shown as retracted, it counts no more
    — not as a contact, not its request (closed, code ``retracted``), not a meeting's report,
    not in the reports (``interaction.retracted``). 409 when retracted already, for a reply
    to a request, and for a meeting logged by marking a planned meeting held."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.retract_interaction(uow, caller, interaction_id, body),
        interaction_out,
        caller_id=caller.id,
        idempotency=idem,
    )


add_trail_route(
    router,
    "interaction",
    repo.get_interaction,
    runtime=DEPS.runtime,
    caller=DEPS.caller,
    operation_id="listInteractionAudit",
    doc="The corrections of an interaction (retracted, its meeting report amended)",
)
