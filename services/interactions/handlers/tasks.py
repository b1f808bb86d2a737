"""Follow-up tasks: any active member of staff can be the assignee (told by
``task.assigned``, on creation and on each reassignment); a deadline moved later needs a
reason, is kept in the task's history and announced (``task.deadline_moved``); a task marked
done is announced (``task.completed``)."""

from __future__ import annotations

import uuid

from services.interactions.commands import TaskIn, TaskPatch
from services.interactions.domain import tasks as rules
from services.interactions.events import TaskAssignedV1, TaskCompletedV1, TaskDeadlineMovedV1
from services.interactions.snapshots import task_fields
from services.interactions.store import clients, interactions
from services.interactions.store import tasks as repo
from services.interactions.store.models import Task, TaskDeadlineMove
from shared import audit
from shared.auth import Caller, Role
from shared.errors import Forbidden, Invalid
from shared.replicas import lock_client
from shared.uow import UnitOfWork

WRITERS = (Role.MANAGER, Role.HEAD, Role.ADMIN, Role.INTEGRATION)
# A task's fields in its audit trail (``GET /api/v1/tasks/{id}/audit``).
TASK_FIELDS = ("client_id", "interaction_id", "title", "due_at", "assignee_id", "status")


async def _check_assignee(uow: UnitOfWork, assignee_id: uuid.UUID) -> None:
    if not await clients.active_staff(uow.session, assignee_id):
        raise Invalid.field("assignee_id", "not an active member of staff")


async def create_task(uow: UnitOfWork, caller: Caller, command: TaskIn) -> Task:
    client = await lock_client(uow.session, caller, command.client_id)
    caller.require(*WRITERS)
    await _check_assignee(uow, command.assignee_id)
    if command.interaction_id is not None:
        interaction = await interactions.find_interaction(
            uow.session, caller, command.interaction_id
        )
        if interaction is None:
            raise Invalid.field("interaction_id", "no such interaction")
        if interaction.client_id != client.id:
            raise Invalid.field("interaction_id", "that interaction is another client's")
    now = uow.clock.now()
    task = Task(
        id=uuid.uuid4(),
        client_id=client.id,
        title=command.title,
        due_at=command.due_at,
        assignee_id=command.assignee_id,
        status="open",
        interaction_id=command.interaction_id,
        created_by=caller.id,
        created_at=now,
        updated_at=now,
        done_at=None,
        overdue_notified=False,
        due_soon_notified=False,
    )
    uow.session.add(task)
    await uow.session.flush()
    await audit.created(uow, caller, "task", task, TASK_FIELDS)
    await uow.emit(
        TaskAssignedV1(
            **task_fields(task, client), previous_assignee_id=None, assigned_by=caller.id
        )
    )
    return task


async def update_task(
    uow: UnitOfWork, caller: Caller, task_id: uuid.UUID, command: TaskPatch
) -> Task:
    """Change a task. Whoever sees the task's client may change everything; the assignee
    (who may not see the client) may mark it done or open, and move its deadline."""
    client_id = await repo.task_client_id(uow.session, caller, task_id)  # 404 if unseen
    client = await lock_client(uow.session, None, client_id)
    in_scope = await clients.sees_client(uow.session, caller, client_id)
    task = await repo.get_task(uow.session, caller, task_id, for_update=True)
    changes = command.model_dump(exclude_unset=True)
    reason = changes.pop("reason", None)
    if not in_scope and set(changes) - {"status", "due_at"}:
        raise Forbidden("the assignee may change the status and the deadline only")
    if (not in_scope or caller.role not in WRITERS) and task.assignee_id != caller.id:
        raise Forbidden("only managers, heads, admins and the assignee change tasks")
    if reason is not None and "due_at" not in changes:
        raise Invalid.field("reason", "give it together with a new due_at")
    now = uow.clock.now()
    before = audit.state(task, TASK_FIELDS)
    previous_assignee = None
    if "assignee_id" in changes and changes["assignee_id"] != task.assignee_id:
        await _check_assignee(uow, changes["assignee_id"])
        previous_assignee = task.assignee_id
        task.assignee_id = changes["assignee_id"]
    if "title" in changes:
        task.title = changes["title"]
    completed = False
    if "status" in changes and changes["status"] != task.status:
        task.status = changes["status"]
        task.done_at = now if task.status == "done" else None
        completed = task.status == "done"
    moved = None
    if "due_at" in changes:
        try:
            if rules.check_move(task.due_at, changes["due_at"], reason):
                moved = TaskDeadlineMove(
                    id=uuid.uuid4(),
                    task_id=task.id,
                    old_due_at=task.due_at,
                    new_due_at=changes["due_at"],
                    reason=reason,
                    moved_by=caller.id,
                    moved_at=now,
                )
        except rules.ReasonRequired as exc:
            raise Invalid.field("reason", str(exc)) from exc
    if moved is not None:
        task.due_at = moved.new_due_at
        # a new deadline can come near and be missed (and alerted) again
        task.overdue_notified = False
        task.due_soon_notified = False
        uow.session.add(moved)
    task.updated_at = now
    await uow.session.flush()
    await audit.changed(uow, caller, "task", task, before, TASK_FIELDS)
    if moved is not None:
        await uow.emit(
            TaskDeadlineMovedV1(
                **task_fields(task, client),
                old_due_at=moved.old_due_at,
                new_due_at=moved.new_due_at,
                reason=moved.reason,
                moved_by=caller.id,
            )
        )
    if previous_assignee is not None:
        await uow.emit(
            TaskAssignedV1(
                **task_fields(task, client),
                previous_assignee_id=previous_assignee,
                assigned_by=caller.id,
            )
        )
    if completed:
        await uow.emit(
            TaskCompletedV1(**task_fields(task, client), completed_at=now, completed_by=caller.id)
        )
    return task
