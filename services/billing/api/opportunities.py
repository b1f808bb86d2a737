"""/api/v1/opportunities: upsell and sales projects."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.billing.api.deps import DEPS, STAFF, CallerDep, RuntimeDep, StaffDep
from services.billing.api.lists import ListDep, each, sorted_list
from services.billing.api.presenters import opportunity_out
from services.billing.api.schemas import OpportunityOut
from services.billing.commands import OpportunityIn, OpportunityPatch
from services.billing.domain.opportunities import Stage
from services.billing.handlers import opportunities as handlers
from services.billing.store import opportunities as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunities"])


@router.post("", status_code=201, response_model=OpportunityOut, operation_id="createOpportunity")
async def create_opportunity(
    body: OpportunityIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.create_opportunity(uow, caller, body),
        opportunity_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


OPPORTUNITY_COLUMNS = ["id", *handlers.OPPORTUNITY_FIELDS, "created_at"]


@router.get(
    "",
    response_model=Page[OpportunityOut],
    responses=EXPORT_RESPONSES,
    operation_id="listOpportunities",
)
async def list_opportunities(
    caller: StaffDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    stage: Stage | None = None,
    owner_id: uuid.UUID | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[OpportunityOut] | Response:
    """The opportunities of the clients the caller may see, oldest first unless ``sort``
    says otherwise (without a value or an expected close: last by them);
    ``close_from``/``close_to``: the expected close (both included)."""
    stmt = repo.opportunities(
        caller,
        client_id=client_id,
        stage=stage,
        owner_id=owner_id,
        close_from=close_from,
        close_to=close_to,
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(opportunity_out),
        query,
        filename="opportunities",
        header=OPPORTUNITY_COLUMNS,
    )


@router.get("/{opportunity_id}", response_model=OpportunityOut, operation_id="getOpportunity")
async def get_opportunity(
    opportunity_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep
) -> OpportunityOut:
    async with runtime.reads() as session:
        return opportunity_out(await repo.get_opportunity(session, caller, opportunity_id))


@router.patch("/{opportunity_id}", response_model=OpportunityOut, operation_id="updateOpportunity")
async def update_opportunity(
    opportunity_id: uuid.UUID, body: OpportunityPatch, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Stage changes emit ``opportunity.stage_changed``; ``lost`` needs ``lost_reason``."""
    return await run_command(
        runtime.uow,
        lambda uow: handlers.update_opportunity(uow, caller, opportunity_id, body),
        opportunity_out,
        caller_id=caller.id,
    )


add_trail_route(
    router,
    "opportunity",
    repo.get_opportunity,
    runtime=DEPS.runtime,
    caller=STAFF,
    operation_id="listOpportunityAudit",
    doc="An opportunity's changes (created, edited, moved between stages)",
)
