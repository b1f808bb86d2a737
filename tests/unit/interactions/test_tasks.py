"""Task deadlines: when a task is due soon (``task.due_soon``), the hours left, one warning
per task and deadline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.interactions.domain import tasks

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today
DAY = timedelta(hours=24)


def test_due_soon_within_the_lead_and_before_the_deadline() -> None:
    assert tasks.is_due_soon("open", NOW + DAY, NOW, DAY)
    assert tasks.is_due_soon("open", NOW + timedelta(minutes=1), NOW, DAY)
    assert not tasks.is_due_soon("open", NOW + DAY + timedelta(seconds=1), NOW, DAY)
    assert not tasks.is_due_soon("open", NOW, NOW, DAY)  # due now: overdue, not due soon
    assert not tasks.is_due_soon("done", NOW + timedelta(hours=1), NOW, DAY)


def test_hours_left_count_a_begun_hour() -> None:
    assert tasks.hours_left(NOW + DAY, NOW) == 24
    assert tasks.hours_left(NOW + timedelta(minutes=30), NOW) == 1
    assert tasks.hours_left(NOW + timedelta(hours=3, seconds=1), NOW) == 4
    assert tasks.hours_left(NOW, NOW) == 0
    assert tasks.hours_left(NOW - DAY, NOW) == 0


@given(st.integers(min_value=1, max_value=10_000))
def test_a_task_due_soon_has_between_one_hour_and_the_lead_left(minutes: int) -> None:
    due = NOW + timedelta(minutes=minutes)
    if tasks.is_due_soon("open", due, NOW, DAY):
        assert 1 <= tasks.hours_left(due, NOW) <= 24


def test_one_warning_per_task_and_deadline() -> None:
    task = uuid.uuid4()
    assert tasks.due_soon_key(task, NOW) == tasks.due_soon_key(task, NOW)
    assert tasks.due_soon_key(task, NOW) != tasks.due_soon_key(task, NOW + DAY)
    assert tasks.due_soon_key(task, NOW) != tasks.overdue_key(task, NOW)


def test_task_deadline_moves() -> None:
    assert not tasks.check_move(NOW, NOW, None)
    assert tasks.check_move(NOW, NOW - timedelta(days=1), None)  # earlier: no reason needed
    assert tasks.check_move(NOW, NOW + timedelta(days=1), "waiting for the client")
    for reason in (None, "", "   "):
        with pytest.raises(tasks.ReasonRequired):
            tasks.check_move(NOW, NOW + timedelta(days=1), reason)
    assert tasks.is_overdue("open", NOW, NOW + timedelta(seconds=1))
    assert not tasks.is_overdue("done", NOW, NOW + timedelta(days=1))
    assert tasks.overdue_key("t", NOW) != tasks.overdue_key("t", NOW + timedelta(days=1))
