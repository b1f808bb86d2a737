"""/api/v1/staff: the staff directory (readable by every member of staff), changed by admins."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.clients.api.deps import CallerDep, PoliciesDep, RuntimeDep
from services.clients.api.presenters import handover_out, staff_out
from services.clients.api.schemas import HandoverIn, HandoverOut, StaffIn, StaffOut, StaffPatch
from services.clients.handlers import staff as use_cases
from services.clients.store import repository as repo
from shared.commands import run_command
from shared.errors import NotFound
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.inputs import Text
from shared.lists import ListDep, each, sorted_list
from shared.pagination import Page
from shared.values import StaffRole

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


@router.post("", status_code=201, response_model=StaffOut, operation_id="createStaff")
async def create_staff(
    body: StaffIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.create_staff(uow, caller, body),
        staff_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


STAFF_COLUMNS = list(StaffOut.model_fields)  # the columns of the list as a file


@router.get("", response_model=Page[StaffOut], responses=EXPORT_RESPONSES, operation_id="listStaff")
async def list_staff(
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    role: StaffRole | None = None,
    department: Text | None = None,
    active: bool | None = None,
    q: Text | None = None,
    sort: Annotated[str | None, repo.STAFF_SORTS.param()] = None,
) -> Page[StaffOut] | Response:
    """The staff directory, oldest first unless ``sort`` says otherwise (``name``
    case-insensitively)."""
    stmt = repo.filtered_staff(role=role, department=department, active=active, q=q)
    return await sorted_list(
        runtime,
        stmt,
        repo.STAFF_SORTS,
        sort,
        each(staff_out),
        query,
        filename="staff",
        header=STAFF_COLUMNS,
    )


@router.get("/{staff_id}", response_model=StaffOut, operation_id="getStaff")
async def get_staff(staff_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> StaffOut:
    async with runtime.reads() as session:
        staff = await repo.get_staff(session, staff_id)
    if staff is None:
        raise NotFound(f"staff member {staff_id} not found")
    return staff_out(staff)


@router.patch("/{staff_id}", response_model=StaffOut, operation_id="updateStaff")
async def update_staff(
    staff_id: uuid.UUID,
    body: StaffPatch,
    caller: CallerDep,
    runtime: RuntimeDep,
    policies: PoliciesDep,
) -> JSONResponse:
    """Update a member of staff (admins). ``"active": false`` deactivates: their tokens stop
    working in every service; someone who still manages clients must hand them over first
    (409)."""
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.update_staff(uow, caller, staff_id, body, policies),
        staff_out,
        caller_id=caller.id,
    )


@router.post("/{staff_id}/handover", response_model=HandoverOut, operation_id="handoverStaff")
async def handover(
    staff_id: uuid.UUID,
    body: HandoverIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    policies: PoliciesDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """Move every client of this manager to ``to_manager_id`` at once (admins; heads within
    their team), with a history row and a ``client.assigned`` event for each client."""
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.handover(uow, caller, staff_id, body, policies),
        handover_out,
        caller_id=caller.id,
        idempotency=idem,
    )
