"""/internal/v1/replica: the current state of one client or member of staff, for the other
services' read-through (``shared.readthrough``): a lookup that misses its replica asks here.

Internal (left out of the OpenAPI document): a ``service`` (or admin) token only; the state
is the one the clients events carry (``snapshots.py``) plus the version (``updated_at``) the
replica writes it as. 404 when the id is unknown.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder

from services.clients import snapshots
from services.clients.api.deps import RuntimeDep
from services.clients.policies import ClientPolicies
from services.clients.settings import ClientsSettings
from shared.deps import require_service
from shared.errors import NotFound
from shared.readthrough import Kind, OwnerFetch
from shared.runtime import ServiceRuntime
from shared.uow import UnitOfWork

router = APIRouter(prefix="/internal/v1/replica", include_in_schema=False)


async def replica_state(
    runtime: ServiceRuntime, kind: Kind, object_id: uuid.UUID
) -> dict[str, Any] | None:
    """The state ``snapshots.replica_snapshot`` reads, as JSON; one read-only transaction."""
    async with UnitOfWork(runtime.reads, runtime.clock) as uow:
        policies = ClientPolicies(cast(ClientsSettings, runtime.settings))
        state = await snapshots.replica_snapshot(uow, kind, object_id, policies)
    return None if state is None else jsonable_encoder(state)


def owner_fetch(runtime: ServiceRuntime) -> OwnerFetch:
    """The other services' fetch when they run in this process (``orbit run``)."""

    async def fetch(kind: Kind, object_id: uuid.UUID) -> dict[str, Any] | None:
        return await replica_state(runtime, kind, object_id)

    return fetch


async def _answer(
    request: Request, runtime: ServiceRuntime, kind: Kind, object_id: uuid.UUID
) -> dict[str, Any]:
    await require_service(request, runtime)
    state = await replica_state(runtime, kind, object_id)
    if state is None:
        raise NotFound(f"{kind} {object_id} not found")
    return state


@router.get("/clients/{client_id}")
async def client_state(
    client_id: uuid.UUID, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    return await _answer(request, runtime, "client", client_id)


@router.get("/staff/{staff_id}")
async def staff_state(staff_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    return await _answer(request, runtime, "staff", staff_id)
