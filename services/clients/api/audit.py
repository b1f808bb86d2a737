"""/api/v1/audit: the audit trail of one entity the clients service owns."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.clients.api.deps import CallerDep, RuntimeDep
from services.clients.handlers.audit import AuditedEntity, check_audit_scope
from shared.audit import AuditOut, trail
from shared.inputs import Text
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=Page[AuditOut], operation_id="listAudit")
async def list_audit(
    caller: CallerDep,
    runtime: RuntimeDep,
    entity: AuditedEntity,
    id: Annotated[
        Text,
        Query(
            min_length=1,
            max_length=200,
            description='the entity\'s id (settings: "global" or "department:<name>")',
        ),
    ],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AuditOut]:
    """Every change of one entity, field by field, oldest first: who, when, old and new
    value, request id. Within the caller's scope (404 for a client or contact they may not
    see). Served by the clients service for its entities (client, contact, staff, settings);
    see docs/architecture.md, "Audit trail"."""
    async with runtime.reads() as session:
        await check_audit_scope(session, caller, entity, id)
        return await trail(session, entity, id, limit=limit, cursor=cursor)
