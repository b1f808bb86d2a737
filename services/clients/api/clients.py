"""/api/v1/clients"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import select

from services.clients import handlers
from services.clients.api.deps import CallerDep, RuntimeDep, SettingsDep
from services.clients.api.schemas import ClientIn, ClientOut, Status, Tier
from services.clients.store import repository as repo
from services.clients.store.models import Client, ClientTag
from shared.idempotency import IdempotencyKey, run_command
from shared.pagination import Cursor, Limit, Page, paginate

router = APIRouter(prefix="/api/v1/clients", tags=["clients"])


@router.post("", status_code=201, response_model=ClientOut, operation_id="createClient")
async def create_client(
    body: ClientIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    idem: IdempotencyKey,
) -> JSONResponse:
    return await run_command(
        runtime.uow, lambda uow: handlers.create_client(uow, caller, body, settings),
        caller_id=caller.id, idempotency=idem, status_code=201,
    )


@router.get("", response_model=Page[ClientOut], operation_id="listClients")
async def list_clients(
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
    account_manager_id: uuid.UUID | None = None,
    status: Status | None = None,
    tier: Tier | None = None,
    tag: str | None = None,
    q: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[ClientOut]:
    stmt = repo.scoped_clients(caller)
    if account_manager_id is not None:
        stmt = stmt.where(Client.account_manager_id == account_manager_id)
    if status is not None:
        stmt = stmt.where(Client.status == status)
    if tier is not None:
        stmt = stmt.where(Client.tier == tier)
    if tag:
        stmt = stmt.where(Client.id.in_(select(ClientTag.client_id).where(ClientTag.tag == tag)))
    if q:
        stmt = stmt.where(Client.name_lower.contains(q.strip().lower(), autoescape=True))
    async with runtime.sessions() as session:
        items, next_cursor = await paginate(
            session, stmt, [Client.created_at, Client.id], limit=limit, cursor=cursor
        )
    return Page(items=[handlers.client_out(c, settings) for c in items], next_cursor=next_cursor)


@router.get("/{client_id}", response_model=ClientOut, operation_id="getClient")
async def get_client(
    client_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep, settings: SettingsDep
) -> ClientOut:
    async with runtime.sessions() as session:
        client = await repo.get_client(session, caller, client_id)
    return handlers.client_out(client, settings)
