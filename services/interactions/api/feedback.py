"""/api/v1/feedback: NPS and CSAT scores of the caller's clients."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.interactions.api.deps import DEPS, CallerDep, RuntimeDep
from services.interactions.api.params import FromParam, ToParam, lower_bound, upper_bound
from services.interactions.api.presenters import feedback_out
from services.interactions.api.schemas import FeedbackIn, FeedbackOut, FeedbackWithdrawIn
from services.interactions.domain.feedback import FeedbackKind
from services.interactions.handlers import feedback as handlers
from services.interactions.store import feedback as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.lists import ListDep, each, sorted_list
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])


@router.post("", status_code=201, response_model=FeedbackOut, operation_id="recordFeedback")
async def record_feedback(
    body: FeedbackIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """NPS 0-10 or CSAT 1-5; ``feedback.received`` carries ``low: true`` for NPS <= 6 or
    CSAT <= 2."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.record_feedback(uow, caller, body),
        feedback_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get(
    "",
    response_model=Page[FeedbackOut],
    responses=EXPORT_RESPONSES,
    operation_id="listFeedback",
)
async def list_feedback(
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    kind: FeedbackKind | None = None,
    low: bool | None = None,
    since: FromParam = None,
    until: ToParam = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[FeedbackOut] | Response:
    """Feedback of the caller's clients, newest first unless ``sort`` says otherwise;
    ``from``/``to`` bound when it was received."""
    stmt = repo.filtered_feedback(
        caller,
        client_id=client_id,
        kind=kind,
        low=low,
        since=lower_bound(since),
        until=upper_bound(until),
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(feedback_out),
        query,
        filename="feedback",
        header=list(FeedbackOut.model_fields),
    )


@router.get("/{feedback_id}", response_model=FeedbackOut, operation_id="getFeedback")
async def get_feedback(
    feedback_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> FeedbackOut:
    async with runtime.reads() as session:
        return feedback_out(await repo.get_feedback(session, caller, feedback_id))


@router.post("/{feedback_id}/withdraw", response_model=FeedbackOut, operation_id="withdrawFeedback")
async def withdraw_feedback(
    feedback_id: uuid.UUID,
    body: FeedbackWithdrawIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """Feedback entered by mistake (the wrong client): withdrawn with a reason, it stays
    listed with ``withdrawn_at`` and counts in no report (``feedback.withdrawn``); 409 when
    withdrawn already."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.withdraw_feedback(uow, caller, feedback_id, body),
        feedback_out,
        caller_id=caller.id,
        idempotency=idem,
    )


add_trail_route(
    router,
    "feedback",
    repo.get_feedback,
    runtime=DEPS.runtime,
    caller=DEPS.caller,
    operation_id="listFeedbackAudit",
    doc="The corrections of feedback (withdrawn)",
)
