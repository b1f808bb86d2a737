"""The scheduled reports' policy (``domain/scorecard/reports.py``): a department's over the
environment's."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from services.notifications.domain.scorecard.reports import ReportPolicy, report_policy


def test_report_policy_of_a_department_over_the_environment() -> None:
    default = ReportPolicy(time(7, 0), ("day", "week", "month"), Decimal(5))
    documents = {
        "": {"scorecard_deviation_points": 2.5},
        "north": {"report_schedules": {"local_time": "18:30", "periods": ["week"]}},
    }
    assert report_policy({}, "north", default) == default
    assert report_policy(documents, None, default) == ReportPolicy(
        time(7, 0), ("day", "week", "month"), Decimal("2.5")
    )
    assert report_policy(documents, "north", default) == ReportPolicy(
        time(18, 30), ("week",), Decimal("2.5")
    )
