"""The meeting report's deadline (``domain/meetings.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.interactions.domain import meetings

NOW = datetime(2037, 11, 23, 9, tzinfo=UTC)  # a Monday, far from any real today


def test_meeting_report_deadline() -> None:
    due = meetings.report_due_at(NOW, 24)
    assert due == NOW + timedelta(hours=24)
    assert meetings.on_time(due, due)
    assert not meetings.on_time(due + timedelta(seconds=1), due)
    assert meetings.is_overdue(due, None, due + timedelta(seconds=1))
    assert not meetings.is_overdue(due, None, due)
    assert not meetings.is_overdue(due, NOW, due + timedelta(days=1))
    assert meetings.meeting_report_hours({"meeting_report_hours": 12}) == 12
    assert meetings.meeting_report_hours({}) == 48
