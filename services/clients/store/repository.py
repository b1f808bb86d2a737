"""Queries of the clients service, with the caller's access scope in every one of them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.store.models import Client, ClientTag, Staff
from shared.auth import Caller, Role, StaffRecord
from shared.errors import NotFound


def client_scope(caller: Caller) -> ColumnElement[bool]:
    """manager: own clients; head: clients of their department's / team's managers; admin: all."""
    if caller.role == Role.ADMIN:
        return true()
    if caller.role == Role.HEAD:
        team = Staff.head_id == caller.id
        if caller.department:
            team = or_(team, Staff.department == caller.department)
        managers = select(Staff.id).where(team)
        return or_(Client.account_manager_id == caller.id, Client.account_manager_id.in_(managers))
    return Client.account_manager_id == caller.id


def scoped_clients(caller: Caller) -> Select[Any]:
    return select(Client).where(client_scope(caller))


async def get_client(session: AsyncSession, caller: Caller, client_id: uuid.UUID) -> Client:
    client = await session.scalar(scoped_clients(caller).where(Client.id == client_id))
    if client is None:
        raise NotFound(f"client {client_id} not found")
    return client


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> Staff | None:
    return await session.get(Staff, staff_id)


async def staff_by_email(session: AsyncSession, email: str) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.email == email))


async def load_staff_record(session: AsyncSession, staff_id: uuid.UUID) -> StaffRecord | None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return None
    return StaffRecord(staff.id, staff.role, staff.department, staff.active)


async def set_tags(session: AsyncSession, client: Client) -> None:
    """Mirror ``client.tags`` into the tag index table."""
    await session.execute(delete(ClientTag).where(ClientTag.client_id == client.id))
    session.add_all(ClientTag(client_id=client.id, tag=t) for t in sorted(set(client.tags)))
    await session.flush()
