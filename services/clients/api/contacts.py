"""/api/v1/contacts: the contacts of the clients the caller may see, and one of them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.clients.api.clients import contacts_list
from services.clients.api.deps import CallerDep, RuntimeDep
from services.clients.api.presenters import contact_out
from services.clients.api.schemas import ContactOut, ContactPatch
from services.clients.domain.contacts import ContactRole
from services.clients.handlers import contacts as use_cases
from services.clients.store import repository as repo
from shared.commands import execute, run_command
from shared.exports import EXPORT_RESPONSES
from shared.inputs import Text
from shared.lists import ListDep
from shared.pagination import Page

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.get(
    "",
    response_model=Page[ContactOut],
    responses=EXPORT_RESPONSES,
    operation_id="listAllContacts",
)
async def list_all_contacts(
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    role: ContactRole | None = None,
    q: Text | None = None,
    sort: Annotated[str | None, repo.CONTACT_SORTS.param()] = None,
) -> Page[ContactOut] | Response:
    """The contacts of every client the caller may see (of one client with ``client_id``:
    an empty list for a client out of scope), oldest first unless ``sort`` says otherwise
    (``name`` case-insensitively); ``q``: a part of the name or email."""
    return await contacts_list(runtime, repo.contacts_of(caller, client_id, role, q), sort, query)


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
