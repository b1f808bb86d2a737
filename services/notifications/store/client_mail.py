"""What the emails to a client's contacts read from the replicas: the account manager they
come from, the client's time zone, the staff taking part in a meeting; the clients whose
contacts get greetings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.greetings import GreetingClient, GreetingContact
from services.notifications.domain.invitations import Person
from services.notifications.domain.senders import Sender
from services.notifications.store.models import GreetingChoice
from shared.db import upsert
from shared.replicas import client_replica, staff_replica


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def manager_of(session: AsyncSession, manager_id: Any) -> Sender | None:
    """The active member of staff ``manager_id`` (an id, or its text) as a sender, else None."""
    staff_id = _uuid(manager_id)
    if staff_id is None:
        return None
    row = (
        await session.execute(
            select(staff_replica.c.name, staff_replica.c.title, staff_replica.c.email).where(
                staff_replica.c.id == staff_id, staff_replica.c.active.is_(True)
            )
        )
    ).first()
    return None if row is None else Sender(row.name, row.title or None, row.email)


async def client_timezone(session: AsyncSession, client_id: Any) -> str:
    """The client's IANA time zone (UTC when the replica does not know the client)."""
    found = _uuid(client_id)
    zone = None
    if found is not None:
        zone = await session.scalar(
            select(client_replica.c.timezone).where(client_replica.c.id == found)
        )
    return zone or "UTC"


async def people(session: AsyncSession, staff_ids: Sequence[Any]) -> dict[uuid.UUID, Person]:
    """Members of staff by id as calendar people (name, email); unknown ids left out."""
    ids = [i for i in (_uuid(s) for s in staff_ids) if i is not None]
    if not ids:
        return {}
    rows = await session.execute(
        select(staff_replica.c.id, staff_replica.c.name, staff_replica.c.email).where(
            staff_replica.c.id.in_(ids)
        )
    )
    return {r.id: Person(r.name, r.email) for r in rows}


async def set_greetings(session: AsyncSession, client_id: uuid.UUID, enabled: bool) -> None:
    await upsert(
        session,
        GreetingChoice.__table__,  # type: ignore[arg-type]
        "client_id",
        {"client_id": client_id, "enabled": enabled},
    )


@dataclass(frozen=True)
class Greeted:
    """A client whose contacts get greetings, with what their emails need."""

    client: GreetingClient
    name: str
    manager_id: uuid.UUID | None


async def greeted_clients(session: AsyncSession) -> list[Greeted]:
    """The clients turned on (not churned) with their contacts, zone and department."""
    rows = await session.execute(
        select(
            client_replica.c.id,
            client_replica.c.name,
            client_replica.c.timezone,
            client_replica.c.account_manager_department,
            client_replica.c.account_manager_id,
            client_replica.c.contacts,
        )
        .join(GreetingChoice, GreetingChoice.client_id == client_replica.c.id)
        .where(GreetingChoice.enabled.is_(True), client_replica.c.status != "churned")
        .order_by(client_replica.c.id)
    )
    return [
        Greeted(
            GreetingClient(
                r.id,
                r.timezone or "UTC",
                r.account_manager_department,
                [
                    GreetingContact(
                        uuid.UUID(c["id"]), c.get("name") or "", c.get("email"), c.get("birthday")
                    )
                    for c in r.contacts or []
                ],
            ),
            r.name,
            r.account_manager_id,
        )
        for r in rows
    ]
