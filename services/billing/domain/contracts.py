"""Contract dates: the renewal for the same term, the day the renewal notice is due.

A term of whole months (``ends_on`` the day before ``starts_on`` plus N months, or that day
itself) renews for N months again from the day after ``ends_on``, with month-end clamping
(28 or 29 February); any other term renews for the same number of days.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

ContractStatus = Literal["active", "expired", "terminated"]
STATUSES: tuple[ContractStatus, ...] = get_args(ContractStatus)
ACTIVE, EXPIRED, TERMINATED = STATUSES
# The statuses a person may set (a contract expires by the scan).
SettableStatus = Literal["active", "terminated"]
MAX_TERM_MONTHS = 1200


class ContractDatesError(ValueError):
    pass


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on <= starts_on:
        raise ContractDatesError("ends_on must be after starts_on")


@dataclass(frozen=True)
class Term:
    months: int | None  # whole months, or None
    days: int  # the length in days otherwise (ends_on - starts_on)
    inclusive: bool  # ends_on is the last day (start + N months - 1 day)


def term_of(starts_on: date, ends_on: date) -> Term:
    check_dates(starts_on, ends_on)
    approx = (ends_on.year - starts_on.year) * 12 + ends_on.month - starts_on.month
    for months in range(max(1, approx - 1), min(approx + 2, MAX_TERM_MONTHS) + 1):
        end = add_months(starts_on, months)
        if end - timedelta(days=1) == ends_on:
            return Term(months, (ends_on - starts_on).days, True)
        if end == ends_on:
            return Term(months, (ends_on - starts_on).days, False)
    return Term(None, (ends_on - starts_on).days, False)


def renewal(starts_on: date, ends_on: date) -> tuple[date, date]:
    """The next period for the same term, from the day after ``ends_on``: never overlapping
    the current one, never leaving a gap."""
    term = term_of(starts_on, ends_on)
    start = ends_on + timedelta(days=1)
    if term.months is None:
        return start, start + timedelta(days=term.days)
    if term.inclusive:  # 1 Jan - 31 Dec: 1 Jan - 31 Dec of the next year
        return start, add_months(start, term.months) - timedelta(days=1)
    # "15 Jan - 15 Feb" style: the same day of month again, on the original start's day where
    # the month has it (31 Jan - 28 Feb - 31 Mar, 29 Feb 2024 - 28 Feb 2025 - 28 Feb 2026).
    end = add_months(ends_on, term.months)
    last = calendar.monthrange(end.year, end.month)[1]
    return start, end.replace(day=max(end.day, min(starts_on.day, last)))


def notice_on(ends_on: date, renewal_notice_days: int) -> date:
    """The day ``contract.expiring`` is due."""
    return ends_on - timedelta(days=renewal_notice_days)
