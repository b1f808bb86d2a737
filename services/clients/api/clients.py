"""/api/v1/clients: the portfolio, its assignments and the clients' contacts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.clients.api.deps import CallerDep, PoliciesDep, RuntimeDep
from services.clients.api.presenters import assignment_out, client_out, clients_out, contact_out
from services.clients.api.schemas import (
    AssignIn,
    AssignmentOut,
    ClientIn,
    ClientOut,
    ClientPatch,
    ContactIn,
    ContactOut,
)
from services.clients.domain.contacts import ContactRole
from services.clients.domain.sla import Tier
from services.clients.domain.status import ClientStatus
from services.clients.handlers import clients as use_cases
from services.clients.handlers import contacts as contact_cases
from services.clients.policies import presentable
from services.clients.store import repository as repo
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.inputs import Text
from shared.lists import ListDep, ListQuery, each, sorted_list
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])


@router.post("", status_code=201, response_model=ClientOut, operation_id="createClient")
async def create_client(
    body: ClientIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    policies: PoliciesDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        presentable(policies, lambda uow: use_cases.create_client(uow, caller, body, policies)),
        lambda c: client_out(c, policies),
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


# The columns of the lists as files: every field but the nested SLA.
CLIENT_COLUMNS = [name for name in ClientOut.model_fields if not name.startswith("sla")]
CONTACT_COLUMNS = list(ContactOut.model_fields)


@router.get(
    "",
    response_model=Page[ClientOut],
    responses=EXPORT_RESPONSES,
    operation_id="listClients",
)
async def list_clients(
    caller: CallerDep,
    runtime: RuntimeDep,
    policies: PoliciesDep,
    query: ListDep,
    account_manager_id: uuid.UUID | None = None,
    status: ClientStatus | None = None,
    tier: Tier | None = None,
    tag: Text | None = None,
    q: Text | None = None,
    department: Text | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    sort: Annotated[str | None, repo.CLIENT_SORTS.param()] = None,
) -> Page[ClientOut] | Response:
    """The clients the caller may see, oldest first unless ``sort`` says otherwise (``name``
    case-insensitively, in the database's collation; ``tier`` and ``status`` by their
    names). ``department``: the department of their account manager; ``created_from``/
    ``created_to``: the UTC days they were created on (both included)."""
    stmt = repo.filtered_clients(
        caller,
        account_manager_id=account_manager_id,
        status=status,
        tier=tier,
        tag=tag,
        q=q,
        department=department,
        created_from=created_from,
        created_to=created_to,
    )

    return await sorted_list(
        runtime,
        stmt,
        repo.CLIENT_SORTS,
        sort,
        clients_out(policies),
        query,
        filename="clients",
        header=CLIENT_COLUMNS,
    )


@router.get("/{client_id}", response_model=ClientOut, operation_id="getClient")
async def get_client(
    client_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep, policies: PoliciesDep
) -> ClientOut:
    async with runtime.reads() as session:
        client = await repo.get_client(session, caller, client_id)
        await policies.load(session, [client])
    return client_out(client, policies)


@router.patch("/{client_id}", response_model=ClientOut, operation_id="updateClient")
async def update_client(
    client_id: uuid.UUID,
    body: ClientPatch,
    caller: CallerDep,
    runtime: RuntimeDep,
    policies: PoliciesDep,
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        presentable(
            policies, lambda uow: use_cases.update_client(uow, caller, client_id, body, policies)
        ),
        lambda c: client_out(c, policies),
        caller_id=caller.id,
    )


@router.post("/{client_id}/assign", response_model=ClientOut, operation_id="assignClient")
async def assign_client(
    client_id: uuid.UUID,
    body: AssignIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    policies: PoliciesDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    """Give the client to another account manager (heads within their team, admins)."""
    return await run_command(
        runtime.uow,
        presentable(
            policies, lambda uow: use_cases.assign_client(uow, caller, client_id, body, policies)
        ),
        lambda c: client_out(c, policies),
        caller_id=caller.id,
        idempotency=idem,
    )


@router.get(
    "/{client_id}/assignments",
    response_model=Page[AssignmentOut],
    operation_id="listClientAssignments",
)
async def list_assignments(
    client_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AssignmentOut]:
    """The client's account managers over time, oldest first."""
    async with runtime.reads() as session:
        await repo.get_client(session, caller, client_id)
        items, next_cursor = await repo.assignments_page(
            session, client_id, limit=limit, cursor=cursor
        )
    return page_of(items, next_cursor, assignment_out)


@router.post(
    "/{client_id}/contacts",
    status_code=201,
    response_model=ContactOut,
    operation_id="createContact",
    tags=["contacts"],
)
async def create_contact(
    client_id: uuid.UUID,
    body: ContactIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: contact_cases.create_contact(uow, caller, client_id, body),
        contact_out,
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get(
    "/{client_id}/contacts",
    response_model=Page[ContactOut],
    responses=EXPORT_RESPONSES,
    operation_id="listContacts",
    tags=["contacts"],
)
async def list_contacts(
    client_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    role: ContactRole | None = None,
    sort: Annotated[str | None, repo.CONTACT_SORTS.param()] = None,
) -> Page[ContactOut] | Response:
    """The client's contacts, oldest first unless ``sort`` says otherwise (``name``
    case-insensitively)."""
    async with runtime.reads() as session:
        await repo.get_client(session, caller, client_id)
    return await contacts_list(runtime, repo.contacts_of(caller, client_id, role), sort, query)


async def contacts_list(
    runtime: RuntimeDep, stmt: Any, sort: str | None, query: ListQuery
) -> Page[ContactOut] | Response:
    """A list of contacts (``stmt``) in the ``sort`` asked for, or as a file."""
    return await sorted_list(
        runtime,
        stmt,
        repo.CONTACT_SORTS,
        sort,
        each(contact_out),
        query,
        filename="contacts",
        header=CONTACT_COLUMNS,
    )
