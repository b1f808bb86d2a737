"""The interactions service's reads of the clients service's replicas (``shared.replicas``):
the caller's access scope (a manager sees their own clients, a head their team's, an admin
all), whether they may see a client, whether a member of staff is active.

Every query of ``store/`` puts the scope in its statement: an object outside it is not found
(404), so its existence never leaks. A client's view and its lock are
``shared.replicas.lock_client`` / ``client_views``.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Caller
from shared.readthrough import refresh_staff
from shared.replicas import client_replica, client_scope, staff_replica


def in_scope(
    caller: Caller, client_id: Any, manager: Any = None, *, read_first: bool = False
) -> ColumnElement[bool]:
    """SQL condition: the client of ``client_id`` (a column) is in the caller's scope
    (``manager``: the table's copy of the client's manager; ``read_first``: beside an ``OR``;
    ``shared.replicas.client_scope``)."""
    return client_scope(caller, cast(ColumnElement[Any], client_id), manager, read_first=read_first)


async def sees_client(session: AsyncSession, caller: Caller, client_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(client_replica.c.id).where(
            client_replica.c.id == client_id, client_scope(caller, client_replica.c.id)
        )
    )
    return found is not None


async def active_staff(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """An active member of staff (one the replica does not have yet: read through)."""
    query = select(staff_replica.c.active).where(staff_replica.c.id == staff_id)
    active = await session.scalar(query)
    if active is None and await refresh_staff(session, staff_id):
        active = await session.scalar(query)
    return bool(active)
