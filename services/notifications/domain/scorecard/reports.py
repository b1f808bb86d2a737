"""The scheduled reports' rules: which reports a person gets, when each is due, and the one
id of each report (one per recipient, period kind and period); the policy of a recipient's
department (``report_schedules``, ``scorecard_deviation_points`` of ``/api/v1/settings``) over
the environment's defaults."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any, Literal, cast, get_args

from services.notifications.domain.scorecard.periods import Period
from shared.policies import policy_value

Scheduled = Literal["day", "week", "month"]
SCHEDULED: tuple[Scheduled, ...] = get_args(Scheduled)
TEMPLATE = "scorecard_report"  # the ``template`` of a report's delivery row
EVENT_TYPE = "orbit.notifications.scorecard_report"  # its ``event_type`` (no event behind it)


@dataclass(frozen=True)
class ReportPolicy:
    """When a department's scheduled reports are written (``local_time`` in each recipient's
    timezone), which (``periods``), and by how many points a manager's SLA compliance must
    fall to be reported (``deviation_points``)."""

    local_time: time
    periods: tuple[str, ...]
    deviation_points: Decimal


def report_policy(
    documents: Mapping[str, Mapping[str, Any]], department: str | None, default: ReportPolicy
) -> ReportPolicy:
    """``department``'s report policy: its document over the global one
    (``shared.policies``), each value else ``default``'s (the environment's, the code's)."""
    local = policy_value(documents, department, "report_schedules.local_time", None)
    periods = policy_value(documents, department, "report_schedules.periods", default.periods)
    points = policy_value(
        documents, department, "scorecard_deviation_points", default.deviation_points
    )
    return ReportPolicy(
        time.fromisoformat(local) if local else default.local_time,
        tuple(periods),
        Decimal(str(points)),
    )


def reports_chosen(stored: Mapping[str, bool] | None) -> dict[str, bool]:
    """Each scheduled report on or off: on unless ``stored`` turns it off."""
    chosen = stored or {}
    return {period: bool(chosen.get(period, True)) for period in SCHEDULED}


def is_due(period: Period, today: date) -> bool:
    """Daily reports every day, weekly on Mondays, monthly on the 1st."""
    return (
        period == "day"
        or (period == "week" and today.weekday() == 0)
        or (period == "month" and today.day == 1)
    )


def due_reports(
    configured: Iterable[str], chosen: Mapping[str, bool], today: date
) -> list[Scheduled]:
    """The reports due ``today``: configured (``ORBIT_NOTIFICATIONS_REPORT_PERIODS``), chosen by the
    recipient, and due on that day."""
    return [
        cast(Scheduled, period)
        for period in configured
        if period in SCHEDULED and chosen.get(period, False) and is_due(cast(Period, period), today)
    ]


def report_id(recipient_id: uuid.UUID, period: str, start: date) -> uuid.UUID:
    """The deterministic id of one report (one per recipient, period kind and period)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"orbit:scorecard-report:{recipient_id}:{period}:{start}")


def report_key(recipient_id: uuid.UUID, period: str, start: date) -> str:
    """The report's delivery key (unique: however often the job runs, one delivery)."""
    return f"scorecard:{recipient_id}:{period}:{start}"
