"""Follow-up tasks: deadlines, their moves and when a task is overdue."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Literal, get_args

# A task's statuses (the commands, the API's schemas and query parameters, the events).
TaskStatus = Literal["open", "done"]
TASK_STATUSES: tuple[TaskStatus, ...] = get_args(TaskStatus)


class ReasonRequired(ValueError):
    pass


def check_move(old_due: datetime, new_due: datetime, reason: str | None) -> bool:
    """Whether the deadline moves; moving it later needs a reason ("if a deadline shifts, say
    so early"), moving it earlier does not."""
    if new_due == old_due:
        return False
    if new_due > old_due and not (reason and reason.strip()):
        raise ReasonRequired("moving the deadline later needs a reason")
    return True


def is_overdue(status: str, due: datetime, now: datetime) -> bool:
    return status == "open" and now > due


def overdue_key(task_id: object, due: datetime) -> str:
    """One alert per task and deadline: a moved deadline can be missed (and alerted) again."""
    return f"task.overdue:{task_id}:{due.isoformat()}"


def hours_left(due: datetime, now: datetime) -> int:
    """Hours until ``due``, a begun hour counted whole (0 at or after it)."""
    if now >= due:
        return 0
    return math.ceil((due - now) / timedelta(hours=1))


def is_due_soon(status: str, due: datetime, now: datetime, lead: timedelta) -> bool:
    """An open task whose deadline is at most ``lead`` away and not yet passed (past it, the
    task is overdue: ``task.overdue`` says so)."""
    return status == "open" and now < due <= now + lead


def due_soon_key(task_id: object, due: datetime) -> str:
    """One warning per task and deadline: a moved deadline is warned of again."""
    return f"task.due_soon:{task_id}:{due.isoformat()}"
