"""Planned meetings and calls: their kinds and states, the changes each state allows, when a
plan is valid, and when its reminder and its no-outcome alert fall due.

A planned meeting is ``planned`` until it is marked ``held`` (which logs the ``meeting``
interaction: its report falls due as for any meeting) or ``cancelled``; both are final.
Rescheduling keeps it ``planned``. Its iCalendar ``sequence`` starts at 0 and grows by one on
each reschedule and on the cancellation (RFC 5545: a calendar replaces an event by a higher
SEQUENCE of the same UID).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import Literal, get_args

MeetingKind = Literal["meeting", "call"]
MeetingStatus = Literal["planned", "held", "cancelled"]
MeetingAction = Literal["reschedule", "cancel", "held"]
MEETING_KINDS: tuple[MeetingKind, ...] = get_args(MeetingKind)
MEETING_STATUSES: tuple[MeetingStatus, ...] = get_args(MeetingStatus)

# what each action makes of a planned meeting (no other state allows any)
OUTCOME: dict[MeetingAction, MeetingStatus] = {
    "reschedule": "planned",
    "cancel": "cancelled",
    "held": "held",
}
VERB: dict[MeetingAction, str] = {
    "reschedule": "rescheduled",
    "cancel": "cancelled",
    "held": "marked held",
}


class TransitionError(ValueError):
    """A change the meeting's state does not allow (the API's 409)."""


def transition(status: str, action: MeetingAction) -> MeetingStatus:
    """The state after ``action``: only a planned meeting changes."""
    if status != "planned":
        raise TransitionError(f"a meeting that is {status} cannot be {VERB[action]}")
    return OUTCOME[action]


def next_sequence(sequence: int, action: MeetingAction) -> int:
    """The iCalendar SEQUENCE after ``action``: a reschedule or a cancellation changes the
    calendar entry (+1); marking it held does not."""
    return sequence + 1 if action in ("reschedule", "cancel") else sequence


def slot_problems(starts_at: datetime, ends_at: datetime, now: datetime) -> dict[str, str]:
    """What is wrong with a meeting's time, field by field: it starts in the future and ends
    after it starts."""
    found: dict[str, str] = {}
    if starts_at <= now:
        found["starts_at"] = "must be in the future: log a past meeting as an interaction"
    if ends_at <= starts_at:
        found["ends_at"] = "must be after starts_at"
    return found


def check_held(starts_at: datetime, now: datetime, tolerance: timedelta) -> None:
    """A meeting is marked held once it has begun (its start at most ``tolerance`` ahead of
    the clock, as for a logged interaction's ``occurred_at``)."""
    if starts_at > now + tolerance:
        raise TransitionError("the meeting has not begun: it cannot be marked held yet")


def is_reminder_due(status: str, starts_at: datetime, now: datetime, lead: timedelta) -> bool:
    """A planned meeting starting within ``lead`` and not begun yet."""
    return status == "planned" and now < starts_at <= now + lead


def is_without_outcome(status: str, ends_at: datetime, now: datetime, after: timedelta) -> bool:
    """Still planned ``after`` its end: neither marked held nor cancelled."""
    return status == "planned" and now >= ends_at + after


def hours_since(moment: datetime, now: datetime) -> int:
    """Whole hours from ``moment`` to ``now`` (0 before it)."""
    if now <= moment:
        return 0
    return math.floor((now - moment) / timedelta(hours=1))


def reminder_key(meeting_id: uuid.UUID, starts_at: datetime) -> str:
    """One reminder per meeting and start: a rescheduled meeting is reminded of again."""
    return f"meeting.reminder:{meeting_id}:{starts_at.isoformat()}"


def no_outcome_key(meeting_id: uuid.UUID, ends_at: datetime) -> str:
    """One alert per meeting and end: a meeting moved later can lack an outcome again."""
    return f"meeting.no_outcome:{meeting_id}:{ends_at.isoformat()}"
