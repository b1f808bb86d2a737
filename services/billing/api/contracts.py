"""/api/v1/contracts: contracts with renewal control."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.billing.api.deps import DEPS, STAFF, CallerDep, RuntimeDep, StaffDep
from services.billing.api.lists import ListDep, each, sorted_list
from services.billing.api.presenters import contract_out
from services.billing.api.schemas import ContractOut
from services.billing.commands import ContractIn, ContractPatch, RenewIn
from services.billing.domain.contracts import ContractStatus
from services.billing.handlers import contracts as handlers
from services.billing.store import contracts as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])


@router.post("", status_code=201, response_model=ContractOut, operation_id="createContract")
async def create_contract(
    body: ContractIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.create_contract(uow, caller, body),
        contract_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


CONTRACT_COLUMNS = [
    "id",
    "client_id",
    "number",
    "title",
    "starts_on",
    "ends_on",
    "auto_renew",
    "payment_terms_days",
    "value_amount",
    "value_currency",
    "budget_amount",
    "budget_currency",
    "status",
    "created_at",
]


@router.get(
    "",
    response_model=Page[ContractOut],
    responses=EXPORT_RESPONSES,
    operation_id="listContracts",
)
async def list_contracts(
    caller: StaffDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    status: ContractStatus | None = None,
    ends_before: date | None = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[ContractOut] | Response:
    """The contracts of the clients the caller may see, oldest first unless ``sort`` says
    otherwise; ``ends_before``: ending on or before that day."""
    stmt = repo.contracts(caller, client_id=client_id, status=status, ends_before=ends_before)
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(contract_out),
        query,
        filename="contracts",
        header=CONTRACT_COLUMNS,
    )


@router.get("/{contract_id}", response_model=ContractOut, operation_id="getContract")
async def get_contract(
    contract_id: uuid.UUID, caller: StaffDep, runtime: RuntimeDep
) -> ContractOut:
    async with runtime.reads() as session:
        return contract_out(await repo.get_contract(session, caller, contract_id))


@router.patch("/{contract_id}", response_model=ContractOut, operation_id="updateContract")
async def update_contract(
    contract_id: uuid.UUID, body: ContractPatch, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.update_contract(uow, caller, contract_id, body),
        contract_out,
        caller_id=caller.id,
    )


@router.post("/{contract_id}/renew", response_model=ContractOut, operation_id="renewContract")
async def renew_contract(
    contract_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
    body: RenewIn | None = None,
) -> JSONResponse:
    """Renew for the same term from the day after ``ends_on`` (or until the given
    ``ends_on``); ``contract.renewed``."""
    command = body or RenewIn()
    return await run_command(
        runtime.uow,
        lambda uow: handlers.renew_contract(uow, caller, contract_id, command),
        contract_out,
        caller_id=caller.id,
        idempotency=idem,
    )


add_trail_route(
    router,
    "contract",
    repo.get_contract,
    runtime=DEPS.runtime,
    caller=STAFF,
    operation_id="listContractAudit",
    doc="A contract's changes (created, edited, status changed, renewed by hand)",
)
