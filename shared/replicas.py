"""Read models of the clients service's data, kept by the services that consume its events
(interactions, billing, notifications): staff (for authentication and head scope) and
clients (manager, tier, status, SLA and calendar), with the access-scope filter built on them.

Event-carried state transfer: each clients event holds the whole current state, so a replica
row is simply replaced (older events than the stored one are ignored). A lookup that misses
reads through to the clients service and writes its answer the same way
(``shared.readthrough``), so what the clients service committed is usable at once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    Uuid,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Caller, Role, StaffRecord
from shared.db import JSONType, UTCDateTime, upsert
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork

log = logging.getLogger("orbit.replicas")
replica_metadata = MetaData()

staff_replica = Table(
    "staff_replica",
    replica_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("role", String(20), nullable=False),
    Column("department", String(200), nullable=True),
    Column("head_id", Uuid, nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("source_time", UTCDateTime, nullable=False),
)

client_replica = Table(
    "client_replica",
    replica_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("tier", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("account_manager_id", Uuid, nullable=True, index=True),
    Column("timezone", String(64), nullable=False),
    Column("country", String(2), nullable=True),
    Column("sla", JSONType, nullable=False),
    Column("contacts", JSONType, nullable=False),
    Column("source_time", UTCDateTime, nullable=False),
)

STAFF_FIELDS = ("name", "email", "role", "department", "head_id", "timezone", "active")
CLIENT_FIELDS = ("name", "tier", "status", "account_manager_id", "timezone", "country", "sla")


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _version(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


async def put_staff(session: AsyncSession, data: dict[str, Any], version: datetime | str) -> None:
    """Write a member of staff (a staff event's data, or the owner's state read through) as of
    ``version``; a row of a newer version stays as it is."""
    staff_id = uuid.UUID(str(data["staff_id"]))
    values = {k: data.get(k) for k in STAFF_FIELDS}
    values["head_id"] = _uuid(values["head_id"])
    values["timezone"] = values["timezone"] or "UTC"
    await upsert(
        session,
        staff_replica,
        "id",
        {"id": staff_id, **values, "source_time": _version(version)},
        unless_newer="source_time",
    )


async def put_client(
    session: AsyncSession,
    data: dict[str, Any],
    version: datetime | str,
    *,
    contacts_as_of_now: bool = False,
) -> None:
    """Write a client (a client event's data, or the owner's state read through) as of
    ``version``; a row of a newer version stays as it is. The contacts ``data`` carries
    replace the stored ones (else those stay: none for a client first seen); with
    ``contacts_as_of_now`` (the owner's current list, read under the row's lock) whatever
    the version: contacts change without changing the client's version."""
    client_id = uuid.UUID(str(data["client_id"]))
    values = {k: data.get(k) for k in CLIENT_FIELDS}
    values["account_manager_id"] = _uuid(values["account_manager_id"])
    values["sla"] = values["sla"] or {}
    carried = "contacts" in data
    contacts = [_contact_entry(c) for c in data["contacts"] or []] if carried else []
    await upsert(
        session,
        client_replica,
        "id",
        {"id": client_id, **values, "contacts": contacts, "source_time": _version(version)},
        keep=() if carried else ("contacts",),
        unless_newer="source_time",
    )
    if contacts_as_of_now and carried:
        await session.execute(
            client_replica.update()
            .where(client_replica.c.id == client_id)
            .values(contacts=contacts)
        )


async def on_staff_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    await put_staff(uow.session, event.data, event.time)


async def on_client_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    await put_client(uow.session, event.data, event.time)


def _contact_entry(data: dict[str, Any]) -> dict[str, Any]:
    """A contact as the replica keeps it: id, name, email, roles, preferred channel."""
    return {k: data.get(k) for k in ("name", "email", "roles", "preferred_channel")} | {
        "id": str(data["contact_id"])
    }


async def on_contact_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    """Keep each client's contacts (id, name, email, roles) for billing and notifications."""
    data = event.data
    client_id = uuid.UUID(str(data["client_id"]))
    contacts = await uow.session.scalar(
        select(client_replica.c.contacts).where(client_replica.c.id == client_id)
    )
    if contacts is None:
        # Events of one client are ordered, so this only happens to a replica that started
        # reading the topic after the client was created: nothing to attach the contact to.
        log.warning("contact event %s for unknown client %s skipped", event.id, client_id)
        return
    kept = [c for c in contacts if c.get("id") != data["contact_id"]]
    if not event.type.startswith("orbit.clients.contact.deleted"):
        kept.append(_contact_entry(data))
    await uow.session.execute(
        client_replica.update().where(client_replica.c.id == client_id).values(contacts=kept)
    )


REPLICA_HANDLERS: dict[str, EventHandler] = {
    "orbit.clients.staff.created.v1": on_staff_changed,
    "orbit.clients.staff.updated.v1": on_staff_changed,
    "orbit.clients.client.created.v1": on_client_changed,
    "orbit.clients.client.updated.v1": on_client_changed,
    "orbit.clients.client.assigned.v1": on_client_changed,
    "orbit.clients.client.status_changed.v1": on_client_changed,
    "orbit.clients.contact.created.v1": on_contact_changed,
    "orbit.clients.contact.updated.v1": on_contact_changed,
    "orbit.clients.contact.deleted.v1": on_contact_changed,
}


async def load_replica_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffRecord | None:
    query = select(staff_replica).where(staff_replica.c.id == staff_id)
    row = (await session.execute(query)).first()
    if row is None:
        return None
    return StaffRecord(id=row.id, role=row.role, department=row.department, active=row.active)


def client_scope(caller: Caller, client_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL condition: ``client_id`` belongs to a client the caller may see.

    manager: their own clients; head: their own clients and those of the staff who report to
    them (``head_id``) or share their department; admin: all (the clients service's
    ``client_scope`` on the replicas). Use it in every list and lookup, so out-of-scope rows
    are not found.
    """
    if caller.role == Role.ADMIN:
        return true()
    if caller.role == Role.HEAD:
        team = staff_replica.c.head_id == caller.id
        if caller.department:
            team = team | (staff_replica.c.department == caller.department)
        managers = select(staff_replica.c.id).where(team)
        mine = select(client_replica.c.id).where(
            client_replica.c.account_manager_id.in_(managers)
            | (client_replica.c.account_manager_id == caller.id)
        )
        return client_id.in_(mine)
    own = select(client_replica.c.id).where(client_replica.c.account_manager_id == caller.id)
    return client_id.in_(own)
