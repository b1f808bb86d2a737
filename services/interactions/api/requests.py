"""/api/v1/requests: inbound requests and their first-response SLA."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from services.interactions.api.deps import DEPS, CallerDep, RuntimeDep
from services.interactions.api.params import OpenedFrom, OpenedTo, lower_bound, upper_bound
from services.interactions.api.presenters import request_out
from services.interactions.api.schemas import HoldIn, RequestCloseIn, RequestOut, ResumeIn
from services.interactions.domain.sla import RequestStatus
from services.interactions.handlers import requests as handlers
from services.interactions.store import requests as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.lists import ListDep, each, sorted_list
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])


@router.get(
    "",
    response_model=Page[RequestOut],
    responses=EXPORT_RESPONSES,
    operation_id="listRequests",
)
async def list_requests(
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    status: RequestStatus | None = None,
    client_id: uuid.UUID | None = None,
    account_manager_id: uuid.UUID | None = None,
    opened_from: OpenedFrom = None,
    opened_to: OpenedTo = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[RequestOut] | Response:
    """The requests of the caller's clients, newest first unless ``sort`` says otherwise
    (``status`` sorts by the stored status). ``status=breached`` includes open requests
    past their due date that the scan has not recorded yet; ``opened_from``/``opened_to``
    bound when they were opened."""
    now = runtime.clock.now()
    stmt = repo.filtered_requests(
        caller,
        now,
        status=status,
        client_id=client_id,
        account_manager_id=account_manager_id,
        opened_from=lower_bound(opened_from, "opened_from"),
        opened_until=upper_bound(opened_to, "opened_to"),
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(partial(request_out, now=now)),
        query,
        filename="requests",
        header=list(RequestOut.model_fields),
    )


@router.get("/{request_id}", response_model=RequestOut, operation_id="getRequest")
async def get_request(request_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> RequestOut:
    async with runtime.reads() as session:
        request = await repo.get_request(session, caller, request_id)
    return request_out(request, runtime.clock.now())


@router.post("/{request_id}/hold", response_model=RequestOut, operation_id="holdRequest")
async def hold_request(
    request_id: uuid.UUID, body: HoldIn, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Waiting on the client: the SLA clock stops (``on_hold``). Only an open request within
    its window can be held (409 otherwise)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.hold_request(uow, caller, request_id, body.reason),
        lambda request: request_out(request, runtime.clock.now()),
        caller_id=caller.id,
    )


@router.post("/{request_id}/resume", response_model=RequestOut, operation_id="resumeRequest")
async def resume_request(
    request_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    body: ResumeIn | None = Body(default=None),
) -> JSONResponse:
    """The SLA clock restarts; ``due_at`` moves by the business time spent on hold (409 when
    the request is not on hold)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.resume_request(uow, caller, request_id),
        lambda request: request_out(request, runtime.clock.now()),
        caller_id=caller.id,
    )


@router.post("/{request_id}/close", response_model=RequestOut, operation_id="closeRequest")
async def close_request(
    request_id: uuid.UUID,
    body: RequestCloseIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """Not a real request (``code``: spam, duplicate, misdirected, other), with a reason:
    ``closed``, it leaves the SLA figures and raises no more alerts (``request.closed``);
    409 when closed already."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.close_request(uow, caller, request_id, body),
        lambda request: request_out(request, runtime.clock.now()),
        caller_id=caller.id,
        idempotency=idem,
    )


add_trail_route(
    router,
    "request",
    repo.get_request,
    runtime=DEPS.runtime,
    caller=DEPS.caller,
    operation_id="listRequestAudit",
    doc="The corrections of a request (closed as not a real one)",
)
