"""The clients as billing reads them (``shared.replicas.ClientView``: the replica of the
clients service, with its team), and the caller's access scope every billing query puts in.

A manager sees the billing of their own clients, a head their department's, an admin all
(``shared.replicas.client_scope`` on the replica of the clients service): an object out of
scope is simply not found (404). A ``service`` token (a bank import) may only book payments:
:func:`get_client` gives it any client for that.

Locks: a use case that emits a client's events locks that client's replica row first (so
the outbox order matches the commit order per client), then the rows it changes, then the
invoice counter; every use case and scan takes them in that order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Caller, Role
from shared.readthrough import refresh_staff
from shared.replicas import (
    ClientView,
    client_scope,
    client_select,
    client_views,
    one_client,
    read_client,
    staff_replica,
)


def scope(caller: Caller, client_id: Any, manager: Any = None) -> ColumnElement[bool]:
    """SQL: ``client_id`` is of a client the caller may see (``manager``: the table's copy of
    the client's manager, ``shared.replicas.client_scope``)."""
    return client_scope(caller, client_id, manager)


def _scoped(caller: Caller) -> Caller | None:
    """The caller whose scope a client is read in: a service token (a bank import) none, it
    sees any client (``shared.replicas.client_select``)."""
    return None if caller.role == Role.SERVICE else caller


async def get_client(
    session: AsyncSession, caller: Caller, client_id: uuid.UUID, *, for_update: bool = False
) -> ClientView:
    """The client if the caller may see it (a service token: any client), else 404 (read
    through to the clients service first: a client created a moment ago is found)."""
    return await read_client(session, _scoped(caller), client_id, lock=for_update)


async def lock_client_of(
    session: AsyncSession, caller: Caller, entity: Any, object_id: uuid.UUID, what: str
) -> ClientView:
    """The client of ``entity`` ``object_id``, locked, if the caller may see it; else 404
    naming the object (its client found by a subquery, so the client row is locked first)."""
    owner = select(entity.client_id).where(entity.id == object_id).scalar_subquery()
    return await one_client(
        session, client_select(_scoped(caller), owner, lock=True), f"{what} {object_id} not found"
    )


async def lock_clients(
    session: AsyncSession, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ClientView]:
    """Lock the clients' rows in id order (the scans: no deadlock between two of them, nor
    with a use case), with their teams."""
    return await client_views(session, client_ids, lock=True)


async def is_active_staff(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """An active member of staff (one the replica does not have yet: read through)."""
    query = select(staff_replica.c.active).where(staff_replica.c.id == staff_id)
    active = await session.scalar(query)
    if active is None and await refresh_staff(session, staff_id):
        active = await session.scalar(query)
    return bool(active)
