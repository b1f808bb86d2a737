"""Payment control of one issued invoice on a given day (in the client's timezone): is it
overdue, which dunning step is due, is a promise to pay broken, and when to look again.

The schedule holds days relative to the due date: the client's department's
``dunning_schedule`` and ``dunning_escalate_from_days`` set at run time (``/api/v1/settings``,
:func:`terms`), else ``ORBIT_BILLING_DUNNING_SCHEDULE`` (default ``-3,1,7,14,30``) and
``ORBIT_BILLING_DUNNING_ESCALATE_FROM_DAYS`` (14). The scan emits the latest step that is due
and not emitted yet (a late scan does not flood the client with every missed step); partial
payments do not restart the schedule (it counts from the due date); a fully paid invoice
leaves the scan; a promise to pay pauses the reminders until its day, and the day after,
still unpaid, it is broken and the reminders go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, get_args

from shared.policies import policy_value

# What became of a promise to pay.
PromiseState = Literal["pending", "kept", "broken"]
PROMISE_STATES: tuple[PromiseState, ...] = get_args(PromiseState)
PENDING, KEPT, BROKEN = PROMISE_STATES


class ScheduleError(ValueError):
    pass


def parse_schedule(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"-3,1,7,14,30"`` -> ``(-3, 1, 7, 14, 30)`` (sorted, once each); at least one step,
    each within a year of the due date."""
    if isinstance(text, str):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        try:
            steps = [int(p) for p in parts]
        except ValueError as exc:
            raise ScheduleError(f"not a comma-separated list of whole days: {text!r}") from exc
    else:
        steps = [int(s) for s in text]
    if not steps:
        raise ScheduleError("the dunning schedule needs at least one step")
    if any(abs(s) > 366 for s in steps):
        raise ScheduleError("each dunning step must be within 366 days of the due date")
    return tuple(sorted(set(steps)))


@dataclass(frozen=True)
class Terms:
    """A department's dunning schedule (sorted days from the due date) and the step from
    which a reminder escalates."""

    schedule: tuple[int, ...]
    escalate_from: int


def terms(
    documents: Mapping[str, Mapping[str, Any]], department: str | None, default: Terms
) -> Terms:
    """``department``'s dunning terms: its policy's ``dunning_schedule`` and
    ``dunning_escalate_from_days`` (its own document over the global one,
    ``shared.policies``), each else ``default``'s (the environment's)."""
    schedule = policy_value(documents, department, "dunning_schedule", default.schedule)
    escalate = policy_value(
        documents, department, "dunning_escalate_from_days", default.escalate_from
    )
    return Terms(parse_schedule(schedule), int(escalate))


@dataclass(frozen=True)
class Reminder:
    step: int  # days relative to the due date
    days_overdue: int
    escalate: bool


@dataclass(frozen=True)
class Plan:
    overdue: bool  # emit invoice.overdue now
    reminder: Reminder | None  # emit payment_reminder_due now
    promise_broken: bool  # emit invoice.promise_broken now
    last_step: int | None  # the last step emitted after this
    promise_state: str | None
    next_action_on: date | None  # the next day something may be due (None: nothing more)


def plan(
    *,
    due_date: date,
    today: date,
    schedule: Sequence[int],
    escalate_from: int,
    last_step: int | None,
    overdue_sent: bool,
    promised_on: date | None,
    promise_state: str | None,
) -> Plan:
    """What is due for an unpaid issued invoice on ``today``."""
    overdue = today > due_date and not overdue_sent
    broken = promised_on is not None and promise_state == PENDING and today > promised_on
    state = BROKEN if broken else promise_state
    paused = promised_on is not None and state == PENDING and today <= promised_on
    reminder = None
    step_now = last_step
    if not paused:
        due = [
            s
            for s in schedule
            if due_date + timedelta(days=s) <= today and (last_step is None or s > last_step)
        ]
        if due:
            step_now = due[-1]
            reminder = Reminder(
                step_now, max(0, (today - due_date).days), step_now >= escalate_from
            )
    upcoming: list[date] = []
    if not (overdue_sent or overdue):
        upcoming.append(due_date + timedelta(days=1))
    if paused and promised_on is not None:
        upcoming.append(promised_on + timedelta(days=1))
    later = [s for s in schedule if step_now is None or s > step_now]
    if later:
        upcoming.append(max(due_date + timedelta(days=later[0]), today + timedelta(days=1)))
    return Plan(overdue, reminder, broken, step_now, state, min(upcoming) if upcoming else None)


def promise_outcome(promised_on: date, paid_in_full_on: date | None, today: date) -> str:
    """A promise is kept when the invoice was paid in full by its day, broken when that day
    has passed with a balance left, pending until then."""
    if paid_in_full_on is not None and paid_in_full_on <= promised_on:
        return KEPT
    return BROKEN if today > promised_on else PENDING
