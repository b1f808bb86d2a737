"""Queries of tasks and their deadline moves: tasks of the clients the caller may see
(``store/clients.py``) and those assigned to the caller; locks as in
``store/interactions.py`` (``shared.store.locked``: FOR NO KEY UPDATE)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.clients import in_scope
from services.interactions.store.models import TASK_SORTS, Task, TaskDeadlineMove
from shared.auth import Caller
from shared.errors import NotFound
from shared.pagination import paginate
from shared.store import one_or_404

SORTS = TASK_SORTS  # the list's ``?sort=`` (declared beside the table)


def task_scope(caller: Caller) -> ColumnElement[bool]:
    """Tasks of the clients the caller may see, and those assigned to the caller (the
    specialists a manager coordinates see what they are asked to do)."""
    return or_(in_scope(caller, Task.client_id, read_first=True), Task.assignee_id == caller.id)


async def get_task(
    session: AsyncSession, caller: Caller, task_id: uuid.UUID, *, for_update: bool = False
) -> Task:
    stmt = select(Task).where(Task.id == task_id, task_scope(caller))
    return await one_or_404(session, stmt, Task, "task", task_id, for_update=for_update)


async def task_client_id(session: AsyncSession, caller: Caller, task_id: uuid.UUID) -> uuid.UUID:
    found = await session.scalar(
        select(Task.client_id).where(Task.id == task_id, task_scope(caller))
    )
    if found is None:
        raise NotFound(f"task {task_id} not found")
    return cast(uuid.UUID, found)


def filtered_tasks(
    caller: Caller,
    now: datetime,
    *,
    client_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    due_before: datetime | None = None,
) -> Select[Any]:
    """Tasks the caller may see; ``overdue``: open past their deadline at ``now`` (False:
    the others); ``due_before``: due before that instant."""
    stmt = select(Task).where(task_scope(caller))
    if due_before is not None:
        stmt = stmt.where(Task.due_at < due_before)
    if client_id is not None:
        stmt = stmt.where(Task.client_id == client_id)
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    if status is not None:
        stmt = stmt.where(Task.status == status)
    if overdue:
        stmt = stmt.where(Task.status == "open", Task.due_at < now)
    elif overdue is False:
        stmt = stmt.where((Task.status != "open") | (Task.due_at >= now))
    return stmt


async def task_moves_page(
    session: AsyncSession, task_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[TaskDeadlineMove], str | None]:
    """One page of a task's deadline moves, oldest first: moved_at, id."""
    return await paginate(
        session,
        select(TaskDeadlineMove).where(TaskDeadlineMove.task_id == task_id),
        [TaskDeadlineMove.moved_at, TaskDeadlineMove.id],
        limit=limit,
        cursor=cursor,
    )
