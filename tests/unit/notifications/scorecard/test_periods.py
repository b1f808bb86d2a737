"""The scorecard's periods (``domain/scorecard/periods.py``): in a timezone, the previous one,
a year earlier across leap years. The dates are in the 2050s, 28 years on from the years
first written (the same calendars: weekdays, ISO weeks, leap years), far from any real today."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.notifications.domain.scorecard.periods import (
    completed_span,
    previous,
    same_day_a_year_earlier,
    span_of,
    utc_bounds,
    year_earlier,
)
from shared.clock import local_date


@pytest.mark.parametrize(
    ("period", "day", "start", "end", "label"),
    [
        ("day", date(2054, 3, 5), date(2054, 3, 5), date(2054, 3, 6), "2054-03-05"),
        ("week", date(2054, 3, 5), date(2054, 3, 2), date(2054, 3, 9), "2054-W10"),
        ("week", date(2055, 1, 1), date(2054, 12, 28), date(2055, 1, 4), "2054-W53"),
        ("month", date(2052, 2, 10), date(2052, 2, 1), date(2052, 3, 1), "2052-02"),
        ("month", date(2054, 12, 31), date(2054, 12, 1), date(2055, 1, 1), "2054-12"),
        ("quarter", date(2054, 11, 30), date(2054, 10, 1), date(2055, 1, 1), "2054-Q4"),
        ("quarter", date(2054, 2, 1), date(2054, 1, 1), date(2054, 4, 1), "2054-Q1"),
    ],
)
def test_periods(period: str, day: date, start: date, end: date, label: str) -> None:
    span = span_of(period, day)  # type: ignore[arg-type]
    assert (span.start, span.end, span.label) == (start, end, label)


def test_previous_periods() -> None:
    assert previous(span_of("day", date(2054, 3, 1))).start == date(2054, 2, 28)
    assert previous(span_of("week", date(2054, 1, 1))).start == date(2053, 12, 22)
    assert previous(span_of("month", date(2054, 1, 15))).start == date(2053, 12, 1)
    assert previous(span_of("quarter", date(2054, 2, 15))).start == date(2053, 10, 1)
    assert completed_span("week", date(2054, 11, 30)).start == date(2054, 11, 23)
    assert completed_span("month", date(2054, 12, 1)).label == "2054-11"


def test_a_year_earlier_across_leap_years() -> None:
    assert same_day_a_year_earlier(date(2052, 2, 29)) == date(2051, 2, 28)
    assert same_day_a_year_earlier(date(2053, 3, 1)) == date(2052, 3, 1)
    assert year_earlier(span_of("day", date(2052, 2, 29))).start == date(2051, 2, 28)
    # February of a leap year against the February before: 29 days against 28
    feb = year_earlier(span_of("month", date(2052, 2, 29)))
    assert (feb.start, feb.end) == (date(2051, 2, 1), date(2051, 3, 1))
    assert year_earlier(span_of("quarter", date(2052, 2, 29))).start == date(2051, 1, 1)
    # ISO week 53 of 2054 has no twin in 2053 (52 weeks): its last week
    assert year_earlier(span_of("week", date(2054, 12, 31))).label == "2053-W52"
    assert year_earlier(span_of("week", date(2054, 3, 5))).label == "2053-W10"


def test_period_boundaries_in_the_readers_timezone() -> None:
    span = span_of("day", date(2054, 3, 29))  # Europe/Berlin moves to summer time that day
    start, end = utc_bounds(span, "Europe/Berlin")
    assert start == datetime(2054, 3, 28, 23, 0, tzinfo=UTC)
    assert end == datetime(2054, 3, 29, 22, 0, tzinfo=UTC)  # a 23-hour day
    moscow = utc_bounds(span_of("month", date(2054, 11, 5)), "Europe/Moscow")
    assert moscow[0] == datetime(2054, 10, 31, 21, 0, tzinfo=UTC)
    assert local_date(datetime(2054, 11, 30, 22, 30, tzinfo=UTC), "Europe/Moscow") == date(
        2054, 12, 1
    )
