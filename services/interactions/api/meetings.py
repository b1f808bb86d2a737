"""/api/v1/meetings: meetings and calls planned with clients."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from services.interactions.api.deps import DEPS, CallerDep, RuntimeDep, SettingsDep
from services.interactions.api.params import FromParam, ToParam, lower_bound, upper_bound
from services.interactions.api.presenters import meeting_out
from services.interactions.api.schemas import (
    MeetingCancelIn,
    MeetingHeldIn,
    MeetingIn,
    MeetingOut,
    MeetingRescheduleIn,
)
from services.interactions.domain.planned import MeetingStatus
from services.interactions.handlers import meetings as handlers
from services.interactions.store import meetings as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.lists import ListDep, each, sorted_list
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/meetings", tags=["meetings"])


@router.post("", status_code=201, response_model=MeetingOut, operation_id="scheduleMeeting")
async def schedule_meeting(
    body: MeetingIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """Plan a meeting or call with one of the caller's clients: in the future, with the
    client's contacts and active staff; the caller organises it (``meeting.scheduled``)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.schedule_meeting(uow, caller, body),
        meeting_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get(
    "",
    response_model=Page[MeetingOut],
    responses=EXPORT_RESPONSES,
    operation_id="listMeetings",
)
async def list_meetings(
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    since: FromParam = None,
    until: ToParam = None,
    status: MeetingStatus | None = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[MeetingOut] | Response:
    """Meetings of the caller's clients and those the caller is invited to, in calendar
    order (by start) unless ``sort`` says otherwise; ``from``/``to`` bound the start."""
    stmt = repo.filtered_meetings(
        caller,
        client_id=client_id,
        since=lower_bound(since),
        until=upper_bound(until),
        status=status,
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(meeting_out),
        query,
        filename="meetings",
        header=list(MeetingOut.model_fields),
    )


@router.get("/{meeting_id}", response_model=MeetingOut, operation_id="getMeeting")
async def get_meeting(meeting_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> MeetingOut:
    async with runtime.reads() as session:
        return meeting_out(await repo.get_meeting(session, caller, meeting_id))


@router.post(
    "/{meeting_id}/reschedule", response_model=MeetingOut, operation_id="rescheduleMeeting"
)
async def reschedule_meeting(
    meeting_id: uuid.UUID,
    body: MeetingRescheduleIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """A new time, in the future, and why (``meeting.rescheduled``; ``sequence`` +1). Only
    a planned meeting (409 otherwise)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.reschedule_meeting(uow, caller, meeting_id, body),
        meeting_out,
        caller_id=caller.id,
        idempotency=idem,
    )


@router.post("/{meeting_id}/cancel", response_model=MeetingOut, operation_id="cancelMeeting")
async def cancel_meeting(
    meeting_id: uuid.UUID,
    body: MeetingCancelIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """Call it off, saying why (``meeting.cancelled``; ``sequence`` +1). Only a planned
    meeting (409 otherwise)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.cancel_meeting(uow, caller, meeting_id, body),
        meeting_out,
        caller_id=caller.id,
        idempotency=idem,
    )


@router.post("/{meeting_id}/held", response_model=MeetingOut, operation_id="markMeetingHeld")
async def mark_held(
    meeting_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    idem: IdempotencyKey,
    body: MeetingHeldIn | None = Body(default=None),
) -> JSONResponse:
    """It took place: logs its interaction (a ``meeting`` at the planned start, a ``call``
    for a planned call; ``interaction_id``), whose report falls due as for any meeting. Only
    a planned meeting that has begun (409 otherwise)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.mark_held(uow, caller, meeting_id, body or MeetingHeldIn(), settings),
        meeting_out,
        caller_id=caller.id,
        idempotency=idem,
    )


add_trail_route(
    router,
    "meeting",
    repo.get_meeting,
    runtime=DEPS.runtime,
    caller=DEPS.caller,
    operation_id="listMeetingAudit",
    doc="A planned meeting's changes (scheduled, rescheduled, cancelled, held)",
)
