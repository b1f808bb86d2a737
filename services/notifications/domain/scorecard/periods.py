"""Report periods: a day, an ISO week (Monday to Sunday), a calendar month or quarter, in
the reader's timezone; the previous period and the same period a year earlier.

A period is ``[start, end)`` of local dates; :func:`utc_bounds` turns it into UTC instants
at local midnight (DST-aware). A year earlier is the period holding the same date a year
before (29 February falls on 28 February); for a week, the ISO week with the same number
(the last one when that year has no week 53).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Period = Literal["day", "week", "month", "quarter"]
PERIODS: tuple[Period, ...] = get_args(Period)


@dataclass(frozen=True)
class Span:
    """One period: local dates ``start`` (included) to ``end`` (excluded)."""

    period: Period
    start: date
    end: date

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        if self.period == "day":
            return self.start.isoformat()
        if self.period == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.period == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


def _add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def span_of(period: Period, day: date) -> Span:
    """The period of kind ``period`` holding ``day``."""
    if period == "day":
        return Span(period, day, day + timedelta(days=1))
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return Span(period, start, start + timedelta(days=7))
    if period == "month":
        start = day.replace(day=1)
        return Span(period, start, _add_months(start, 1))
    start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return Span(period, start, _add_months(start, 3))


def previous(span: Span) -> Span:
    """The period just before ``span``."""
    return span_of(span.period, span.start - timedelta(days=1))


def same_day_a_year_earlier(day: date) -> date:
    """``day`` one year earlier; 29 February falls on 28 February."""
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def year_earlier(span: Span) -> Span:
    """The same period a year before ``span``: same day, ISO week number, month or quarter."""
    if span.period == "week":
        year, week, _ = span.start.isocalendar()
        weeks_then = date(year - 1, 12, 28).isocalendar()[1]  # 28 Dec is in the last week
        return span_of("week", date.fromisocalendar(year - 1, min(week, weeks_then), 1))
    return span_of(span.period, same_day_a_year_earlier(span.start))


def completed_span(period: Period, today: date) -> Span:
    """The last period of kind ``period`` that ended before ``today`` (what a scheduled
    report on ``today`` covers: yesterday, last week, last month)."""
    return previous(span_of(period, today))


def utc_bounds(span: Span, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at ``span.start`` and ``span.end`` in ``timezone``."""
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(span.start, time(), zone).astimezone(UTC),
        datetime.combine(span.end, time(), zone).astimezone(UTC),
    )
