"""The answer of a service keeping objects documents are attached to (interactions: an
interaction, a meeting report; billing: a contract, an invoice): which client one of them
belongs to (``shared.owners``), for the clients service that keeps the documents.

``owner_queries`` are the service's reads (``store/``), one per owner type it keeps;
:func:`owner_lookup` binds them to its running service (``ServiceSpec.owners``, the lookup of
``orbit run``), :func:`owners_router` serves them at ``/internal/v1/owners/{owner_type}/{id}``
(``orbit serve``): ``{"client_id": ...}``, 404 when unknown; a ``service`` (or admin) token
only, left out of the OpenAPI document and of the gateway.

No ``from __future__ import annotations`` here: FastAPI reads the route's annotations."""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.deps import require_service
from shared.errors import NotFound
from shared.owners import OwnerLookup, OwnerType
from shared.runtime import ServiceRuntime

# The client of one object by its id (None: unknown).
OwnerQuery = Callable[[AsyncSession, uuid.UUID], Awaitable[uuid.UUID | None]]


def client_of(client_column: Any, id_column: Any) -> OwnerQuery:
    """The query reading ``client_column`` of the row whose ``id_column`` is the id."""
    stmt = select(client_column)

    async def query(session: AsyncSession, object_id: uuid.UUID) -> uuid.UUID | None:
        found: uuid.UUID | None = await session.scalar(stmt.where(id_column == object_id))
        return found

    return query


def owner_lookup(
    queries: Mapping[OwnerType, OwnerQuery],
) -> Callable[[ServiceRuntime], OwnerLookup]:
    """``ServiceSpec.owners``: the lookup of the running service (no scope: the clients
    service scopes the caller through the client it answers)."""

    def bind(runtime: ServiceRuntime) -> OwnerLookup:
        async def lookup(owner_type: OwnerType, owner_id: uuid.UUID) -> uuid.UUID | None:
            query = queries.get(owner_type)
            if query is None:
                return None
            async with runtime.reads() as session:
                return await query(session, owner_id)

        return lookup

    return bind


def owners_router(queries: Mapping[OwnerType, OwnerQuery], runtime_dep: Any) -> APIRouter:
    """``GET /internal/v1/owners/{owner_type}/{owner_id}`` of the service (its ``RuntimeDep``)."""
    router = APIRouter(prefix="/internal/v1/owners", include_in_schema=False)
    bind = owner_lookup(queries)

    @router.get("/{owner_type}/{owner_id}")
    async def owner_of(
        owner_type: str, owner_id: uuid.UUID, request: Request, runtime: runtime_dep
    ) -> dict[str, str]:
        await require_service(request, runtime)
        known = owner_type in queries
        client_id = await bind(runtime)(owner_type, owner_id) if known else None  # type: ignore[arg-type]
        if client_id is None:
            raise NotFound(f"{owner_type} {owner_id} not found")
        return {"client_id": str(client_id)}

    return router
