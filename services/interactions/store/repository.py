"""Queries of the interactions service, with the caller's access scope in every one of them
(``shared.replicas.client_scope``: a manager sees their own clients, a head their team's, an
admin all). An object outside the scope is not found (404): its existence never leaks.
"""

from __future__ import annotations

import uuid
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
from shared.readthrough import refresh_staff
from shared.replicas import client_replica, client_scope, staff_replica

T = TypeVar("T")


def in_scope(caller: Caller, client_id: Any) -> ColumnElement[bool]:
    """SQL condition: the client of ``client_id`` (a column) is in the caller's scope."""
    return client_scope(caller, cast(ColumnElement[Any], client_id))


async def sees_client(session: AsyncSession, caller: Caller, client_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(client_replica.c.id).where(
            client_replica.c.id == client_id, client_scope(caller, client_replica.c.id)
        )
    )
    return found is not None


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
