"""/api/v1/estimates: approved, an estimate becomes a draft invoice."""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.billing.api.deps import DEPS, STAFF, CallerDep, RuntimeDep, StaffDep
from services.billing.api.lists import ListDep, each, sorted_list
from services.billing.api.presenters import estimate_out, invoice_out
from services.billing.api.schemas import EstimateOut, InvoiceOut
from services.billing.commands import EstimateIn, EstimatePatch, ReasonIn
from services.billing.domain.estimates import EstimateStatus
from services.billing.handlers import estimates as handlers
from services.billing.store import estimates as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/estimates", tags=["estimates"])


@router.post("", status_code=201, response_model=EstimateOut, operation_id="createEstimate")
async def create_estimate(
    body: EstimateIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.create_estimate(uow, caller, body),
        lambda e: estimate_out(e, now),
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


ESTIMATE_COLUMNS = [
    "id",
    "client_id",
    "contract_id",
    "title",
    "currency",
    "subtotal",
    "tax",
    "total",
    "status",
    "valid_until",
    "invoice_id",
    "rejected_reason",
    "created_at",
]


@router.get(
    "",
    response_model=Page[EstimateOut],
    responses=EXPORT_RESPONSES,
    operation_id="listEstimates",
)
async def list_estimates(
    caller: StaffDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    status: EstimateStatus | None = None,
    valid_until_before: date | None = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[EstimateOut] | Response:
    """The estimates, oldest first unless ``sort`` says otherwise; ``status`` as shown
    (``expired``: a draft past its ``valid_until`` in the client's today)."""
    now = runtime.clock.now()
    stmt = repo.estimates(
        caller,
        client_id=client_id,
        status=status,
        now=now,
        valid_until_before=valid_until_before,
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(partial(estimate_out, now=now)),
        query,
        filename="estimates",
        header=ESTIMATE_COLUMNS,
        money=("subtotal", "tax", "total"),
    )


@router.get("/{estimate_id}", response_model=EstimateOut, operation_id="getEstimate")
async def get_estimate(
    estimate_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep
) -> EstimateOut:
    async with runtime.reads() as session:
        estimate = await repo.get_estimate(session, caller, estimate_id)
    return estimate_out(estimate, runtime.clock.now())


@router.patch("/{estimate_id}", response_model=EstimateOut, operation_id="updateEstimate")
async def update_estimate(
    estimate_id: uuid.UUID, body: EstimatePatch, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Change a draft (an expired one too: a later ``valid_until`` revives it); an approved,
    invoiced or rejected estimate is a 409."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.update_estimate(uow, caller, estimate_id, body),
        lambda e: estimate_out(e, now),
        caller_id=caller.id,
    )


@router.post("/{estimate_id}/approve", response_model=EstimateOut, operation_id="approveEstimate")
async def approve_estimate(
    estimate_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """The client accepted the draft: before its ``valid_until``, else 409 (expired)."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.approve_estimate(uow, caller, estimate_id),
        lambda e: estimate_out(e, now),
        caller_id=caller.id,
    )


@router.post("/{estimate_id}/reject", response_model=EstimateOut, operation_id="rejectEstimate")
async def reject_estimate(
    estimate_id: uuid.UUID, body: ReasonIn, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """The client declined the draft, for ``reason`` (in ``estimate.rejected``)."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.reject_estimate(uow, caller, estimate_id, body),
        lambda e: estimate_out(e, now),
        caller_id=caller.id,
    )


@router.post(
    "/{estimate_id}/invoice",
    status_code=201,
    response_model=InvoiceOut,
    operation_id="invoiceEstimate",
)
async def invoice_estimate(
    estimate_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """A draft invoice with the approved estimate's lines (once: then 409)."""
    now = runtime.clock.now()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.invoice_estimate(uow, caller, estimate_id),
        lambda i: invoice_out(i, now),
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


add_trail_route(
    router,
    "estimate",
    repo.get_estimate,
    runtime=DEPS.runtime,
    caller=STAFF,
    operation_id="listEstimateAudit",
    doc="The changes of an estimate (its draft patched, rejected with its reason)",
)
