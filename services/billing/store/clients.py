"""The billing service's view of the clients service's clients (its replica), and the
caller's access scope every billing query puts in.

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
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Caller, Role
from shared.errors import NotFound
from shared.readthrough import refresh_client, refresh_staff
from shared.replicas import client_replica, client_scope, staff_replica


def scope(caller: Caller, client_id: Any) -> ColumnElement[bool]:
    """SQL: ``client_id`` is of a client the caller may see."""
    return client_scope(caller, client_id)


@dataclass(frozen=True)
class ClientInfo:
    """The replica's view of a client, and the head responsible for escalations."""

    id: uuid.UUID
    name: str
    timezone: str
    account_manager_id: uuid.UUID | None
    head_id: uuid.UUID | None
    contacts: list[dict[str, Any]]

    def team(self) -> dict[str, Any]:
        """The fields every billing event carries about the client (``events.ClientTeam``)."""
        return {
            "client_id": self.id,
            "client_name": self.name,
            "account_manager_id": self.account_manager_id,
            "head_id": self.head_id,
        }

    def billing_contacts(self) -> list[dict[str, Any]]:
        return [
            {"contact_id": c["id"], "name": c.get("name") or "", "email": c.get("email")}
            for c in self.contacts
            if "billing" in (c.get("roles") or [])
        ]


async def responsible_head(session: AsyncSession, manager_id: uuid.UUID | None) -> uuid.UUID | None:
    """The manager's head; a head without a head above: themself (as the clients events)."""
    if manager_id is None:
        return None
    row = (
        await session.execute(
            select(staff_replica.c.role, staff_replica.c.head_id).where(
                staff_replica.c.id == manager_id
            )
        )
    ).first()
    if row is None:
        return None
    if row.head_id is None and row.role == "head":
        return manager_id
    return cast(uuid.UUID | None, row.head_id)


async def _client_info(
    session: AsyncSession,
    stmt: Select[Any],
    client_id: object,
    what: str = "client",
    *,
    read_through: uuid.UUID | None = None,
) -> ClientInfo:
    """The row of ``stmt``; none: 404, after reading ``read_through`` (a client id) through to
    the clients service (``shared.readthrough``: a client created a moment ago is found)."""
    row = (await session.execute(stmt)).first()
    if row is None and read_through is not None and await refresh_client(session, read_through):
        row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound(f"{what} {client_id} not found")
    return ClientInfo(
        id=row.id,
        name=row.name,
        timezone=row.timezone or "UTC",
        account_manager_id=row.account_manager_id,
        head_id=await responsible_head(session, row.account_manager_id),
        contacts=list(row.contacts or []),
    )


def _client_select(caller: Caller, client_id: Any, for_update: bool) -> Select[Any]:
    stmt = select(client_replica).where(client_replica.c.id == client_id)
    if caller.role != Role.SERVICE:
        stmt = stmt.where(scope(caller, client_replica.c.id))
    if for_update:
        stmt = stmt.with_for_update(of=client_replica, key_share=True)
    return stmt


async def get_client(
    session: AsyncSession, caller: Caller, client_id: uuid.UUID, *, for_update: bool = False
) -> ClientInfo:
    """The client if the caller may see it (a service token: any client), else 404."""
    stmt = _client_select(caller, client_id, for_update)
    return await _client_info(session, stmt, client_id, read_through=client_id)


async def lock_client_of(
    session: AsyncSession, caller: Caller, entity: Any, object_id: uuid.UUID, what: str
) -> ClientInfo:
    """The client of ``entity`` ``object_id``, locked, if the caller may see it; else 404
    naming the object (its client found by a subquery, so the client row is locked first)."""
    owner = select(entity.client_id).where(entity.id == object_id).scalar_subquery()
    return await _client_info(session, _client_select(caller, owner, True), object_id, what)


async def lock_clients(
    session: AsyncSession, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ClientInfo]:
    """Lock the clients' rows in id order (the scans: no deadlock between two of them, nor
    with a use case) and read them with their managers' heads: one statement (PostgreSQL
    locks the rows as the sorted result returns them)."""
    if not client_ids:
        return {}
    manager = staff_replica.alias("manager")
    rows = (
        await session.execute(
            select(
                client_replica.c.id,
                client_replica.c.name,
                client_replica.c.timezone,
                client_replica.c.account_manager_id,
                client_replica.c.contacts,
                manager.c.role.label("manager_role"),
                manager.c.head_id.label("manager_head_id"),
            )
            .outerjoin(manager, manager.c.id == client_replica.c.account_manager_id)
            .where(client_replica.c.id.in_(sorted(set(client_ids))))
            .order_by(client_replica.c.id)
            .with_for_update(of=client_replica, key_share=True)
        )
    ).all()
    return {
        row.id: ClientInfo(
            id=row.id,
            name=row.name,
            timezone=row.timezone or "UTC",
            account_manager_id=row.account_manager_id,
            head_id=_head_of(row.account_manager_id, row.manager_role, row.manager_head_id),
            contacts=list(row.contacts or []),
        )
        for row in rows
    }


def _head_of(
    manager_id: uuid.UUID | None, role: str | None, head_id: uuid.UUID | None
) -> uuid.UUID | None:
    """:func:`responsible_head` from the manager's replica row (``role`` None: no row)."""
    if manager_id is None or role is None:
        return None
    if head_id is None and role == "head":
        return manager_id
    return head_id


async def is_active_staff(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """An active member of staff (one the replica does not have yet: read through)."""
    query = select(staff_replica.c.active).where(staff_replica.c.id == staff_id)
    active = await session.scalar(query)
    if active is None and await refresh_staff(session, staff_id):
        active = await session.scalar(query)
    return bool(active)
