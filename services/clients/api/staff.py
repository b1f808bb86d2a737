"""/api/v1/staff: the staff directory (readable by every member of staff), changed by admins."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.clients import handlers
from services.clients.api.deps import CallerDep, RuntimeDep, SettingsDep
from services.clients.api.schemas import (
    HandoverIn,
    HandoverOut,
    StaffIn,
    StaffOut,
    StaffPatch,
    StaffRoleIn,
)
from services.clients.store import repository as repo
from services.clients.store.models import Staff
from shared.errors import NotFound
from shared.idempotency import IdempotencyKey, run_command
from shared.inputs import Text
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, paginate

router = APIRouter(prefix="/api/v1/staff", tags=["staff"])


@router.post("", status_code=201, response_model=StaffOut, operation_id="createStaff")
async def create_staff(
    body: StaffIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    return await run_command(
        runtime.uow, lambda uow: handlers.create_staff(uow, caller, body),
        caller_id=caller.id, idempotency=idem, status_code=201,
    )


@router.get("", response_model=Page[StaffOut], operation_id="listStaff")
async def list_staff(
    caller: CallerDep,
    runtime: RuntimeDep,
    role: StaffRoleIn | None = None,
    department: Text | None = None,
    active: bool | None = None,
    q: Text | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[StaffOut]:
    stmt = repo.filtered_staff(role=role, department=department, active=active, q=q)
    async with runtime.reads() as session:
        items, next_cursor = await paginate(
            session, stmt, [Staff.created_at, Staff.id], limit=limit, cursor=cursor
        )
    return Page(items=[handlers.staff_out(s) for s in items], next_cursor=next_cursor)


@router.get("/{staff_id}", response_model=StaffOut, operation_id="getStaff")
async def get_staff(staff_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> StaffOut:
    async with runtime.reads() as session:
        staff = await repo.get_staff(session, staff_id)
    if staff is None:
        raise NotFound(f"staff member {staff_id} not found")
    return handlers.staff_out(staff)


@router.patch("/{staff_id}", response_model=StaffOut, operation_id="updateStaff")
async def update_staff(
    staff_id: uuid.UUID, body: StaffPatch, caller: CallerDep, runtime: RuntimeDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Update a member of staff (admins). ``"active": false`` deactivates: their tokens stop
    working in every service; someone who still manages clients must hand them over first
    (409)."""
    return await run_command(
        runtime.uow, lambda uow: handlers.update_staff(uow, caller, staff_id, body, settings),
        caller_id=caller.id,
    )


@router.post("/{staff_id}/handover", response_model=HandoverOut, operation_id="handoverStaff")
async def handover(
    staff_id: uuid.UUID, body: HandoverIn, caller: CallerDep, runtime: RuntimeDep,
    settings: SettingsDep, idem: IdempotencyKey,
) -> JSONResponse:
    """Move every client of this manager to ``to_manager_id`` at once (admins; heads within
    their team), with a history row and a ``client.assigned`` event for each client."""
    return await run_command(
        runtime.uow, lambda uow: handlers.handover(uow, caller, staff_id, body, settings),
        caller_id=caller.id, idempotency=idem,
    )
