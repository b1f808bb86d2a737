"""/api/v1/contacts/{id}: one contact of a client the caller may see."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.clients.api.deps import CallerDep, RuntimeDep
from services.clients.api.presenters import contact_out
from services.clients.api.schemas import ContactOut, ContactPatch
from services.clients.handlers import contacts as use_cases
from services.clients.store import repository as repo
from shared.commands import execute, run_command

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.get("/{contact_id}", response_model=ContactOut, operation_id="getContact")
async def get_contact(contact_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> ContactOut:
    async with runtime.reads() as session:
        contact = await repo.get_contact(session, caller, contact_id)
    return contact_out(contact)


@router.patch("/{contact_id}", response_model=ContactOut, operation_id="updateContact")
async def update_contact(
    contact_id: uuid.UUID, body: ContactPatch, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: use_cases.update_contact(uow, caller, contact_id, body),
        contact_out,
        caller_id=caller.id,
    )


@router.delete(
    "/{contact_id}", status_code=204, response_class=Response, operation_id="deleteContact"
)
async def delete_contact(contact_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> Response:
    await execute(runtime.uow, lambda uow: use_cases.delete_contact(uow, caller, contact_id))
    return Response(status_code=204)
