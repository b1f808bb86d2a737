"""Meeting reports: due ``meeting_report_hours`` after the meeting; on time or late."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

DEFAULT_MEETING_REPORT_HOURS = 48


def meeting_report_hours(sla: Mapping[str, Any] | None) -> int:
    value = (sla or {}).get("meeting_report_hours")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return DEFAULT_MEETING_REPORT_HOURS


def report_due_at(occurred_at: datetime, hours: int) -> datetime:
    """The report of a meeting is due ``hours`` (elapsed time) after the meeting."""
    if hours < 1:
        raise ValueError("hours must be >= 1")
    return occurred_at + timedelta(hours=hours)


def on_time(submitted_at: datetime, due: datetime) -> bool:
    return submitted_at <= due


def is_overdue(due: datetime, submitted_at: datetime | None, now: datetime) -> bool:
    return submitted_at is None and now > due
