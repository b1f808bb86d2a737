"""/api/v1/opportunities: upsell and sales projects."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.billing.api.deps import CallerDep, RuntimeDep, StaffDep
from services.billing.api.presenters import opportunity_out
from services.billing.api.schemas import OpportunityOut
from services.billing.commands import OpportunityIn, OpportunityPatch
from services.billing.domain.opportunities import Stage
from services.billing.handlers import opportunities as handlers
from services.billing.store import opportunities as repo
from shared.commands import run_command
from shared.idempotency import IdempotencyKey
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

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


@router.get("", response_model=Page[OpportunityOut], operation_id="listOpportunities")
async def list_opportunities(
    caller: StaffDep,
    runtime: RuntimeDep,
    client_id: uuid.UUID | None = None,
    stage: Stage | None = None,
    owner_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[OpportunityOut]:
    async with runtime.reads() as session:
        items, next_cursor = await repo.opportunities_page(
            session,
            caller,
            client_id=client_id,
            stage=stage,
            owner_id=owner_id,
            limit=limit,
            cursor=cursor,
        )
    return page_of(items, next_cursor, opportunity_out)


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
