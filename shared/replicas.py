"""Read models of the clients service's data, kept by the services that consume its events
(interactions, billing, notifications): staff (for authentication and head scope) and
clients (manager and their team, tier, status, SLA and calendar), with the access-scope filter
built on them and the one view of a client the consumers read (:class:`ClientView`).

Event-carried state transfer: each clients event holds the whole current state, so a replica
row is simply replaced (older events than the stored one are ignored). A lookup that misses
reads through to the clients service and writes its answer the same way
(``shared.readthrough``), so what the clients service committed is usable at once.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    String,
    Uuid,
    bindparam,
    cast,
    func,
    literal,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Caller, Role, StaffRecord
from shared.db import in_small_set
from shared.errors import NotFound
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.readthrough import refresh_client
from shared.replica_store import (
    CLIENT_FIELDS,
    STAFF_FIELDS,
    client_replica,
    contact_entry,
    put_client,
    put_staff,
    replica_metadata,
    staff_replica,
)
from shared.uow import UnitOfWork

log = logging.getLogger("orbit.replicas")

__all__ = [
    "CLIENT_FIELDS",
    "STAFF_FIELDS",
    "client_replica",
    "put_client",
    "put_staff",
    "replica_metadata",
    "staff_replica",
]


async def on_staff_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    await put_staff(uow.session, event.data, event.time)


async def on_client_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    await put_client(uow.session, event.data, event.time)


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
        kept.append(contact_entry(data))
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


async def staff_names(
    session: AsyncSession, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    """The names of the staff ``ids`` (a report's managers), read for them alone."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(staff_replica.c.id, staff_replica.c.name).where(staff_replica.c.id.in_(wanted))
    )
    return {row.id: row.name for row in rows}


def manager_scope(caller: Caller, account_manager_id: Any) -> ColumnElement[bool]:
    """SQL condition on a client's account manager (``client_replica.account_manager_id``, or
    a column equal to it): the client is one the caller may see (as :func:`client_scope`).

    The head's managers are one set (their team's staff and themself), so the condition is a
    semi-join on the indexed ``account_manager_id`` rather than an ``OR`` the planner can only
    answer by reading ``client_replica`` whole (a report aggregating over the scope's rows
    joins it so)."""
    if caller.company_wide:
        return true()
    if caller.role == Role.HEAD:
        in_team: ColumnElement[bool] = account_manager_id.in_(_managers_of(caller))
        return in_team
    own: ColumnElement[bool] = account_manager_id == caller.id
    return own


# The subqueries of a caller's scope, built once per caller (a statement is immutable, so one
# serves every request of theirs): building them cost ~0.1-0.2 ms of each list's CPU.
SCOPE_CACHE_SIZE = 1024


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _managers_of(head: Caller) -> CompoundSelect:
    """A head's managers: their team's staff (who report to them or share their department)
    and themself."""
    team = staff_replica.c.head_id == head.id
    if head.department:
        team = team | (staff_replica.c.department == head.department)
    return select(staff_replica.c.id).where(team).union_all(select(literal(head.id, Uuid)))


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _clients_of(caller: Caller) -> Select[Any]:
    manager = client_replica.c.account_manager_id
    if caller.role == Role.HEAD:
        # A list walks its sort's index and keeps the rows of the scope's clients: the team
        # read once per statement (shared.db.in_small_set), not once per row walked (a semi
        # join under the LIMIT: 20x slower at department scale).
        return select(client_replica.c.id).where(in_small_set(manager, _managers_of(caller)))
    return select(client_replica.c.id).where(manager_scope(caller, manager))


def client_scope(
    caller: Caller, client_id: ColumnElement[Any], manager: Any = None, *, read_first: bool = False
) -> ColumnElement[bool]:
    """SQL condition: ``client_id`` belongs to a client the caller may see.

    manager: their own clients; head: their own clients and those of the staff who report to
    them (``head_id``) or share their department; admin and integration: all (the clients
    service's ``client_scope`` on the replicas). Use it in every list and lookup, so
    out-of-scope rows are not found.

    ``manager``: the row's copy of its client's account manager, on a table keeping one
    (``shared.replica_store.keep_manager_copies``): a manager's rows are then those naming
    them, read in a list's order from the table's (manager, key, id) index instead of walking
    the whole sort for their ~1 % of the rows. A head's team stays a set of clients (their
    rows are many: the sort's index walked, the team read once).

    ``read_first``: a manager's clients read once, before the rows (:func:`shared.db.
    in_small_set`), for a condition ``OR``-ed with another (a task assigned to the caller):
    beside an ``OR`` PostgreSQL cannot tell how few rows a semi-join keeps, and walks the
    list's whole sort index for their ~1 % (a manager's tasks: 3.0 -> 0.7 ms a page at
    department scale). A head's clients stay a semi-join (their rows are many).
    """
    if caller.company_wide:
        return true()
    if manager is not None and caller.role != Role.HEAD:
        own: ColumnElement[bool] = manager == caller.id
        return own
    if read_first and caller.role != Role.HEAD:
        return in_small_set(client_id, _clients_of(caller))
    return client_id.in_(_clients_of(caller))


# ---------------------------------------------------------------- the client view


@dataclass(frozen=True)
class ClientView:
    """A client as the consuming services know it (its replica row): what their use cases
    and scans read, and the team header every event about the client carries."""

    id: uuid.UUID
    name: str
    tier: str
    status: str
    timezone: str
    account_manager_id: uuid.UUID | None
    account_manager_department: str | None
    head_id: uuid.UUID | None
    sla: dict[str, Any]
    contacts: list[dict[str, Any]]

    def team(self) -> dict[str, Any]:
        """Who an event about the client is for, the header of every client event of every
        service: the client, its account manager and their department, and the head
        responsible for escalations."""
        return {
            "client_id": self.id,
            "client_name": self.name,
            "account_manager_id": self.account_manager_id,
            "account_manager_department": self.account_manager_department,
            "head_id": self.head_id,
        }

    def contact_ids(self) -> set[str]:
        return {str(c.get("id")) for c in self.contacts}

    def billing_contacts(self) -> list[dict[str, Any]]:
        """The contacts whose roles include ``billing`` (whom to remind of an invoice)."""
        return [
            {"contact_id": c["id"], "name": c.get("name") or "", "email": c.get("email")}
            for c in self.contacts
            if "billing" in (c.get("roles") or [])
        ]


def client_view(row: Any) -> ClientView:
    """The view of a ``client_replica`` row."""
    return ClientView(
        id=row.id,
        name=row.name,
        tier=row.tier,
        status=row.status,
        timezone=row.timezone or "UTC",
        account_manager_id=row.account_manager_id,
        account_manager_department=row.account_manager_department,
        head_id=row.head_id,
        sla=dict(row.sla or {}),
        contacts=list(row.contacts or []),
    )


def client_select(caller: Caller | None, client_id: Any, *, lock: bool = False) -> Select[Any]:
    """The client ``client_id`` (an id, or a scalar subquery naming it) if ``caller`` may see
    it (None: any client, for the scans and service tokens). ``lock``: its row FOR NO KEY
    UPDATE until the transaction ends; every use case that emits a client's events takes this
    lock first, so they reach the outbox in commit order (SQLite serialises writers anyway)."""
    stmt = select(client_replica).where(client_replica.c.id == client_id)
    if caller is not None:
        stmt = stmt.where(client_scope(caller, client_replica.c.id))
    if lock:
        stmt = stmt.with_for_update(of=client_replica, key_share=True)
    return stmt


async def one_client(
    session: AsyncSession,
    stmt: Select[Any],
    missing: str,
    *,
    read_through: uuid.UUID | None = None,
    contact_ids: Iterable[uuid.UUID] = (),
    params: Mapping[str, Any] | None = None,
) -> ClientView:
    """The client of ``stmt`` (:func:`client_select`, run with ``params``), else 404 with
    ``missing``. A miss on ``read_through`` (a client id: the row absent, out of scope, or
    without one of ``contact_ids`` among its contacts) asks the clients service first
    (``shared.readthrough``): what it committed a moment ago is found."""
    row = (await session.execute(stmt, params)).first()
    unknown = row is None or _unknown_contacts(row, contact_ids)
    if unknown and read_through is not None and await refresh_client(session, read_through):
        row = (await session.execute(stmt, params)).first()
    if row is None:
        raise NotFound(missing)
    return client_view(row)


@functools.lru_cache(maxsize=SCOPE_CACHE_SIZE)
def _client_by_id(caller: Caller | None, lock: bool) -> Select[Any]:
    """:func:`client_select` of the client id bound when it runs (``client_id``), built once
    per caller and lock: a client page's summary built it anew per call, and building it
    (and its cache key) cost about as much as running it."""
    return client_select(caller, bindparam("client_id", type_=Uuid()), lock=lock)


async def read_client(
    session: AsyncSession,
    caller: Caller | None,
    client_id: uuid.UUID,
    *,
    lock: bool = False,
    contact_ids: Iterable[uuid.UUID] = (),
) -> ClientView:
    """The client ``client_id`` if ``caller`` may see it (None: unscoped), its row locked with
    ``lock`` (:func:`client_select`), read through on a miss; else 404."""
    return await one_client(
        session,
        _client_by_id(caller, lock),
        f"client {client_id} not found",
        read_through=client_id,
        contact_ids=contact_ids,
        params={"client_id": client_id},
    )


async def lock_client(
    session: AsyncSession,
    caller: Caller | None,
    client_id: uuid.UUID,
    contact_ids: Iterable[uuid.UUID] = (),
) -> ClientView:
    """The client, its row locked (:func:`client_select`), if ``caller`` may see it (None:
    unscoped), read through on a miss; else 404."""
    return await read_client(session, caller, client_id, lock=True, contact_ids=contact_ids)


async def client_views(
    session: AsyncSession, client_ids: Iterable[uuid.UUID], *, lock: bool = False
) -> dict[uuid.UUID, ClientView]:
    """Unscoped (for the scans): the clients of the given ids, by id. ``lock``: their rows
    locked in id order (no deadlock between two scans, nor with a use case; PostgreSQL locks
    the rows as the sorted result returns them)."""
    ids = sorted(set(client_ids))
    if not ids:
        return {}
    stmt = select(client_replica).where(client_replica.c.id.in_(ids))
    if lock:
        stmt = stmt.order_by(client_replica.c.id).with_for_update(of=client_replica, key_share=True)
    return {row.id: client_view(row) for row in (await session.execute(stmt)).all()}


def _unknown_contacts(row: Any, contact_ids: Iterable[uuid.UUID]) -> bool:
    known = {str(c.get("id")) for c in row.contacts or []}
    return any(str(c) not in known for c in contact_ids)


# ---------------------------------------------------------------- a contact by phone or email
# Who called or wrote: the contacts the client replica carries, by their E.164 phone or their
# email (compared case-insensitively).
ContactField = Literal["phone", "email"]


def _contact_key(field: ContactField, value: object) -> str:
    text = str(value or "").strip()
    return text.lower() if field == "email" else text


def contact_with(
    contacts: Iterable[Mapping[str, Any]], field: ContactField, value: str
) -> str | None:
    """The id of the first contact whose ``field`` is ``value``, if any."""
    wanted = _contact_key(field, value)
    for contact in contacts:
        if wanted and _contact_key(field, contact.get(field)) == wanted and contact.get("id"):
            return str(contact["id"])
    return None


def contact_filter(dialect: str, field: ContactField, wanted: str) -> ColumnElement[bool]:
    """The rows of ``client_replica`` that may have a contact whose ``field`` is ``wanted``
    (already normalised): on PostgreSQL a phone by JSONB containment, through the GIN index
    of ``contacts``; otherwise the lower-cased text of the contacts naming it, through its
    trigram index (the interactions service's migration ``a3e7c1d9b5f4``)."""
    contacts = client_replica.c.contacts
    if field == "phone" and dialect == "postgresql":
        return type_coerce(contacts, JSONB).contains([{"phone": wanted}])
    return func.lower(cast(contacts, String)).contains(wanted, autoescape=True)


async def clients_with_contact(
    session: AsyncSession, field: ContactField, value: str
) -> list[ClientView]:
    """The clients with a contact whose ``field`` is ``value``, by id. The JSON of the
    contacts narrows the rows (on PostgreSQL a phone by JSONB containment; otherwise the
    lower-cased text naming the value), then each client's contacts are compared
    (:func:`contact_with`): the SQL is a filter, not the answer."""
    wanted = _contact_key(field, value)
    if not wanted:
        return []
    narrow = contact_filter(session.get_bind().dialect.name, field, wanted)
    rows = (
        await session.execute(select(client_replica).where(narrow).order_by(client_replica.c.id))
    ).all()
    views = [client_view(row) for row in rows]
    return [v for v in views if contact_with(v.contacts, field, wanted) is not None]
