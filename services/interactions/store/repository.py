"""Queries of the interactions service, with the caller's access scope in every one of them
(``shared.replicas.client_scope``: a manager sees their own clients, a head their team's, an
admin all). An object outside the scope is not found (404): its existence never leaks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.models import (
    Feedback,
    Interaction,
    MeetingReport,
    Request,
    Task,
    TaskDeadlineMove,
)
from shared.auth import Caller
from shared.errors import NotFound
from shared.readthrough import refresh_client, refresh_staff
from shared.replicas import client_replica, client_scope, staff_replica

T = TypeVar("T")
HEAD_ROLE = "head"


def in_scope(caller: Caller, client_id: Any) -> ColumnElement[bool]:
    """SQL condition: the client of ``client_id`` (a column) is in the caller's scope."""
    return client_scope(caller, cast(ColumnElement[Any], client_id))


@dataclass(frozen=True)
class ClientInfo:
    """A client as this service knows it (its replica), with its account manager's team."""

    id: uuid.UUID
    name: str
    status: str
    account_manager_id: uuid.UUID | None
    sla: dict[str, Any]
    contacts: list[dict[str, Any]]
    department: str | None
    head_id: uuid.UUID | None

    def team(self) -> dict[str, Any]:
        """The fields every event about the client carries."""
        return {
            "client_id": self.id,
            "client_name": self.name,
            "account_manager_id": self.account_manager_id,
            "account_manager_department": self.department,
            "head_id": self.head_id,
        }

    def contact_ids(self) -> set[str]:
        return {str(c.get("id")) for c in self.contacts}


def responsible_head(
    manager_id: uuid.UUID | None, role: str | None, head_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The head answering for a client: the manager's head; a head with none above answers
    themself; none without a manager (as the clients events define ``head_id``)."""
    if manager_id is None:
        return None
    if head_id is not None:
        return head_id
    return manager_id if role == HEAD_ROLE else None


manager = staff_replica.alias("manager")
CLIENT_COLUMNS = (
    client_replica.c.id,
    client_replica.c.name,
    client_replica.c.status,
    client_replica.c.account_manager_id,
    client_replica.c.sla,
    client_replica.c.contacts,
    manager.c.department,
    manager.c.role,
    manager.c.head_id,
)


def client_info_query() -> Select[Any]:
    """Clients with their manager's department, role and head (one outer join)."""
    return (
        select(*CLIENT_COLUMNS)
        .select_from(client_replica)
        .outerjoin(manager, manager.c.id == client_replica.c.account_manager_id)
    )


def client_info(row: Any) -> ClientInfo:
    return ClientInfo(
        id=row.id,
        name=row.name,
        status=row.status,
        account_manager_id=row.account_manager_id,
        sla=dict(row.sla or {}),
        contacts=list(row.contacts or []),
        department=row.department,
        head_id=responsible_head(row.account_manager_id, row.role, row.head_id),
    )


async def lock_client(
    session: AsyncSession,
    caller: Caller,
    client_id: uuid.UUID,
    contact_ids: Iterable[uuid.UUID] = (),
) -> ClientInfo:
    """The client (if the caller may see it, else 404), its replica row locked until the
    transaction ends: every use case emitting a client's events takes this lock first, so
    they reach the outbox in commit order. FOR NO KEY UPDATE of the replica row only (the
    staff row joined is read, not locked); SQLite serialises writers anyway.

    A client the replica does not have (or not in the caller's scope, or without one of
    ``contact_ids`` among its contacts) is read through to the clients service first
    (``shared.readthrough``): what it committed a moment ago is found."""
    stmt = (
        client_info_query()
        .where(client_replica.c.id == client_id, client_scope(caller, client_replica.c.id))
        .with_for_update(of=client_replica, key_share=True)
    )
    return await _locked(session, stmt, client_id, contact_ids)


async def lock_client_row(session: AsyncSession, client_id: uuid.UUID) -> ClientInfo:
    """The client's replica row locked, without a scope check: for a use case that checked
    the caller's right to the object already (an assignee's task)."""
    stmt = (
        client_info_query()
        .where(client_replica.c.id == client_id)
        .with_for_update(of=client_replica, key_share=True)
    )
    return await _locked(session, stmt, client_id)


async def _locked(
    session: AsyncSession,
    stmt: Select[Any],
    client_id: uuid.UUID,
    contact_ids: Iterable[uuid.UUID] = (),
) -> ClientInfo:
    row = (await session.execute(stmt)).first()
    if (row is None or _unknown_contacts(row, contact_ids)) and await refresh_client(
        session, client_id
    ):
        row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound(f"client {client_id} not found")
    return client_info(row)


def _unknown_contacts(row: Any, contact_ids: Iterable[uuid.UUID]) -> bool:
    known = {str(c.get("id")) for c in row.contacts or []}
    return any(str(c) not in known for c in contact_ids)


async def sees_client(session: AsyncSession, caller: Caller, client_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(client_replica.c.id).where(
            client_replica.c.id == client_id, client_scope(caller, client_replica.c.id)
        )
    )
    return found is not None


async def clients_info(
    session: AsyncSession, client_ids: set[uuid.UUID]
) -> dict[uuid.UUID, ClientInfo]:
    """Unscoped (for the scans): the clients of the given ids."""
    if not client_ids:
        return {}
    rows = (
        await session.execute(client_info_query().where(client_replica.c.id.in_(client_ids)))
    ).all()
    return {row.id: client_info(row) for row in rows}


async def scoped_one(
    session: AsyncSession,
    stmt: Select[Any],
    entity: type[T],
    what: str,
    object_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> T:
    if for_update:
        stmt = stmt.with_for_update(of=entity).execution_options(populate_existing=True)
    found = await session.scalar(stmt)
    if found is None:
        raise NotFound(f"{what} {object_id} not found")
    return cast(T, found)


# ---------------------------------------------------------------- interactions


def scoped_interactions(caller: Caller) -> Select[Any]:
    return select(Interaction).where(in_scope(caller, Interaction.client_id))


async def get_interaction(
    session: AsyncSession, caller: Caller, interaction_id: uuid.UUID, *, for_update: bool = False
) -> Interaction:
    stmt = scoped_interactions(caller).where(Interaction.id == interaction_id)
    return await scoped_one(
        session, stmt, Interaction, "interaction", interaction_id, for_update=for_update
    )


async def find_interaction(
    session: AsyncSession, caller: Caller, interaction_id: uuid.UUID
) -> Interaction | None:
    return await session.scalar(scoped_interactions(caller).where(Interaction.id == interaction_id))


def filtered_interactions(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    type: str | None = None,
    direction: str | None = None,
    author_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    stmt = scoped_interactions(caller)
    if client_id is not None:
        stmt = stmt.where(Interaction.client_id == client_id)
    if type is not None:
        stmt = stmt.where(Interaction.type == type)
    if direction is not None:
        stmt = stmt.where(Interaction.direction == direction)
    if author_id is not None:
        stmt = stmt.where(Interaction.author_id == author_id)
    if since is not None:
        stmt = stmt.where(Interaction.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Interaction.occurred_at < until)
    return stmt


async def get_report(session: AsyncSession, interaction_id: uuid.UUID) -> MeetingReport | None:
    return await session.get(MeetingReport, interaction_id)


# ---------------------------------------------------------------- requests


def scoped_requests(caller: Caller) -> Select[Any]:
    return select(Request).where(in_scope(caller, Request.client_id))


async def get_request(
    session: AsyncSession, caller: Caller, request_id: uuid.UUID, *, for_update: bool = False
) -> Request:
    stmt = scoped_requests(caller).where(Request.id == request_id)
    return await scoped_one(session, stmt, Request, "request", request_id, for_update=for_update)


async def request_of_interaction(
    session: AsyncSession, interaction_id: uuid.UUID, *, for_update: bool = False
) -> Request | None:
    stmt = select(Request).where(Request.interaction_id == interaction_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


def of_manager(column: Any, account_manager_id: uuid.UUID) -> ColumnElement[bool]:
    return cast(
        ColumnElement[bool],
        column.in_(
            select(client_replica.c.id).where(
                client_replica.c.account_manager_id == account_manager_id
            )
        ),
    )


def filtered_requests(
    caller: Caller,
    now: datetime,
    *,
    status: str | None = None,
    client_id: uuid.UUID | None = None,
    account_manager_id: uuid.UUID | None = None,
) -> Select[Any]:
    """Requests the caller may see. ``status`` as readers see it: an open request past its
    due date is ``breached`` even before the scan recorded it."""
    stmt = scoped_requests(caller)
    if status == "open":
        stmt = stmt.where(Request.status == "open", Request.due_at > now)
    elif status == "breached":
        stmt = stmt.where(
            or_(Request.status == "breached", and_(Request.status == "open", Request.due_at <= now))
        )
    elif status is not None:
        stmt = stmt.where(Request.status == status)
    if client_id is not None:
        stmt = stmt.where(Request.client_id == client_id)
    if account_manager_id is not None:
        stmt = stmt.where(of_manager(Request.client_id, account_manager_id))
    return stmt


# ---------------------------------------------------------------- tasks


def task_scope(caller: Caller) -> ColumnElement[bool]:
    """Tasks of the clients the caller may see, and those assigned to the caller (the
    specialists a manager coordinates see what they are asked to do)."""
    return or_(in_scope(caller, Task.client_id), Task.assignee_id == caller.id)


async def get_task(
    session: AsyncSession, caller: Caller, task_id: uuid.UUID, *, for_update: bool = False
) -> Task:
    stmt = select(Task).where(Task.id == task_id, task_scope(caller))
    return await scoped_one(session, stmt, Task, "task", task_id, for_update=for_update)


async def task_client_id(session: AsyncSession, caller: Caller, task_id: uuid.UUID) -> uuid.UUID:
    found = await session.scalar(
        select(Task.client_id).where(Task.id == task_id, task_scope(caller))
    )
    if found is None:
        raise NotFound(f"task {task_id} not found")
    return cast(uuid.UUID, found)


def filtered_tasks(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    status: str | None = None,
    overdue_at: datetime | None = None,
) -> Select[Any]:
    stmt = select(Task).where(task_scope(caller))
    if client_id is not None:
        stmt = stmt.where(Task.client_id == client_id)
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if overdue_at is not None:
        stmt = stmt.where(Task.status == "open", Task.due_at < overdue_at)
    return stmt


def task_history(task_id: uuid.UUID) -> Select[Any]:
    return select(TaskDeadlineMove).where(TaskDeadlineMove.task_id == task_id)


async def active_staff(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    """An active member of staff (one the replica does not have yet: read through)."""
    query = select(staff_replica.c.active).where(staff_replica.c.id == staff_id)
    active = await session.scalar(query)
    if active is None and await refresh_staff(session, staff_id):
        active = await session.scalar(query)
    return bool(active)


# ---------------------------------------------------------------- feedback


def filtered_feedback(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    kind: str | None = None,
    low: bool | None = None,
) -> Select[Any]:
    stmt = select(Feedback).where(in_scope(caller, Feedback.client_id))
    if client_id is not None:
        stmt = stmt.where(Feedback.client_id == client_id)
    if kind is not None:
        stmt = stmt.where(Feedback.kind == kind)
    if low is not None:
        stmt = stmt.where(Feedback.low.is_(low))
    return stmt


async def get_feedback(session: AsyncSession, caller: Caller, feedback_id: uuid.UUID) -> Feedback:
    stmt = select(Feedback).where(Feedback.id == feedback_id, in_scope(caller, Feedback.client_id))
    return await scoped_one(session, stmt, Feedback, "feedback", feedback_id)
