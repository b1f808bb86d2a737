"""Planned meetings: the state machine (planned -> held | cancelled, nothing after), the
iCalendar sequence, a valid slot, when held may be marked, the reminder and the no-outcome
alert, and their keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.interactions.domain import planned

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("action", "after"), [("reschedule", "planned"), ("cancel", "cancelled"), ("held", "held")]
)
def test_a_planned_meeting_changes(action: planned.MeetingAction, after: str) -> None:
    assert planned.transition("planned", action) == after


@pytest.mark.parametrize("status", ["held", "cancelled"])
@pytest.mark.parametrize("action", ["reschedule", "cancel", "held"])
def test_held_and_cancelled_are_final(status: str, action: planned.MeetingAction) -> None:
    with pytest.raises(planned.TransitionError, match=f"that is {status}"):
        planned.transition(status, action)


def test_the_sequence_grows_on_reschedule_and_cancel_only() -> None:
    assert planned.next_sequence(0, "reschedule") == 1
    assert planned.next_sequence(1, "cancel") == 2
    assert planned.next_sequence(2, "held") == 2


def test_a_slot_starts_in_the_future_and_ends_after_it_starts() -> None:
    assert planned.slot_problems(NOW + HOUR, NOW + 2 * HOUR, NOW) == {}
    assert set(planned.slot_problems(NOW, NOW + HOUR, NOW)) == {"starts_at"}
    assert set(planned.slot_problems(NOW + HOUR, NOW + HOUR, NOW)) == {"ends_at"}
    assert set(planned.slot_problems(NOW - HOUR, NOW - 2 * HOUR, NOW)) == {"starts_at", "ends_at"}


def test_held_once_it_has_begun() -> None:
    tolerance = timedelta(minutes=5)
    planned.check_held(NOW, NOW, tolerance)
    planned.check_held(NOW + tolerance, NOW, tolerance)
    with pytest.raises(planned.TransitionError, match="not begun"):
        planned.check_held(NOW + tolerance + timedelta(seconds=1), NOW, tolerance)


def test_the_reminder_comes_within_the_lead_before_the_start() -> None:
    lead = timedelta(minutes=30)
    assert planned.is_reminder_due("planned", NOW + lead, NOW, lead)
    assert not planned.is_reminder_due("planned", NOW + lead + timedelta(seconds=1), NOW, lead)
    assert not planned.is_reminder_due("planned", NOW, NOW, lead)  # begun: too late
    assert not planned.is_reminder_due("cancelled", NOW + HOUR / 2, NOW, lead)


def test_no_outcome_some_hours_after_the_end() -> None:
    after = 4 * HOUR
    assert planned.is_without_outcome("planned", NOW - after, NOW, after)
    assert not planned.is_without_outcome("planned", NOW - after + HOUR, NOW, after)
    assert not planned.is_without_outcome("held", NOW - 10 * HOUR, NOW, after)
    assert planned.hours_since(NOW - after - timedelta(minutes=59), NOW) == 4
    assert planned.hours_since(NOW + HOUR, NOW) == 0


def test_keys_follow_the_time() -> None:
    meeting = uuid.uuid4()
    assert planned.reminder_key(meeting, NOW) != planned.reminder_key(meeting, NOW + HOUR)
    assert planned.no_outcome_key(meeting, NOW) != planned.no_outcome_key(meeting, NOW + HOUR)
