"""/api/v1/staff"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select

from services.clients import handlers
from services.clients.api.deps import CallerDep, RuntimeDep
from services.clients.api.schemas import StaffIn, StaffOut
from services.clients.store import repository as repo
from services.clients.store.models import Staff
from shared.errors import NotFound
from shared.idempotency import IdempotencyKey, run_command
from shared.pagination import Cursor, Limit, Page, paginate

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
    role: str | None = None,
    department: str | None = None,
    active: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[StaffOut]:
    stmt = select(Staff)
    if role is not None:
        stmt = stmt.where(Staff.role == role)
    if department is not None:
        stmt = stmt.where(Staff.department == department)
    if active is not None:
        stmt = stmt.where(Staff.active == active)
    async with runtime.sessions() as session:
        items, next_cursor = await paginate(
            session, stmt, [Staff.created_at, Staff.id], limit=limit, cursor=cursor
        )
    return Page(items=[handlers.staff_out(s) for s in items], next_cursor=next_cursor)


@router.get("/{staff_id}", response_model=StaffOut, operation_id="getStaff")
async def get_staff(staff_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> StaffOut:
    async with runtime.sessions() as session:
        staff = await repo.get_staff(session, staff_id)
    if staff is None:
        raise NotFound(f"staff member {staff_id} not found")
    return handlers.staff_out(staff)
