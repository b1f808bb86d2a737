"""The scorecard's knobs (environment ``ORBIT_...`` like every setting), on top of the
notifications service's."""

from __future__ import annotations

from datetime import time

from pydantic import Field

from shared.settings import OrbitSettings


class ScorecardSettings(OrbitSettings):
    # ORBIT_REPORT_LOCAL_TIME: when the scheduled reports go out, in each recipient's
    # timezone (daily every day, weekly on Mondays, monthly on the 1st; "HH:MM").
    report_local_time: time = time(7, 0)
    # ORBIT_REPORT_PERIODS: which scheduled reports are sent (a JSON list).
    report_periods: list[str] = Field(default_factory=lambda: ["day", "week", "month"])
    # ORBIT_REPORT_FROM: the sender of the reports' emails.
    report_from: str = "Orbit <orbit@localhost>"
    # ORBIT_REPORT_MAX_ATTEMPTS: sending attempts of a report before it is marked failed.
    report_max_attempts: int = Field(default=5, ge=1)
    # ORBIT_REPORT_SMTP_TIMEOUT_SECONDS: one SMTP conversation's timeout.
    report_smtp_timeout_seconds: float = Field(default=30, gt=0)
