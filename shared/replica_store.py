"""The replica tables of the clients service's data (staff, clients with their contacts) and
their one writer, the versioned upsert (``put_staff`` / ``put_client``: an older version than
the stored one is ignored). Both the events (``shared.replicas``) and the read-through
(``shared.readthrough``) write through here; the reads and the access scope live in
``shared.replicas``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, Index, MetaData, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import JSONType, UTCDateTime, upsert

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
    # Their job title (the signature of the emails to their clients).
    Column("title", String(200), nullable=True),
)

client_replica = Table(
    "client_replica",
    replica_metadata,
    Column("id", Uuid, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("tier", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("account_manager_id", Uuid, nullable=True),
    # The account manager's team as the client events carry it: their department, and the
    # head responsible for escalations (the clients service's ``domain/team.py``).
    Column("account_manager_department", String(200), nullable=True),
    Column("head_id", Uuid, nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("country", String(2), nullable=True),
    Column("sla", JSONType, nullable=False),
    Column("contacts", JSONType, nullable=False),
    Column("source_time", UTCDateTime, nullable=False),
    # A scope's clients (by account manager) read from the index alone: the head's report
    # joins ~10% of the clients without reading the table (``shared.replicas.manager_scope``).
    # The one index on the account manager (it serves a lookup by the manager alone too).
    Index("ix_client_replica_manager_client", "account_manager_id", "id"),
)

STAFF_FIELDS = ("name", "email", "role", "department", "head_id", "timezone", "active", "title")
CLIENT_FIELDS = (
    "name",
    "tier",
    "status",
    "account_manager_id",
    "account_manager_department",
    "head_id",
    "timezone",
    "country",
    "sla",
)


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
    values["head_id"] = _uuid(values["head_id"])
    values["sla"] = values["sla"] or {}
    carried = "contacts" in data
    contacts = [contact_entry(c) for c in data["contacts"] or []] if carried else []
    copies = session.info.get(MANAGER_COPIES, ())
    before = await manager_of(session, client_id) if copies else None
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
    if copies:
        await keep_manager_copies(session, client_id, before, copies)


# ``session.info`` key: the service's tables keeping a copy of their client's account manager
# (``ServiceSpec.manager_copies``, set on its sessions by ``shared.runtime``).
MANAGER_COPIES = "orbit.manager_copies"


async def manager_of(
    session: AsyncSession, client_id: uuid.UUID, *, hold: bool = False
) -> uuid.UUID | None:
    """The client's account manager in the replica (None: none, or not in the replica yet).

    ``hold``: for a row written with its copy outside a use case holding the client (a
    projection's, from an event): the replica row held FOR SHARE until the transaction ends,
    so a change of manager (:func:`keep_manager_copies`) waits for the row and then sees it.
    A client not in the replica yet has no row to hold: its row's copy stays None until the
    client's event, or ``fill_manager_copies``, gives it one."""
    query = select(client_replica.c.account_manager_id).where(client_replica.c.id == client_id)
    if hold:
        query = query.with_for_update(read=True)
    manager: uuid.UUID | None = await session.scalar(query)
    return manager


async def keep_manager_copies(
    session: AsyncSession, client_id: uuid.UUID, before: uuid.UUID | None, copies: Any
) -> None:
    """After a write of the client's replica row (an event, a read-through), in its
    transaction: when it changed the manager (from ``before``), the client's rows in the
    service's manager copies (``copies``: tables with ``client_id`` and ``account_manager_id``)
    take the new one. The copies change only here, with the replica, so an unchanged manager
    leaves them as they are (a read-through's write makes the later event's a no-op). A row
    added meanwhile holds the client's lock, which this write waited for, so it is seen (or
    was written with the new manager)."""
    manager = await manager_of(session, client_id)
    if manager == before:
        return
    for table in copies:
        await session.execute(
            table.update()
            .where(
                table.c.client_id == client_id,
                table.c.account_manager_id.is_distinct_from(manager),
            )
            .values(account_manager_id=manager)
        )


def contact_entry(data: dict[str, Any]) -> dict[str, Any]:
    """A contact as the replica keeps it: id, name, email, phone (E.164: the interactions
    service matches calls by it), roles, preferred channel, birthday ("YYYY-MM-DD" or
    "--MM-DD": the clients events' text)."""
    keep = ("name", "email", "phone", "roles", "preferred_channel", "birthday")
    return {k: data.get(k) for k in keep} | {"id": str(data["contact_id"])}


async def fill_manager_copies(session: AsyncSession, tables: Iterable[Table]) -> int:
    """Give the rows of ``tables`` written without their client's manager (by the service's
    previous version, still running while a migration added the copy) the manager the
    replica names; how many were. The runtime runs it at start and every few minutes."""
    managed = select(client_replica.c.id).where(client_replica.c.account_manager_id.is_not(None))
    filled = 0
    for table in tables:
        manager = (
            select(client_replica.c.account_manager_id)
            .where(client_replica.c.id == table.c.client_id)
            .scalar_subquery()
        )
        result = await session.execute(
            table.update()
            .where(table.c.account_manager_id.is_(None), table.c.client_id.in_(managed))
            .values(account_manager_id=manager)
        )
        filled += max(getattr(result, "rowcount", 0), 0)
    return filled
