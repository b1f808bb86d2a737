"""Who may read which audit trail (``GET /api/v1/audit``): the clients service answers for
the entities it owns — clients, contacts, staff and settings — each within the caller's
scope, as the entity itself (404 for what the caller may not see)."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.handlers.settings import check_reader
from services.clients.store import repository as repo
from shared.audit import AuditRow
from shared.auth import Caller, Role
from shared.errors import Forbidden, Invalid, NotFound

AuditedEntity = Literal["client", "contact", "staff", "settings"]


def entity_uuid(entity_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(entity_id)
    except ValueError:
        raise Invalid(
            f"id: not an id of this entity: {entity_id!r}",
            [{"loc": ["query", "id"], "msg": "not a UUID"}],
        ) from None


async def contact_client(session: AsyncSession, caller: Caller, contact_id: uuid.UUID) -> uuid.UUID:
    """The client of a contact, deleted ones included (their trail names it)."""
    found = await session.scalar(
        select(AuditRow.new).where(
            AuditRow.entity == "contact",
            AuditRow.entity_id == str(contact_id),
            AuditRow.field == "client_id",
        )
    )
    if found is None:
        return (await repo.get_contact(session, caller, contact_id)).client_id
    return uuid.UUID(str(found))


async def check_audit_scope(
    session: AsyncSession, caller: Caller, entity: AuditedEntity, entity_id: str
) -> None:
    """404/403 unless the caller may read this entity's trail: a client or contact within
    their scope; a member of staff: admins, a head for their team; settings (``global`` or
    ``department:<name>``): as the settings themselves."""
    if entity == "settings":
        if entity_id != "global" and not entity_id.startswith("department:"):
            raise Invalid(
                'id: "global" or "department:<name>"',
                [{"loc": ["query", "id"], "msg": 'use "global" or "department:<name>"'}],
            )
        check_reader(
            caller, entity_id.removeprefix("department:") if entity_id != "global" else None
        )
        return
    object_id = entity_uuid(entity_id)
    if entity == "client":
        await repo.get_client(session, caller, object_id)
    elif entity == "contact":
        await repo.get_client(session, caller, await contact_client(session, caller, object_id))
    else:
        caller.require(Role.ADMIN, Role.HEAD)
        if caller.role == Role.HEAD and not await repo.is_in_team(session, caller, object_id):
            raise Forbidden("a head reads the trail of their own team only")
        if await repo.get_staff(session, object_id) is None:
            raise NotFound(f"staff member {object_id} not found")
