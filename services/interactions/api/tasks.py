"""/api/v1/tasks: follow-up tasks and their deadline history."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from services.interactions.api.deps import DEPS, CallerDep, RuntimeDep
from services.interactions.api.params import DueBefore, upper_bound
from services.interactions.api.presenters import task_move_out, task_out
from services.interactions.api.schemas import TaskIn, TaskMoveOut, TaskOut, TaskPatch
from services.interactions.domain.tasks import TaskStatus
from services.interactions.handlers import tasks as handlers
from services.interactions.store import tasks as repo
from shared.audit_routes import add_trail_route
from shared.commands import run_command
from shared.exports import EXPORT_RESPONSES
from shared.idempotency import IdempotencyKey
from shared.lists import ListDep, each, sorted_list
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])


@router.post("", status_code=201, response_model=TaskOut, operation_id="createTask")
async def create_task(
    body: TaskIn, caller: CallerDep, runtime: RuntimeDep, idem: IdempotencyKey
) -> JSONResponse:
    """A task about one of the caller's clients, for any active member of staff."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.create_task(uow, caller, body),
        lambda entity: task_out(entity, runtime.clock.now()),
        caller_id=caller.id,
        idempotency=idem,
        status_code=201,
    )


@router.get(
    "",
    response_model=Page[TaskOut],
    responses=EXPORT_RESPONSES,
    operation_id="listTasks",
)
async def list_tasks(
    caller: CallerDep,
    runtime: RuntimeDep,
    query: ListDep,
    client_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    status: TaskStatus | None = None,
    overdue: bool | None = None,
    due_before: DueBefore = None,
    sort: Annotated[str | None, repo.SORTS.param()] = None,
) -> Page[TaskOut] | Response:
    """Tasks of the caller's clients and tasks assigned to the caller, oldest first unless
    ``sort`` says otherwise; ``due_before``: due before that instant (a date: by its end)."""
    now = runtime.clock.now()
    stmt = repo.filtered_tasks(
        caller,
        now,
        client_id=client_id,
        assignee_id=assignee_id,
        status=status,
        overdue=overdue,
        due_before=upper_bound(due_before, "due_before"),
    )
    return await sorted_list(
        runtime,
        stmt,
        repo.SORTS,
        sort,
        each(partial(task_out, now=now)),
        query,
        filename="tasks",
        header=list(TaskOut.model_fields),
    )


@router.get("/{task_id}", response_model=TaskOut, operation_id="getTask")
async def get_task(task_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> TaskOut:
    async with runtime.reads() as session:
        task = await repo.get_task(session, caller, task_id)
    return task_out(task, runtime.clock.now())


@router.patch("/{task_id}", response_model=TaskOut, operation_id="updateTask")
async def update_task(
    task_id: uuid.UUID, body: TaskPatch, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Change a task; moving ``due_at`` later needs a ``reason`` (kept in the history and
    announced as ``task.deadline_moved``)."""

    return await run_command(
        runtime.uow,
        lambda uow: handlers.update_task(uow, caller, task_id, body),
        lambda entity: task_out(entity, runtime.clock.now()),
        caller_id=caller.id,
    )


@router.get(
    "/{task_id}/history", response_model=Page[TaskMoveOut], operation_id="listTaskDeadlineMoves"
)
async def task_history(
    task_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[TaskMoveOut]:
    """Every move of the task's deadline, oldest first."""
    async with runtime.reads() as session:
        await repo.get_task(session, caller, task_id)
        items, next_cursor = await repo.task_moves_page(
            session, task_id, limit=limit, cursor=cursor
        )
    return page_of(items, next_cursor, task_move_out)


add_trail_route(
    router,
    "task",
    repo.get_task,
    runtime=DEPS.runtime,
    caller=DEPS.caller,
    operation_id="listTaskAudit",
    doc="A task's changes (created, edited, reassigned, deadline moved, done or reopened)",
)
