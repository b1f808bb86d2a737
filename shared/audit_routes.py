"""The route serving one entity's audit trail from the service that owns it,
``GET /api/v1/<collection>/{<entity>_id}/audit`` (docs/architecture.md, "Audit trail"): the
caller's scope on the entity checked first by the service's own lookup (404 out of scope),
then a page of its rows (``shared.audit.trail``).

No ``from __future__ import annotations`` here: FastAPI reads the route's annotations, which
name this function's arguments (the service's dependencies)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path

from shared.audit import AuditOut, trail
from shared.auth import Caller
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page
from shared.runtime import ServiceRuntime

# The service's scoped lookup of the entity: (session, caller, id) -> it, or raises NotFound.
Find = Callable[[Any, Caller, uuid.UUID], Awaitable[object]]


def add_trail_route(
    router: APIRouter,
    entity: str,
    find: Find,
    *,
    runtime: Any,
    caller: Any,
    operation_id: str,
    doc: str,
    prefix: str = "",
) -> None:
    """Add ``GET <prefix>/{<entity>_id}/audit`` to ``router``, with the service's
    ``Depends`` markers of its runtime and its caller (``shared.deps.ServiceDeps``, or a
    stricter caller): ``doc`` says which corrections its rows record."""
    param = f"{entity}_id"
    runtime_dep, caller_dep = runtime, caller

    async def list_trail(
        entity_id: Annotated[uuid.UUID, Path(alias=param)],
        caller: Annotated[Caller, caller_dep],
        runtime: Annotated[ServiceRuntime, runtime_dep],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[AuditOut]:
        async with runtime.reads() as session:
            await find(session, caller, entity_id)
            return await trail(session, entity, entity_id, limit=limit, cursor=cursor)

    router.add_api_route(
        f"{prefix}/{{{param}}}/audit",
        list_trail,
        methods=["GET"],
        response_model=Page[AuditOut],
        operation_id=operation_id,
        name=f"list_{entity}_audit",
        description=f"{doc}, field by field, oldest first: who, when, old and new value, "
        'request id (404 out of the caller\'s scope; see docs/architecture.md, "Audit trail").',
    )
