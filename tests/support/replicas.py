"""Seeding a service's replicas of the clients service's staff and clients
(``shared/replicas.py``) directly, as the clients events would leave them: the tests of a
service that reads them need no clients service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.domain.team import responsible_head
from shared.db import upsert
from shared.replicas import client_replica, staff_replica


async def seed_staff(
    session: AsyncSession,
    staff_id: uuid.UUID,
    name: str,
    *,
    at: datetime,
    role: str = "manager",
    email: str | None = None,
    department: str | None = None,
    head_id: uuid.UUID | None = None,
    timezone: str = "UTC",
    active: bool = True,
) -> None:
    """A member of staff in ``staff_replica``, as of ``at`` (not committed)."""
    row = {
        "id": staff_id,
        "name": name,
        "email": email or f"{staff_id.hex[:10]}@orbit.example",
        "role": role,
        "department": department,
        "head_id": head_id,
        "timezone": timezone,
        "active": active,
        "source_time": at,
    }
    await upsert(session, staff_replica, "id", row)


async def seed_client(
    session: AsyncSession,
    client_id: uuid.UUID,
    name: str,
    manager_id: uuid.UUID | None,
    *,
    at: datetime,
    timezone: str = "UTC",
    country: str | None = None,
    contacts: list[dict[str, Any]] | None = None,
) -> None:
    """A client in ``client_replica``, as of ``at`` (not committed), with its manager's team
    (department and responsible head) read from ``staff_replica``, as the client events
    carry it."""
    manager = (
        (
            await session.execute(select(staff_replica).where(staff_replica.c.id == manager_id))
        ).first()
        if manager_id
        else None
    )
    row = {
        "id": client_id,
        "name": name,
        "tier": "standard",
        "status": "active",
        "account_manager_id": manager_id,
        "account_manager_department": manager.department if manager else None,
        "head_id": responsible_head(manager.id, manager.role, manager.head_id) if manager else None,
        "timezone": timezone,
        "country": country,
        "sla": {},
        "contacts": contacts or [],
        "source_time": at,
    }
    await upsert(session, client_replica, "id", row)
