"""/api/v1/requests: inbound requests and their first-response SLA."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from services.interactions.api.deps import DEPS, CallerDep, RuntimeDep
from services.interactions.api.presenters import request_out
from services.interactions.api.schemas import HoldIn, RequestCloseIn, RequestOut, ResumeIn
from services.interactions.domain.sla import RequestStatus
from services.interactions.handlers import requests as handlers
from services.interactions.store import requests as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.idempotency import IdempotencyKey
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])


@router.get("", response_model=Page[RequestOut], operation_id="listRequests")
async def list_requests(
    caller: CallerDep,
    runtime: RuntimeDep,
    status: RequestStatus | None = None,
    client_id: uuid.UUID | None = None,
    account_manager_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[RequestOut]:
    """The requests of the caller's clients, newest first. ``status=breached`` includes open
    requests past their due date that the scan has not recorded yet."""
    now = runtime.clock.now()
    stmt = repo.filtered_requests(
        caller, now, status=status, client_id=client_id, account_manager_id=account_manager_id
    )
    async with runtime.reads() as session:
        items, next_cursor = await repo.requests_page(session, stmt, limit=limit, cursor=cursor)
    return page_of(items, next_cursor, lambda r: request_out(r, now))


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
